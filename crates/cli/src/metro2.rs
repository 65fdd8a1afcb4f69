//! `credence metro2`: Metro 2 file tools that need no network, like the ones furnishers
//! already run before sending a month's file — validate it, convert it between the
//! character format, the packed format and the documented JSON form, recompute its trailer.
//!
//! The error report names the record, segment, field and rule of each problem, never the
//! field's value: a Metro 2 file is full of personal identifiers, and a report is pasted
//! into tickets and logs.

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use credence_metro2::{
    Blocking, File, Format, Layout, read, recompute_trailer, validate, write, write_as,
};
use std::path::{Path, PathBuf};

/// Metro 2 file tools (no network).
#[derive(Subcommand)]
pub enum Metro2Command {
    /// Check a Metro 2 file field by field against the CDIA rules; print every problem and
    /// exit non-zero if there is any.
    ///
    /// Example: `credence metro2 validate 2026-11.m2`
    Validate {
        /// The file: character (fixed or variable blocked) or packed, or its JSON form.
        file: PathBuf,
    },
    /// Convert a Metro 2 file between the character format, the packed format and the JSON
    /// form (the crate documentation of `credence-metro2` describes it).
    ///
    /// Example: `credence metro2 convert 2026-11.m2 --to json --out 2026-11.json`
    Convert {
        /// The file: character (fixed or variable blocked) or packed, or its JSON form.
        file: PathBuf,
        /// What to write.
        #[arg(long)]
        to: Target,
        /// Recompute the trailer's totals from the records before writing.
        #[arg(long)]
        recompute_trailer: bool,
        /// Where to write (standard output if absent).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// A conversion's target.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Target {
    /// The JSON form of the typed model.
    Json,
    /// The 426-byte character format, fixed-length records.
    Character,
    /// The 366-byte packed format.
    Packed,
}

/// Runs a `credence metro2` command.
pub fn run(command: Metro2Command) -> anyhow::Result<()> {
    match command {
        Metro2Command::Validate { file: path } => {
            let file = load(&path)?;
            let report = validate(&file);
            let records = file.bases.len();
            for error in &report.errors {
                println!("{error}");
            }
            anyhow::ensure!(
                report.is_empty(),
                "{}: {} problem(s) in {records} account record(s)",
                path.display(),
                report.errors.len()
            );
            println!(
                "{}: valid ({records} account record(s), {} format)",
                path.display(),
                format_name(&file.layout)
            );
            Ok(())
        }
        Metro2Command::Convert {
            file: path,
            to,
            recompute_trailer: recompute,
            out,
        } => {
            let mut file = load(&path)?;
            if recompute {
                recompute_trailer(&mut file);
            }
            let bytes = match to {
                Target::Json => {
                    let mut text = serde_json::to_vec_pretty(&file)?;
                    text.push(b'\n');
                    text
                }
                Target::Character => write_as(&file, &Layout::character_fixed())?,
                Target::Packed => write_as(&file, &Layout::packed())?,
            };
            match out {
                Some(out) => {
                    std::fs::write(&out, &bytes)
                        .with_context(|| format!("writing {}", out.display()))?;
                    eprintln!(
                        "{} account record(s) written to {}",
                        file.bases.len(),
                        out.display()
                    );
                }
                None => {
                    use std::io::Write as _;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
            Ok(())
        }
    }
}

/// Reads a Metro 2 file, or its JSON form (a file whose first non-blank byte is `{`).
pub fn load(path: &Path) -> anyhow::Result<File> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&bytes, path)
}

/// Reads the bytes of the file at `path` as [`load`] does.
pub fn parse(bytes: &[u8], path: &Path) -> anyhow::Result<File> {
    let json = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    if json {
        let file: File = serde_json::from_slice(bytes).with_context(|| {
            format!("{} is not the JSON form of a Metro 2 file", path.display())
        })?;
        // A JSON form must describe a file the writer can produce.
        write(&file).with_context(|| format!("{} cannot be written as Metro 2", path.display()))?;
        return Ok(file);
    }
    read(bytes).with_context(|| format!("{} is not a Metro 2 file", path.display()))
}

/// The layout's name for people.
fn format_name(layout: &Layout) -> &'static str {
    match (&layout.format, &layout.blocking) {
        (Format::Packed, _) => "packed",
        (Format::Character, Blocking::Unblocked { .. }) => "character",
        (Format::Character, _) => "character, variable blocked",
    }
}
