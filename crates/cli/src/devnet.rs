//! `credence devnet`: a consortium of validators on this machine, as separate `credence node`
//! processes on 127.0.0.1, with their data under one directory. Runs until Ctrl-C or SIGTERM,
//! then stops its nodes cleanly; started again, it resumes from their data.

use anyhow::Context as _;
use credence_devnet::{
    Validator,
    layout::{self, Plan},
    processes,
};
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

/// Options of `credence devnet`.
#[derive(Clone, Debug)]
pub struct Options {
    /// Validators to run.
    pub validators: usize,
    /// Directory holding the network.
    pub dir: PathBuf,
    /// API port of validator 0.
    pub base_port: u16,
    /// Start from an empty directory.
    pub fresh: bool,
    /// Blocks per epoch of a new network.
    pub epoch_length: u64,
}

/// Runs the devnet until told to stop.
pub fn run(options: &Options) -> anyhow::Result<()> {
    if options.fresh && options.dir.exists() {
        std::fs::remove_dir_all(&options.dir)
            .with_context(|| format!("removing {}", options.dir.display()))?;
    }
    let validators = if options.dir.join("network.json").exists() {
        let existing = layout::network_file(&options.dir)?
            .genesis_validators()
            .len();
        if existing != options.validators {
            println!(
                "{} holds a {existing}-validator network; resuming it (use --fresh to start over)",
                options.dir.display()
            );
        }
        existing
    } else {
        layout::write(&Plan {
            dir: options.dir.clone(),
            validators: options.validators,
            chain_id: "credence-devnet".to_string(),
            base_port: options.base_port,
            genesis_time: layout::now()?,
            epoch_length_blocks: options.epoch_length,
        })?;
        options.validators
    };

    let binary = std::env::current_exe().context("locating the credence binary")?;
    let mut nodes = (0..validators)
        .map(|index| Validator::start(&binary, &options.dir, index, "node.log"))
        .collect::<Result<Vec<_>, _>>()?;
    print_table(&options.dir, options.base_port, &nodes)?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let exited = runtime.block_on(watch(&mut nodes));
    eprintln!("stopping {} validators", nodes.len());
    processes::stop(&mut nodes);
    exited
}

/// `credence devnet add-validator`: one more validator for the running devnet, admitted by
/// its members' governance; runs it until Ctrl-C (`credence devnet` starts it with the
/// others from then on).
pub fn add_validator(options: &Options) -> anyhow::Result<()> {
    anyhow::ensure!(
        options.dir.join("network.json").exists(),
        "no devnet in {}: start one with `credence devnet`",
        options.dir.display()
    );
    let binary = std::env::current_exe().context("locating the credence binary")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let joined = runtime.block_on(credence_devnet::joining::add_validator(
        &binary,
        &options.dir,
        options.base_port,
        JOIN_TIMEOUT,
        |step| println!("{step}"),
    ))?;
    let mut nodes = vec![joined.validator];
    println!(
        "{} votes from height {}. Stop it with Ctrl-C; `credence devnet` runs it from now on.",
        layout::validator_name(nodes[0].index()),
        joined.epoch.first_height.0
    );
    let exited = runtime.block_on(watch(&mut nodes));
    processes::stop(&mut nodes);
    exited
}

/// How long `add-validator` waits for an epoch to seat the new validator: two of the
/// longest devnet epochs at an idle block a second, and a minute for governance.
const JOIN_TIMEOUT: Duration = Duration::from_secs(2 * layout::EPOCH_LENGTH_BLOCKS + 60);

fn print_table(dir: &Path, base_port: u16, nodes: &[Validator]) -> anyhow::Result<()> {
    println!(
        "Credence devnet: {} validators, data in {}",
        nodes.len(),
        dir.display()
    );
    println!();
    println!(
        "  {:<6} {:<10} {:<24} {:<8} log",
        "node", "member", "api", "pid"
    );
    for node in nodes {
        let api = layout::api_address(base_port, node.index())?;
        println!(
            "  {:<6} {:<10} {:<24} {:<8} {}",
            node.index(),
            layout::validator_name(node.index()),
            format!("http://{api}"),
            node.pid().unwrap_or_default(),
            node.log().display()
        );
    }
    println!();
    let first = layout::api_address(base_port, 0)?;
    println!("Console: http://{first}/ (explorer), /lender, /borrower, /regulator on every node.");
    println!(
        "  The lender console of node N signs in with the token in {}",
        dir.join("node-N")
            .join(layout::OPERATOR_TOKEN_FILE)
            .display()
    );
    println!("Status: curl http://{first}/v1/status");
    println!("Stop with Ctrl-C.");
    Ok(())
}

/// Waits for Ctrl-C or SIGTERM (a clean stop), or for a node to exit on its own (reported,
/// the others keep running).
async fn watch(nodes: &mut [Validator]) -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut poll = tokio::time::interval(Duration::from_millis(500));
    let mut reported = vec![false; nodes.len()];
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = terminate.recv() => return Ok(()),
            _ = poll.tick() => {
                for (node, reported) in nodes.iter_mut().zip(reported.iter_mut()) {
                    if !*reported && let Some(status) = node.exited() {
                        eprintln!(
                            "validator {} exited ({status}); see {}",
                            node.index(),
                            node.log().display()
                        );
                        *reported = true;
                    }
                }
                if reported.iter().all(|r| *r) {
                    anyhow::bail!("every validator has exited");
                }
            }
        }
    }
}
