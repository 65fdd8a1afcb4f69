//! `credence devnet`: a consortium of validators on this machine, as separate `credence node`
//! processes on 127.0.0.1, with their data under one directory. Runs until Ctrl-C or SIGTERM,
//! then stops its nodes cleanly; started again, it resumes from their data.

use crate::layout::{self, Plan};
use anyhow::Context as _;
use nix::{sys::signal, unistd::Pid};
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
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
}

struct Running {
    index: usize,
    child: Child,
    log: PathBuf,
}

/// Runs the devnet until told to stop.
pub fn run(options: &Options) -> anyhow::Result<()> {
    if options.fresh && options.dir.exists() {
        std::fs::remove_dir_all(&options.dir)
            .with_context(|| format!("removing {}", options.dir.display()))?;
    }
    let validators = if options.dir.join("network.json").exists() {
        let existing = layout::validators_in(&options.dir)?;
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
        })?;
        options.validators
    };

    let binary = std::env::current_exe().context("locating the credence binary")?;
    let mut nodes = Vec::new();
    for index in 0..validators {
        nodes.push(start_node(&binary, &options.dir, index)?);
    }
    print_table(&options.dir, options.base_port, &nodes)?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let exited = runtime.block_on(watch(&mut nodes));
    stop(&mut nodes);
    exited
}

fn start_node(binary: &Path, dir: &Path, index: usize) -> anyhow::Result<Running> {
    let config = layout::node_config_path(dir, index);
    let log = config.with_file_name("node.log");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .with_context(|| format!("opening {}", log.display()))?;
    let child = Command::new(binary)
        .arg("node")
        .arg("--config")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .spawn()
        .with_context(|| format!("starting validator {index}"))?;
    Ok(Running { index, child, log })
}

fn print_table(dir: &Path, base_port: u16, nodes: &[Running]) -> anyhow::Result<()> {
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
        let api = layout::api_address(base_port, node.index)?;
        println!(
            "  {:<6} {:<10} {:<24} {:<8} {}",
            node.index,
            layout::validator_name(node.index),
            format!("http://{api}"),
            node.child.id(),
            node.log.display()
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
async fn watch(nodes: &mut [Running]) -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut poll = tokio::time::interval(Duration::from_millis(500));
    let mut reported = vec![false; nodes.len()];
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = terminate.recv() => return Ok(()),
            _ = poll.tick() => {
                for (node, reported) in nodes.iter_mut().zip(reported.iter_mut()) {
                    if !*reported && let Ok(Some(status)) = node.child.try_wait() {
                        eprintln!(
                            "validator {} exited ({status}); see {}",
                            node.index,
                            node.log.display()
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

/// A fresh devnet a command starts for itself (the benchmark's), stopped and removed when
/// dropped.
pub struct Local {
    dir: PathBuf,
    nodes: Vec<Running>,
}

impl Local {
    /// Writes a new network of `validators` in `dir` (replacing what is there), starts its
    /// nodes, and waits until the first has finalised a block.
    pub fn start(dir: &Path, validators: usize, base_port: u16) -> anyhow::Result<Self> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
        }
        layout::write(&Plan {
            dir: dir.to_path_buf(),
            validators,
            chain_id: "credence-bench".to_string(),
            base_port,
            genesis_time: layout::now()?,
        })?;
        let binary = std::env::current_exe().context("locating the credence binary")?;
        let mut local = Self {
            dir: dir.to_path_buf(),
            nodes: Vec::with_capacity(validators),
        };
        for index in 0..validators {
            local.nodes.push(start_node(&binary, dir, index)?);
        }
        let node = credence_client::NodeClient::new(&format!(
            "http://{}",
            layout::api_address(base_port, 0)?
        ));
        eprintln!("started {validators} validators in {}", dir.display());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !node.status().await.is_ok_and(|s| s.height.0 >= 1) {
                anyhow::ensure!(
                    Instant::now() < deadline,
                    "the devnet finalised no block in 60 s"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            anyhow::Ok(())
        })?;
        Ok(local)
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        stop(&mut self.nodes);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Asks every node to stop (SIGTERM), waits for them, and kills any that hang.
fn stop(nodes: &mut [Running]) {
    eprintln!("stopping {} validators", nodes.len());
    for node in nodes.iter() {
        if let Ok(pid) = i32::try_from(node.child.id()) {
            let _ = signal::kill(Pid::from_raw(pid), signal::Signal::SIGTERM);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    for node in nodes.iter_mut() {
        loop {
            match node.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() >= deadline => {
                    eprintln!("validator {} did not stop; killing it", node.index);
                    let _ = node.child.kill();
                    let _ = node.child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}
