//! The lab: validators as real `credence node` processes, each in a Linux network namespace
//! of its own with its own address, joined by veth pairs to a bridge in the root namespace
//! (through which the test, the client, reaches every node); and the faults done to them.
//!
//! Everything is named after the test process (`cr<pid>`) and lives in a /24 of 10.231.0.0/16
//! that no route of this machine uses yet; nothing outside the namespaces is contacted. Drop
//! (on success or panic) kills the processes and deletes the namespaces and the bridge; a
//! test process killed outright leaves them behind (`ip netns list | grep ^cr`).

use std::{
    collections::BTreeSet,
    fs::OpenOptions,
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

/// Where every node listens for its peers, on its own address.
pub const P2P_PORT: u16 = 9000;
/// Where every node serves its API, on its own address.
pub const API_PORT: u16 = 8080;
/// Where Debian's libfaketime (package `libfaketime`) keeps its library for threaded
/// programs, by architecture.
const FAKETIME_LIBRARIES: [&str; 2] = [
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
];

/// Debian's libfaketime, which the clock-skew fault needs.
pub fn faketime_library() -> Option<&'static str> {
    FAKETIME_LIBRARIES
        .into_iter()
        .find(|path| Path::new(path).exists())
}

/// Why this machine cannot host the lab: the test is skipped, saying this.
#[derive(Debug)]
pub struct Unavailable(pub String);

/// Runs `ip` with `args`; its error names the command and what `ip` said.
fn ip(args: &[&str]) -> Result<String, String> {
    let command = format!("ip {}", args.join(" "));
    let output = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "`ip` (iproute2) is not installed".to_string(),
            _ => format!("`{command}`: {e}"),
        })?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "`{command}`: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Runs `ip` with `args`, which must succeed once the lab exists.
fn must(args: &[&str]) {
    if let Err(error) = ip(args) {
        panic!("{error}");
    }
}

/// A third octet whose 10.231.x.0/24 no address or route of this machine uses.
fn free_subnet() -> Result<u8, Unavailable> {
    let used = format!(
        "{}{}",
        ip(&["-4", "addr", "show"]).map_err(Unavailable)?,
        ip(&["-4", "route", "show", "table", "all"]).map_err(Unavailable)?
    );
    let start = std::process::id() % 200;
    (0..200)
        .map(|step| u8::try_from(20 + (start + step) % 200).expect("under 220"))
        .find(|x| !used.contains(&format!("10.231.{x}.")))
        .ok_or_else(|| Unavailable("every 10.231.x.0/24 this test may use is taken".into()))
}

/// One validator process, run inside its namespace.
#[derive(Debug)]
pub struct Node {
    /// Its index.
    pub index: usize,
    namespace: String,
    binary: PathBuf,
    config: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    /// Stopped with SIGSTOP.
    paused: bool,
    /// The `FAKETIME` offset it runs under, if its clock is skewed.
    skew: Option<String>,
}

impl Node {
    fn spawn(&mut self, skew: Option<String>) {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("the node's log opens");
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.namespace]);
        if let Some(offset) = &skew {
            let library = faketime_library().expect("libfaketime is installed");
            // `env` sets these for the node alone, after `ip` has entered the namespace.
            // The wall clock is skewed; the monotonic clock (timers) is left as it is, as
            // on a machine whose clock is merely set wrong.
            command.args([
                "env".to_string(),
                format!("LD_PRELOAD={library}"),
                format!("FAKETIME={offset}"),
                "FAKETIME_DONT_FAKE_MONOTONIC=1".to_string(),
            ]);
        }
        // `ip netns exec` and `env` exec the node: the child's pid is the node's.
        let child = command
            .arg(&self.binary)
            .arg("node")
            .arg("--config")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log handle clones"))
            .stderr(log)
            .spawn()
            .expect("`ip netns exec` starts");
        self.child = Some(child);
        self.paused = false;
        self.skew = skew;
    }

    fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let status = Command::new("kill")
                .args(["-s", signal, &child.id().to_string()])
                .status()
                .expect("`kill` runs");
            assert!(status.success(), "kill -s {signal} {}", child.id());
        }
    }

    /// Kills it with SIGKILL (a stopped process dies too) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.paused = false;
        self.skew = None;
    }

    /// Starts it again on its data, its clock skewed by `skew` (a `FAKETIME` offset such as
    /// `+30s`) if given.
    pub fn restart(&mut self, skew: Option<&str>) {
        self.kill();
        self.spawn(skew.map(str::to_string));
    }

    /// Stops it with SIGSTOP.
    pub fn pause(&mut self) {
        self.signal("STOP");
        self.paused = self.child.is_some();
    }

    /// Whether it is running, unpaused, on the true clock.
    fn healthy(&self) -> bool {
        self.child.is_some() && !self.paused && self.skew.is_none()
    }

    /// How it ended, if it exited by itself (no signal of the lab's ended it).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }
}

/// The namespaces, the bridge, the nodes, and the links cut between them.
pub struct Lab {
    subnet: u8,
    /// Namespaces created so far (deleted at drop).
    namespaces: Vec<String>,
    /// The bridge, once created (deleted at drop).
    bridge: Option<String>,
    /// Links cut, as (from, to): a blackhole route in `from`'s namespace to `to`'s address.
    cut: BTreeSet<(usize, usize)>,
    /// The validators, by index.
    pub nodes: Vec<Node>,
    /// The network's files and the nodes' data and logs: removed at drop, kept if the test
    /// failed.
    dir: tempfile::TempDir,
}

impl Lab {
    /// Creates `count` namespaces joined by a bridge. Fails with [`Unavailable`] only if
    /// this machine does not let the test create a namespace at all (no `ip`, not root,
    /// no permission); any later failure is a test failure.
    pub fn create(count: usize) -> Result<Self, Unavailable> {
        let tag = format!("cr{}", std::process::id());
        let subnet = free_subnet()?;
        let mut lab = Self {
            subnet,
            namespaces: Vec::new(),
            bridge: None,
            cut: BTreeSet::new(),
            nodes: Vec::new(),
            dir: tempfile::Builder::new()
                .prefix(&format!("{tag}-"))
                .tempdir()
                .expect("a scratch directory"),
        };
        let first = format!("{tag}-0");
        ip(&["netns", "add", &first]).map_err(Unavailable)?;
        lab.namespaces.push(first);
        for i in 1..count {
            let namespace = format!("{tag}-{i}");
            must(&["netns", "add", &namespace]);
            lab.namespaces.push(namespace);
        }
        let bridge = format!("{tag}b");
        must(&["link", "add", &bridge, "type", "bridge"]);
        lab.bridge = Some(bridge.clone());
        must(&[
            "addr",
            "add",
            &format!("{}/24", lab.bridge_address()),
            "dev",
            &bridge,
        ]);
        must(&["link", "set", &bridge, "up"]);
        for i in 0..count {
            let namespace = lab.namespaces[i].clone();
            let (host, inside) = (format!("{tag}h{i}"), format!("{tag}n{i}"));
            must(&[
                "link", "add", &host, "type", "veth", "peer", "name", &inside,
            ]);
            must(&["link", "set", &inside, "netns", &namespace]);
            must(&["-n", &namespace, "link", "set", &inside, "name", "eth0"]);
            must(&[
                "-n",
                &namespace,
                "addr",
                "add",
                &format!("{}/24", lab.address(i)),
                "dev",
                "eth0",
            ]);
            must(&["-n", &namespace, "link", "set", "eth0", "up"]);
            must(&["-n", &namespace, "link", "set", "lo", "up"]);
            must(&["link", "set", &host, "master", &bridge]);
            must(&["link", "set", &host, "up"]);
        }
        Ok(lab)
    }

    /// The scratch directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Node `i`'s address.
    pub fn address(&self, i: usize) -> Ipv4Addr {
        Ipv4Addr::new(
            10,
            231,
            self.subnet,
            u8::try_from(i + 1).expect("few nodes"),
        )
    }

    /// The bridge's address: the client's, as the nodes see it.
    fn bridge_address(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, 231, self.subnet, 254)
    }

    /// Node `i`'s peer address.
    pub fn p2p(&self, i: usize) -> SocketAddr {
        SocketAddr::from((self.address(i), P2P_PORT))
    }

    /// Node `i`'s API address.
    pub fn api(&self, i: usize) -> SocketAddr {
        SocketAddr::from((self.address(i), API_PORT))
    }

    /// Starts node `i` (the next index) with `binary` and its configuration `config`,
    /// logging beside the configuration.
    pub fn start(&mut self, binary: &Path, config: &Path) {
        let index = self.nodes.len();
        let mut node = Node {
            index,
            namespace: self.namespaces[index].clone(),
            binary: binary.to_path_buf(),
            config: config.to_path_buf(),
            log: config.with_file_name("node.log"),
            child: None,
            paused: false,
            skew: None,
        };
        node.spawn(None);
        self.nodes.push(node);
    }

    /// Cuts the link between nodes `a` and `b`, both ways: each drops what it would send the
    /// other. The client still reaches both.
    pub fn cut(&mut self, a: usize, b: usize) {
        for (from, to) in [(a, b), (b, a)] {
            if self.cut.insert((from, to)) {
                must(&[
                    "-n",
                    &self.namespaces[from],
                    "route",
                    "add",
                    "blackhole",
                    &format!("{}/32", self.address(to)),
                ]);
            }
        }
    }

    /// Mends every cut link, resumes every paused node, and restarts every node that was
    /// killed or runs on a skewed clock on the true one.
    pub fn heal(&mut self) {
        for (from, to) in std::mem::take(&mut self.cut) {
            must(&[
                "-n",
                &self.namespaces[from],
                "route",
                "del",
                "blackhole",
                &format!("{}/32", self.address(to)),
            ]);
        }
        for node in &mut self.nodes {
            if node.paused {
                node.signal("CONT");
                node.paused = false;
            }
            if !node.healthy() {
                node.restart(None);
            }
        }
    }

    /// Whether every link is whole and every node runs, unpaused, on the true clock.
    pub fn healed(&self) -> bool {
        self.cut.is_empty() && self.nodes.iter().all(Node::healthy)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
        for namespace in &self.namespaces {
            if let Err(error) = ip(&["netns", "del", namespace]) {
                eprintln!("cleanup: {error}");
            }
        }
        if let Some(bridge) = &self.bridge
            && let Err(error) = ip(&["link", "del", bridge])
        {
            eprintln!("cleanup: {error}");
        }
        if std::thread::panicking() {
            self.dir.disable_cleanup(true);
            eprintln!("kept {} (network, data, logs)", self.dir.path().display());
        }
    }
}
