//! The PostgreSQL processes: one primary and its synchronous standbys, each with its own data
//! directory under the bureau's directory, listening on loopback TCP only.
//!
//! The servers are Debian's package (`/usr/lib/postgresql/<version>/bin`). PostgreSQL refuses
//! to run as root, so when this process is root every server command runs as the `postgres`
//! user (which the package creates) through `runuser`, and the directories it writes are
//! handed to that user.
//!
//! Durability is never traded for speed: `fsync`, `full_page_writes` and
//! `synchronous_commit` stay on, and with standbys a commit returns only once every standby
//! has flushed it (`synchronous_standby_names = 'FIRST n (s1, …, sn)'`).

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitStatus},
    time::{Duration, Instant},
};

/// Where Debian installs the server binaries, one folder per major version.
const DEBIAN_ROOT: &str = "/usr/lib/postgresql";
/// How long `pg_ctl` may take to start or stop a server.
const PG_CTL_TIMEOUT_S: u64 = 120;
/// How long the primary may take to see every standby streaming synchronously.
const STANDBYS_SYNC_TIMEOUT: Duration = Duration::from_secs(120);
/// Most client connections a server accepts: the load's connections plus headroom.
pub(crate) const CONNECTIONS_MAX: usize = 256;

/// A PostgreSQL server, or the files and tools around it, failed.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Debian's PostgreSQL server package is not installed.
    #[error(
        "PostgreSQL is not installed (no {DEBIAN_ROOT}/*/bin/initdb): apt-get install postgresql"
    )]
    NotInstalled {
        /// Why the package's folder could not be listed, if it could not.
        #[source]
        source: Option<std::io::Error>,
    },
    /// This process is root, and there is no `postgres` user to run the servers as.
    #[error("running as root, and there is no `postgres` user to run PostgreSQL as")]
    NoPostgresUser,
    /// Who this process runs as could not be found out.
    #[error("cannot tell which user this process runs as: {problem}")]
    UnknownUser {
        /// What was missing or malformed.
        problem: String,
    },
    /// A file or directory could not be read or written.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done, as a verb phrase ("create", "read").
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A server tool could not be started at all.
    #[error("{tool}: could not start {command}")]
    Spawn {
        /// The tool (`initdb`, `pg_ctl start`, …).
        tool: &'static str,
        /// The command line.
        command: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A server tool ran and failed.
    #[error("{tool} failed ({status}):\n{output}")]
    Failed {
        /// The tool.
        tool: &'static str,
        /// How it exited.
        status: ExitStatus,
        /// What it printed (standard output, then standard error).
        output: String,
    },
    /// A server did not start; its log says why.
    #[error("the server in {} did not start; its log:\n{log}", data.display())]
    NotStarted {
        /// Its data directory.
        data: PathBuf,
        /// Its log file's contents.
        log: String,
        /// How `pg_ctl start` failed.
        #[source]
        source: Box<ServerError>,
    },
    /// A statement configuring replication failed.
    #[error("the primary refused to {action}")]
    Replication {
        /// What it was asked.
        action: &'static str,
        /// Why.
        #[source]
        source: postgres::Error,
    },
    /// The standbys did not all stream synchronously in time.
    #[error("only {synchronous} of {expected} standbys stream synchronously after {waited:?}")]
    StandbysNotSynchronous {
        /// Standbys streaming synchronously.
        synchronous: i64,
        /// Standbys started.
        expected: usize,
        /// How long the primary was given.
        waited: Duration,
    },
}

/// A [`ServerError::Io`] for `action` on `path`.
fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ServerError {
    let path = path.to_path_buf();
    move |source| ServerError::Io {
        action,
        path,
        source,
    }
}

/// The newest PostgreSQL version's `bin` folder.
pub(crate) fn binaries() -> Result<PathBuf, ServerError> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(DEBIAN_ROOT)
        .map_err(|source| ServerError::NotInstalled {
            source: Some(source),
        })?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, bin)| bin)
        .ok_or(ServerError::NotInstalled { source: None })
}

/// The effective user id of this process, from `/proc/self/status`.
fn effective_uid() -> Result<u32, ServerError> {
    const STATUS: &str = "/proc/self/status";
    let status = std::fs::read_to_string(STATUS).map_err(io("read", Path::new(STATUS)))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .and_then(|euid| euid.parse().ok())
        .ok_or_else(|| ServerError::UnknownUser {
            problem: format!("no effective uid in {STATUS}"),
        })
}

/// Who runs the servers.
#[derive(Clone, Debug)]
pub(crate) enum RunAs {
    /// This process's own user.
    Me,
    /// The `postgres` user (this process is root), with its uid and gid.
    Postgres { uid: u32, gid: u32 },
}

impl RunAs {
    pub(crate) fn detect() -> Result<Self, ServerError> {
        if effective_uid()? != 0 {
            return Ok(Self::Me);
        }
        let id = |flag: &str| -> Result<u32, ServerError> {
            let mut command = Command::new("id");
            command.args([flag, "postgres"]);
            let out = command.output().map_err(|source| ServerError::Spawn {
                tool: "id",
                command: format!("{command:?}"),
                source,
            })?;
            if !out.status.success() {
                return Err(ServerError::NoPostgresUser);
            }
            let text = String::from_utf8_lossy(&out.stdout);
            text.trim().parse().map_err(|_| ServerError::UnknownUser {
                problem: format!("`id {flag} postgres` printed {text:?}"),
            })
        };
        Ok(Self::Postgres {
            uid: id("-u")?,
            gid: id("-g")?,
        })
    }

    /// Makes `dir` (created if missing) the server user's, readable by it alone.
    pub(crate) fn own(&self, dir: &Path) -> Result<(), ServerError> {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::create_dir_all(dir).map_err(io("create", dir))?;
        // PostgreSQL refuses a data directory others may read.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io("restrict to its owner", dir))?;
        if let Self::Postgres { uid, gid } = self {
            std::os::unix::fs::chown(dir, Some(*uid), Some(*gid))
                .map_err(io("hand to the postgres user", dir))?;
        }
        Ok(())
    }

    fn command(&self, program: &Path) -> Command {
        match self {
            Self::Me => Command::new(program),
            Self::Postgres { .. } => {
                let mut command = Command::new("runuser");
                command.args(["-u", "postgres", "--"]).arg(program);
                command
            }
        }
    }
}

/// Runs a server tool to completion, failing with its output if it fails.
fn run(mut command: Command, tool: &'static str) -> Result<(), ServerError> {
    let out = command.output().map_err(|source| ServerError::Spawn {
        tool,
        command: format!("{command:?}"),
        source,
    })?;
    if !out.status.success() {
        return Err(ServerError::Failed {
            tool,
            status: out.status,
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        });
    }
    Ok(())
}

/// One running server.
#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) data: PathBuf,
    pub(crate) port: u16,
    log: PathBuf,
    bin: PathBuf,
    run_as: RunAs,
    running: bool,
}

/// Settings every server gets, appended to its `postgresql.conf` (the last setting wins).
fn common_settings(port: u16, shared_buffers_mb: u32, wal_senders: usize) -> String {
    format!(
        "\n# credence-bureau\n\
         listen_addresses = '127.0.0.1'\n\
         port = {port}\n\
         unix_socket_directories = ''\n\
         max_connections = {CONNECTIONS_MAX}\n\
         shared_buffers = {shared_buffers_mb}MB\n\
         # Durability: every commit is on disk (and on every standby) before it returns.\n\
         fsync = on\n\
         full_page_writes = on\n\
         synchronous_commit = on\n\
         wal_level = replica\n\
         max_wal_senders = {wal_senders}\n\
         max_replication_slots = {wal_senders}\n\
         hot_standby = on\n\
         # Fewer checkpoints during a run: the WAL is still fsynced at every commit.\n\
         max_wal_size = 4GB\n\
         checkpoint_timeout = 15min\n"
    )
}

impl Server {
    /// Creates and starts the primary in `data`.
    pub(crate) fn primary(
        bin: &Path,
        run_as: &RunAs,
        data: &Path,
        port: u16,
        standbys: usize,
    ) -> Result<Self, ServerError> {
        run_as.own(data)?;
        let mut initdb = run_as.command(&bin.join("initdb"));
        initdb.arg("-D").arg(data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ]);
        run(initdb, "initdb")?;
        let settings = common_settings(port, 512, standbys + 4);
        append(&data.join("postgresql.conf"), &settings)?;
        let mut server = Self {
            data: data.to_path_buf(),
            port,
            log: log_path(data),
            bin: bin.to_path_buf(),
            run_as: run_as.clone(),
            running: false,
        };
        server.start()?;
        Ok(server)
    }

    /// Copies the running primary into `data` with `pg_basebackup`, as streaming standby
    /// `name` on `port` (replication slot `name`), and starts it.
    pub(crate) fn standby(
        primary: &Server,
        data: &Path,
        port: u16,
        name: &str,
        wal_senders: usize,
    ) -> Result<Self, ServerError> {
        let run_as = &primary.run_as;
        run_as.own(data)?;
        let mut backup = run_as.command(&primary.bin.join("pg_basebackup"));
        backup
            .args(["-h", "127.0.0.1", "-p", &primary.port.to_string()])
            .args([
                "-U", "postgres", "-X", "stream", "-c", "fast", "-C", "-S", name,
            ])
            .arg("-D")
            .arg(data);
        run(backup, "pg_basebackup")?;
        let settings = format!(
            "{}primary_conninfo = 'host=127.0.0.1 port={} user=postgres application_name={name}'\n\
             primary_slot_name = '{name}'\n",
            common_settings(port, 256, wal_senders),
            primary.port
        );
        append(&data.join("postgresql.conf"), &settings)?;
        append(&data.join("standby.signal"), "")?;
        let mut server = Self {
            data: data.to_path_buf(),
            port,
            log: log_path(data),
            bin: primary.bin.clone(),
            run_as: run_as.clone(),
            running: false,
        };
        server.start()?;
        Ok(server)
    }

    fn start(&mut self) -> Result<(), ServerError> {
        let mut start = self.run_as.command(&self.bin.join("pg_ctl"));
        start
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(&self.log)
            .args(["-w", "-t", &PG_CTL_TIMEOUT_S.to_string(), "start"]);
        run(start, "pg_ctl start").map_err(|source| ServerError::NotStarted {
            data: self.data.clone(),
            log: std::fs::read_to_string(&self.log).unwrap_or_default(),
            source: Box::new(source),
        })?;
        self.running = true;
        Ok(())
    }

    /// Stops the server (fast shutdown: clients disconnected, a clean checkpoint).
    pub(crate) fn stop(&mut self) -> Result<(), ServerError> {
        if !self.running {
            return Ok(());
        }
        self.running = false;
        let mut stop = self.run_as.command(&self.bin.join("pg_ctl"));
        stop.arg("-D").arg(&self.data).args([
            "-m",
            "fast",
            "-w",
            "-t",
            &PG_CTL_TIMEOUT_S.to_string(),
            "stop",
        ]);
        run(stop, "pg_ctl stop")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Nothing to report to from a destructor; a server that will not stop is left to
        // the operating system.
        let _ = self.stop();
    }
}

/// The log file beside a data directory (`…/primary` logs to `…/primary.log`).
fn log_path(data: &Path) -> PathBuf {
    let mut name = data.file_name().unwrap_or_default().to_os_string();
    name.push(".log");
    data.with_file_name(name)
}

fn append(path: &Path, text: &str) -> Result<(), ServerError> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io("open", path))?;
    file.write_all(text.as_bytes())
        .map_err(io("append to", path))
}

/// Makes the primary wait for every standby's flush at each commit, and waits until all of
/// them stream synchronously.
pub(crate) fn require_standbys(
    client: &mut postgres::Client,
    names: &[String],
) -> Result<(), ServerError> {
    let replication = |action| move |source| ServerError::Replication { action, source };
    if names.is_empty() {
        return Ok(());
    }
    let setting = format!("FIRST {} ({})", names.len(), names.join(", "));
    client
        .batch_execute(&format!(
            "ALTER SYSTEM SET synchronous_standby_names = '{setting}'"
        ))
        .map_err(replication("wait for its standbys"))?;
    client
        .batch_execute("SELECT pg_reload_conf()")
        .map_err(replication("reload its configuration"))?;
    let deadline = Instant::now() + STANDBYS_SYNC_TIMEOUT;
    loop {
        let row = client
            .query_one(
                "SELECT count(*) FROM pg_stat_replication \
             WHERE sync_state = 'sync' AND state = 'streaming'",
                &[],
            )
            .map_err(replication("report its standbys"))?;
        let synchronous: i64 = row.get(0);
        if usize::try_from(synchronous).is_ok_and(|n| n == names.len()) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(ServerError::StandbysNotSynchronous {
                synchronous,
                expected: names.len(),
                waited: STANDBYS_SYNC_TIMEOUT,
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Bytes allocated on disk to the files under `dir`, recursively: what the disk holds,
/// counted in the file system's blocks (preallocated and sparse files count what they
/// occupy, not their length). The one measure of `disk B/tx` for the bureau and the
/// validators alike.
pub fn allocated_bytes(dir: &Path) -> Result<u64, ServerError> {
    use std::os::unix::fs::MetadataExt as _;
    let mut total = 0u64;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io("list", &dir))? {
            let entry = entry.map_err(io("list", &dir))?;
            let kind = entry.file_type().map_err(io("inspect", &entry.path()))?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                // A file can vanish (WAL recycling) between listing and reading it.
                let blocks = entry.metadata().map(|m| m.blocks()).unwrap_or(0);
                total = total.saturating_add(blocks.saturating_mul(512));
            }
        }
    }
    Ok(total)
}
