//! `credence`: the command line of a Credence member. Thin glue over the library crates.

mod bench;
mod devnet;
mod layout;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use credence_crypto::KeyFile;
use credence_types::TimestampMs;
use std::{
    path::PathBuf,
    time::{SystemTime, UNIX_EPOCH},
};

/// Credence: a shared-credit ledger run by its member institutions.
#[derive(Parser)]
#[command(name = "credence", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a local consortium of validators (the main command).
    ///
    /// Example: `credence devnet` starts 4 validators with their APIs on
    /// http://127.0.0.1:8080 to 8083 and their data in ./devnet; Ctrl-C stops them, and
    /// running it again resumes.
    Devnet {
        /// Number of validators.
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Directory of the network's data.
        #[arg(long, default_value = "devnet")]
        dir: PathBuf,
        /// API port of validator 0 (validator i uses base-port + i; its p2p port is
        /// base-port + 1000 + i).
        #[arg(long, default_value_t = 8080)]
        base_port: u16,
        /// Delete the directory first and start a new network.
        #[arg(long)]
        fresh: bool,
    },
    /// Run one validator node.
    ///
    /// Example: `credence node --config devnet/node-0/node.toml`
    Node {
        /// The node's configuration file (TOML).
        #[arg(long)]
        config: PathBuf,
    },
    /// Offer a load to a running devnet and measure it against this machine's limit.
    ///
    /// Example: `credence bench --rate 2000 --duration 30` against `credence devnet`.
    Bench {
        /// The running devnet's directory.
        #[arg(long, default_value = "devnet")]
        dir: PathBuf,
        /// API port of validator 0.
        #[arg(long, default_value_t = 8080)]
        base_port: u16,
        /// Transactions per second to offer.
        #[arg(long, default_value_t = 2_000)]
        rate: u64,
        /// Seconds to measure.
        #[arg(long, default_value_t = 30)]
        duration: u64,
        /// Seconds of load before measuring.
        #[arg(long, default_value_t = 5)]
        warmup: u64,
        /// Subjects in the population.
        #[arg(long, default_value_t = 2_000)]
        subjects: usize,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Manage keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Create networks.
    #[command(subcommand)]
    Genesis(GenesisCommand),
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Generate a signing key and an encryption key into a new file (mode 0600).
    ///
    /// Example: `credence keys generate --out bank-e.json`
    Generate {
        /// File to write; never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum GenesisCommand {
    /// Write a new network: genesis, keys for every institution, and each validator's
    /// configuration.
    ///
    /// Example: `credence genesis init --validators 4 --dir mynet`
    Init {
        /// Number of validators.
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Directory to write into.
        #[arg(long)]
        dir: PathBuf,
        /// Chain id.
        #[arg(long, default_value = "credence-devnet")]
        chain_id: String,
        /// API port of validator 0.
        #[arg(long, default_value_t = 8080)]
        base_port: u16,
    },
}

fn main() -> anyhow::Result<()> {
    use std::io::IsTerminal as _;
    // The engine's crates are chatty at `info`; Credence's own lines are what an operator
    // reads. RUST_LOG overrides.
    let default = "info,commonware_consensus=warn,commonware_p2p=warn,commonware_storage=warn,\
                   commonware_broadcast=warn,commonware_resolver=warn,commonware_runtime=warn,\
                   commonware_stream=warn";
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default)),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .with_target(false)
        .compact()
        .init();
    match Cli::parse().command {
        Command::Devnet {
            validators,
            dir,
            base_port,
            fresh,
        } => devnet::run(&devnet::Options {
            validators,
            dir,
            base_port,
            fresh,
        }),
        Command::Bench {
            dir,
            base_port,
            rate,
            duration,
            warmup,
            subjects,
            json,
        } => {
            let report = bench::run(&bench::Options {
                dir,
                base_port,
                rate,
                duration,
                warmup,
                subjects,
            })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                bench::print(&report);
            }
            Ok(())
        }
        Command::Node { config } => {
            let config = credence_node::config::NodeConfig::load(&config)?;
            credence_node::run::run(config)?;
            Ok(())
        }
        Command::Keys(KeysCommand::Generate { out }) => {
            let keys = KeyFile::generate();
            keys.write(&out)?;
            println!("signing key    {}", keys.signing.public_key());
            println!("encryption key {}", keys.encryption.public_key());
            println!("written to     {}", out.display());
            Ok(())
        }
        Command::Genesis(GenesisCommand::Init {
            validators,
            dir,
            chain_id,
            base_port,
        }) => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .context("the clock is before 1970")?;
            layout::write(&layout::Plan {
                dir: dir.clone(),
                validators,
                chain_id,
                base_port,
                genesis_time: TimestampMs(u64::try_from(now.as_millis())?),
            })?;
            println!("network written to {}", dir.display());
            for i in 0..validators {
                println!(
                    "  credence node --config {}",
                    layout::node_config_path(&dir, i).display()
                );
            }
            Ok(())
        }
    }
}
