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

use anyhow::{Context as _, bail, ensure};
use std::{
    path::{Path, PathBuf},
    process::Command,
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

/// The newest PostgreSQL version's `bin` folder.
pub(crate) fn binaries() -> anyhow::Result<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(DEBIAN_ROOT)
        .with_context(|| {
            format!(
                "PostgreSQL is not installed ({DEBIAN_ROOT} is missing): apt-get install postgresql"
            )
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
        .with_context(|| format!("no {DEBIAN_ROOT}/*/bin/initdb: apt-get install postgresql"))
}

/// The effective user id of this process, from `/proc/self/status`.
fn effective_uid() -> anyhow::Result<u32> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .and_then(|euid| euid.parse().ok())
        .context("no effective uid in /proc/self/status")
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
    pub(crate) fn detect() -> anyhow::Result<Self> {
        if effective_uid()? != 0 {
            return Ok(Self::Me);
        }
        let id = |flag: &str| -> anyhow::Result<u32> {
            let out = Command::new("id").args([flag, "postgres"]).output()?;
            ensure!(
                out.status.success(),
                "running as root, and there is no `postgres` user to run PostgreSQL as"
            );
            Ok(String::from_utf8(out.stdout)?.trim().parse()?)
        };
        Ok(Self::Postgres {
            uid: id("-u")?,
            gid: id("-g")?,
        })
    }

    /// Makes `dir` (created if missing) the server user's, readable by it alone.
    pub(crate) fn own(&self, dir: &Path) -> anyhow::Result<()> {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        // PostgreSQL refuses a data directory others may read.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        if let Self::Postgres { uid, gid } = self {
            std::os::unix::fs::chown(dir, Some(*uid), Some(*gid))
                .with_context(|| format!("handing {} to the postgres user", dir.display()))?;
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
fn run(mut command: Command, what: &str) -> anyhow::Result<()> {
    let out = command
        .output()
        .with_context(|| format!("{what}: could not start {command:?}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
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
    ) -> anyhow::Result<Self> {
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
    ) -> anyhow::Result<Self> {
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

    fn start(&mut self) -> anyhow::Result<()> {
        let mut start = self.run_as.command(&self.bin.join("pg_ctl"));
        start
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(&self.log)
            .args(["-w", "-t", &PG_CTL_TIMEOUT_S.to_string(), "start"]);
        run(start, "pg_ctl start").with_context(|| {
            format!(
                "server log:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            )
        })?;
        self.running = true;
        Ok(())
    }

    /// Stops the server (fast shutdown: clients disconnected, a clean checkpoint).
    pub(crate) fn stop(&mut self) -> anyhow::Result<()> {
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

fn append(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// Makes the primary wait for every standby's flush at each commit, and waits until all of
/// them stream synchronously.
pub(crate) fn require_standbys(
    client: &mut postgres::Client,
    names: &[String],
) -> anyhow::Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let setting = format!("FIRST {} ({})", names.len(), names.join(", "));
    client.batch_execute(&format!(
        "ALTER SYSTEM SET synchronous_standby_names = '{setting}'"
    ))?;
    client.batch_execute("SELECT pg_reload_conf()")?;
    let deadline = Instant::now() + STANDBYS_SYNC_TIMEOUT;
    loop {
        let row = client.query_one(
            "SELECT count(*) FROM pg_stat_replication \
             WHERE sync_state = 'sync' AND state = 'streaming'",
            &[],
        )?;
        let synchronous: i64 = row.get(0);
        if usize::try_from(synchronous).is_ok_and(|n| n == names.len()) {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "only {synchronous} of {} standbys stream synchronously after {:?}",
            names.len(),
            STANDBYS_SYNC_TIMEOUT
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Bytes held by the files under `dir`.
pub(crate) fn bytes_under(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0u64;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                // A file can vanish (WAL recycling) between listing and reading it.
                total = total.saturating_add(entry.metadata().map(|m| m.len()).unwrap_or(0));
            }
        }
    }
    Ok(total)
}
