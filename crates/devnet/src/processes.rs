//! Validators as child processes of the `credence` binary, each `credence node --config
//! <dir>/node-<i>/node.toml`, logging to a file beside its configuration.

use crate::layout::{self, LayoutError, Plan};
use credence_client::{ClientError, NodeClient};
use credence_node::config::{NodeConfig, NodeFile};
use nix::{sys::signal, unistd::Pid};
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

/// How long a validator may take to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A validator process.
#[derive(Debug)]
pub struct Validator {
    binary: PathBuf,
    index: usize,
    config: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl Validator {
    /// Starts validator `index` of the network in `dir` with `binary`, appending its output
    /// to `<dir>/node-<index>/<log_name>`.
    pub fn start(
        binary: &Path,
        dir: &Path,
        index: usize,
        log_name: &str,
    ) -> Result<Self, LayoutError> {
        let config = layout::node_config_path(dir, index);
        let log = config.with_file_name(log_name);
        let mut validator = Self {
            binary: binary.to_path_buf(),
            index,
            config,
            log,
            child: None,
        };
        validator.spawn()?;
        Ok(validator)
    }

    fn spawn(&mut self) -> Result<(), LayoutError> {
        let io = |source| LayoutError::Io {
            path: self.log.clone(),
            source,
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(io)?;
        let child = Command::new(&self.binary)
            .arg("node")
            .arg("--config")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(file.try_clone().map_err(io)?)
            .stderr(file)
            .spawn()
            .map_err(|source| LayoutError::Io {
                path: self.binary.clone(),
                source,
            })?;
        self.child = Some(child);
        Ok(())
    }

    /// Its index in the network.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Its log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether it has exited, and how.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    /// Kills it with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // It may have exited already; either way it is gone once waited for.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills it with SIGKILL, then starts it again on the same data.
    pub fn restart(&mut self) -> Result<(), LayoutError> {
        self.kill();
        self.spawn()
    }

    /// Asks it to stop (SIGTERM) without waiting.
    fn terminate(&self) {
        if let Some(pid) = self.pid().and_then(|pid| i32::try_from(pid).ok()) {
            let _ = signal::kill(Pid::from_raw(pid), signal::Signal::SIGTERM);
        }
    }

    /// Waits until it has exited, killing it at `deadline`.
    fn reap(&mut self, deadline: Instant) {
        let Some(child) = self.child.as_mut() else {
            return;
        };
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() >= deadline => {
                    eprintln!("validator {} did not stop; killing it", self.index);
                    self.kill();
                    return;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        self.child = None;
    }
}

impl Drop for Validator {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Stops every validator cleanly: SIGTERM to all, then waits, killing any that hang.
pub fn stop(validators: &mut [Validator]) {
    for validator in validators.iter() {
        validator.terminate();
    }
    let deadline = Instant::now() + STOP_TIMEOUT;
    for validator in validators.iter_mut() {
        validator.reap(deadline);
    }
}

/// A fresh network that a command or a test starts for itself: stopped, and its directory
/// removed, when dropped.
#[derive(Debug)]
pub struct Local {
    dir: PathBuf,
    base_port: u16,
    /// Its validators, by index.
    pub validators: Vec<Validator>,
    /// Keep the directory after the drop (for a test that failed, to read its logs).
    pub keep: bool,
}

impl Local {
    /// Writes a new network as `plan` says (replacing whatever is in its directory) and
    /// starts its validators with `binary`.
    pub fn start(binary: &Path, plan: &Plan) -> Result<Self, LayoutError> {
        Self::start_configured(binary, plan, |_| {})
    }

    /// [`Local::start`], each validator's node file changed by `configure` before it starts
    /// (a test's small mempool, a bench's block interval).
    pub fn start_configured(
        binary: &Path,
        plan: &Plan,
        configure: impl Fn(&mut NodeFile),
    ) -> Result<Self, LayoutError> {
        if plan.dir.exists() {
            std::fs::remove_dir_all(&plan.dir).map_err(|source| LayoutError::Io {
                path: plan.dir.clone(),
                source,
            })?;
        }
        layout::write(plan)?;
        for index in 0..plan.validators {
            let path = layout::node_config_path(&plan.dir, index);
            let mut config = NodeConfig::load(&path).map_err(|error| LayoutError::Parse {
                path: path.clone(),
                message: error.to_string(),
            })?;
            configure(&mut config.node);
            layout::write_node_file(&path, &config.node)?;
        }
        Self::start_laid_out(binary, &plan.dir, plan.base_port)
    }

    /// Starts the validators of the network already laid out in `dir` (whose validator 0's
    /// API port is `base_port`) with `binary`: for a caller that edits the layout first.
    pub fn start_laid_out(binary: &Path, dir: &Path, base_port: u16) -> Result<Self, LayoutError> {
        let validators = (0..layout::node_count(dir))
            .map(|index| Validator::start(binary, dir, index, "node.log"))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            dir: dir.to_path_buf(),
            base_port,
            validators,
            keep: false,
        })
    }

    /// The network's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The API port of validator 0 (validator i's is `base_port + i`).
    pub fn base_port(&self) -> u16 {
        self.base_port
    }

    /// A client of each validator's API, by index.
    pub fn nodes(&self) -> Vec<NodeClient> {
        (0..self.validators.len())
            .filter_map(|i| layout::api_address(self.base_port, i).ok())
            .map(|address| NodeClient::new(&format!("http://{address}")))
            .collect()
    }

    /// A client of each validator's API reading as the network's regulator, which reads
    /// everything: for the tests and benchmarks that observe the whole network.
    pub fn observers(&self) -> Result<Vec<NodeClient>, LayoutError> {
        let regulator = credence_crypto::KeyFile::read(&self.dir.join("keys/regulator.json"))?;
        Ok(self
            .nodes()
            .into_iter()
            .map(|node| node.signed_by(regulator.signing.clone()))
            .collect())
    }

    /// Waits until every validator has committed `height`.
    pub async fn wait_for_height(&self, height: u64, timeout: Duration) -> Result<(), ClientError> {
        for node in self.nodes() {
            node.wait_for_height(height, timeout).await?;
        }
        Ok(())
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        stop(&mut self.validators);
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
