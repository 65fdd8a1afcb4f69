//! The benchmark's centralised baseline: a credit bureau on one PostgreSQL server, or on a
//! primary with synchronous standbys, that checks and stores what the ledger does.
//!
//! [`Bureau::start`] runs the servers (Debian's package) under a directory of its own;
//! [`Bureau::genesis`] loads the consortium; [`Bureau::apply`] runs untimed setup one
//! transaction at a time; [`Bureau::drive`] runs a timed closed-loop load over several
//! connections. Every transaction is handled as a bureau's API would handle a request:
//!
//! 1. the chain id must be the network's, and the Ed25519 signature is verified with the
//!    ledger's own code ([`credence_crypto::verify_one`]), one transaction at a time;
//! 2. one database transaction runs the rule (the ledger's checks for that kind, with its
//!    rejection codes: see `src/rules.rs`) and appends the signed transaction's canonical bytes
//!    to the `transactions` journal under its hash, with a unique `(signer, nonce)`;
//! 3. a rejected transaction's writes are rolled back and its receipt (journal row with
//!    the rejection's number) is committed on its own, consuming the nonce as the ledger
//!    does.
//!
//! Every commit is durable before it returns (`synchronous_commit = on`, `fsync = on`,
//! and with standbys, flushed on every standby).
//!
//! **Replay protection.** The ledger demands each signer's nonces in strict sequence,
//! which its ordering makes possible. A bureau serving concurrent clients has no such order,
//! so it accepts each `(signer, nonce)` once (a unique index) and any order: a replay is
//! refused as `nonce_not_next`, but a gap is not.
//!
//! Refusals that are not ledger rejections: `signature_invalid` (the ledger's admission
//! refuses these before any block) and `kind_not_supported` (a payload kind no workload
//! uses; see `bench/README.md`).

mod rules;
mod server;

use credence_crypto::{VerifiedTransaction, verify_one};
use credence_types::{
    Rejection, SignedTransaction, TimestampMs,
    codec::encode,
    genesis::{ChainId, Genesis},
    transaction::PayloadKind,
};
use postgres::{GenericClient, NoTls, error::SqlState};
use rules::{Ctx, Fail, Statements};
use server::{RunAs, Server};
pub use server::{ServerError, allocated_bytes};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{Barrier, atomic::AtomicUsize, atomic::Ordering},
    time::{Instant, SystemTime, UNIX_EPOCH},
};

/// Most times one transaction is retried after a deadlock or serialization failure.
const RETRIES_MAX: u32 = 100;

/// Why the bureau could not do what it was asked. A transaction the bureau rejects or
/// refuses is not one of these: it is an outcome, in [`Bureau::apply`]'s results and
/// [`Measured::rejected`].
#[derive(Debug, thiserror::Error)]
pub enum BureauError {
    /// A server process, or its files, failed.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The primary could not be reached.
    #[error("cannot connect to the bureau on 127.0.0.1:{port}")]
    Connect {
        /// The primary's port.
        port: u16,
        /// Why.
        #[source]
        source: postgres::Error,
    },
    /// A statement failed (other than the deadlocks the bureau retries).
    #[error("the bureau's database failed while {action}")]
    Sql {
        /// What the bureau was doing ("creating the schema", …).
        action: &'static str,
        /// Why.
        #[source]
        source: postgres::Error,
    },
    /// A genesis institution's signing key could not be recorded: another has it.
    #[error("institution {institution}'s signing key is another institution's")]
    SigningKeyShared {
        /// The institution, by its genesis id.
        institution: i64,
        /// The database's refusal.
        #[source]
        source: postgres::Error,
    },
    /// The standbys' ports would run past 65535.
    #[error("{standbys} standbys after a primary on port {port} run past port 65535")]
    PortsExhausted {
        /// The primary's port.
        port: u16,
        /// Standbys asked for.
        standbys: usize,
    },
    /// [`Bureau::genesis`] was called twice.
    #[error("the bureau already has its genesis")]
    GenesisAlreadyLoaded,
    /// Transactions were sent before [`Bureau::genesis`].
    #[error("load the genesis (Bureau::genesis) first")]
    GenesisMissing,
    /// [`Bureau::drive`] was asked for too few or too many connections.
    #[error("connections must be between 1 and {max}, not {connections}")]
    ConnectionsOutOfRange {
        /// Connections asked for.
        connections: usize,
        /// The most a load may use.
        max: usize,
    },
    /// [`Bureau::drive`]'s warm-up is not a fraction in `[0, 1)`.
    #[error("warmup must be a fraction in [0, 1), not {warmup}")]
    WarmupOutOfRange {
        /// The warm-up asked for.
        warmup: f64,
    },
    /// A client thread of [`Bureau::drive`] panicked.
    #[error("a client thread panicked")]
    ClientPanicked,
}

/// A [`BureauError::Sql`] for `action`.
fn sql(action: &'static str) -> impl FnOnce(postgres::Error) -> BureauError {
    move |source| BureauError::Sql { action, source }
}

/// Whether Debian's PostgreSQL server is installed: what [`Bureau::start`] needs.
pub fn installed() -> bool {
    server::binaries().is_ok()
}

/// A running bureau: its PostgreSQL servers and a connection for setup. Dropping it stops
/// the servers (`pg_ctl stop -m fast`); their data directories stay under `dir`.
pub struct Bureau {
    dir: PathBuf,
    port: u16,
    session: Option<Session>,
    network: Option<Network>,
    clock: Option<TimestampMs>,
    primary: Server,
    standbys: Vec<Server>,
}

impl std::fmt::Debug for Bureau {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bureau")
            .field("dir", &self.dir)
            .field("port", &self.port)
            .field("standbys", &self.standbys.len())
            .finish_non_exhaustive()
    }
}

/// What a timed load measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// Client connections, each a thread running a closed loop.
    pub connections: usize,
    /// Transactions in the load.
    pub transactions: usize,
    /// Transactions after the warm-up: the ones timed.
    pub measured: usize,
    /// From the first timed transaction's start to the last one's commit, in seconds.
    pub elapsed_s: f64,
    /// Timed transactions committed (applied, or rejected with a receipt) per second of
    /// `elapsed_s`. Refusals before the database (signature, chain id, replay) do not count.
    pub throughput_tps: f64,
    /// Median latency of a timed transaction, from taking it off the load (signature check
    /// included) to its commit, in milliseconds.
    pub latency_ms_p50: f64,
    /// 99th-percentile latency of a timed transaction, in milliseconds.
    pub latency_ms_p99: f64,
    /// Transactions of the whole load that applied.
    pub applied: usize,
    /// Transactions of the whole load refused or rejected, by code.
    pub rejected: BTreeMap<String, usize>,
    /// Database transactions retried after a deadlock or serialization failure.
    pub retries: usize,
}

/// What the bureau knows of its network, from the genesis document.
#[derive(Clone, Debug)]
struct Network {
    chain_id: ChainId,
    consent_lifetime_days_max: u16,
}

/// How one transaction ended.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Processed {
    /// Applied and committed; the id of the numbered object it created, if any.
    Applied(Option<u64>),
    /// Broke a rule; its receipt is committed.
    Rejected(Rejection),
    /// Refused before anything was committed.
    Refused(&'static str),
}

impl Processed {
    fn committed(&self) -> bool {
        !matches!(self, Self::Refused(_))
    }

    fn into_result(self) -> Result<Option<u64>, String> {
        match self {
            Self::Applied(id) => Ok(id),
            Self::Rejected(rejection) => Err(rejection.code().to_string()),
            Self::Refused(code) => Err(code.to_string()),
        }
    }
}

fn wall_clock() -> TimestampMs {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    TimestampMs(u64::try_from(ms).unwrap_or(u64::MAX))
}

fn retryable(error: &postgres::Error) -> bool {
    matches!(
        error.code(),
        Some(&SqlState::T_R_DEADLOCK_DETECTED | &SqlState::T_R_SERIALIZATION_FAILURE)
    )
}

fn kind_number(kind: PayloadKind) -> i16 {
    PayloadKind::ALL
        .iter()
        .position(|k| *k == kind)
        .and_then(|i| i16::try_from(i).ok())
        .expect("every kind is in PayloadKind::ALL")
}

/// One client connection with its prepared statements.
struct Session {
    client: postgres::Client,
    statements: Statements,
}

const JOURNAL_SQL: &str = "INSERT INTO transactions (hash, signer, nonce, kind, bytes, outcome, at_ms) \
                           VALUES ($1, $2, $3, $4, $5, $6, $7)";

impl Session {
    fn connect(port: u16) -> Result<Self, BureauError> {
        let client = connect(port)?;
        Ok(Self {
            client,
            statements: Statements::new(),
        })
    }

    /// Handles one transaction: checks, rule, journal, commit; retries after a deadlock.
    /// Returns how it ended and how many retries it took.
    fn process(
        &mut self,
        network: &Network,
        clock: Option<TimestampMs>,
        signed: &SignedTransaction,
    ) -> Result<(Processed, u32), BureauError> {
        let transaction = &signed.transaction;
        if transaction.chain_id != network.chain_id {
            return Ok((Processed::Refused(Rejection::ChainIdMismatch.code()), 0));
        }
        let Ok(verified) = verify_one(signed.clone()) else {
            return Ok((Processed::Refused("signature_invalid"), 0));
        };
        if !rules::supported(&transaction.payload) {
            return Ok((Processed::Refused(rules::UNSUPPORTED), 0));
        }
        let Ok(nonce) = i64::try_from(transaction.nonce) else {
            return Ok((Processed::Refused(Rejection::NonceNotNext.code()), 0));
        };
        let journal = Journal {
            hash: verified.hash().0.to_vec(),
            signer: transaction.signer.0.to_vec(),
            nonce,
            kind: kind_number(transaction.payload.kind()),
            bytes: encode(signed),
        };
        let mut retries = 0;
        loop {
            let now = clock.unwrap_or_else(wall_clock);
            match self.attempt(network, now, &verified, &journal) {
                Ok(processed) => return Ok((processed, retries)),
                Err(error) if retryable(&error) && retries < RETRIES_MAX => retries += 1,
                Err(error) => return Err(sql("processing a transaction")(error)),
            }
        }
    }

    fn attempt(
        &mut self,
        network: &Network,
        now: TimestampMs,
        verified: &VerifiedTransaction,
        journal: &Journal,
    ) -> Result<Processed, postgres::Error> {
        let Self { client, statements } = self;
        let mut tx = client.transaction()?;
        let outcome = {
            let mut ctx = Ctx {
                tx: &mut tx,
                statements,
                now,
                consent_lifetime_days_max: network.consent_lifetime_days_max,
            };
            match rules::apply(&mut ctx, verified) {
                Ok(id) => Ok(id),
                Err(Fail::Reject(rejection)) => Err(rejection),
                Err(Fail::Db(error)) => return Err(error),
            }
        };
        match outcome {
            Ok(id) => {
                if !journal.append(&mut tx, statements, now, None)? {
                    return Ok(Processed::Refused(Rejection::NonceNotNext.code()));
                }
                tx.commit()?;
                Ok(Processed::Applied(id))
            }
            Err(rejection) => {
                // Nothing the rule wrote stays; the receipt commits on its own.
                tx.rollback()?;
                if !journal.append(client, statements, now, Some(rejection))? {
                    return Ok(Processed::Refused(Rejection::NonceNotNext.code()));
                }
                Ok(Processed::Rejected(rejection))
            }
        }
    }
}

/// A transaction's row in the journal.
struct Journal {
    hash: Vec<u8>,
    signer: Vec<u8>,
    nonce: i64,
    kind: i16,
    bytes: Vec<u8>,
}

impl Journal {
    /// Appends the row; false when the signer's nonce (or the transaction) is already in.
    fn append(
        &self,
        client: &mut impl GenericClient,
        statements: &mut Statements,
        now: TimestampMs,
        rejection: Option<Rejection>,
    ) -> Result<bool, postgres::Error> {
        let statement = match statements.get(JOURNAL_SQL) {
            Some(statement) => statement.clone(),
            None => {
                let statement = client.prepare(JOURNAL_SQL)?;
                statements.insert(JOURNAL_SQL, statement.clone());
                statement
            }
        };
        let outcome = rejection.and_then(|r| i16::try_from(r.number()).ok());
        let result = client.execute(
            &statement,
            &[
                &self.hash,
                &self.signer,
                &self.nonce,
                &self.kind,
                &self.bytes,
                &outcome,
                &rules::ms(now),
            ],
        );
        match result {
            Ok(_) => Ok(true),
            Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => Ok(false),
            Err(error) => Err(error),
        }
    }
}

fn connection_string(port: u16) -> String {
    format!("host=127.0.0.1 port={port} user=postgres dbname=postgres connect_timeout=30")
}

/// A new connection to the primary on `port`.
fn connect(port: u16) -> Result<postgres::Client, BureauError> {
    postgres::Client::connect(&connection_string(port), NoTls)
        .map_err(|source| BureauError::Connect { port, source })
}

/// The index where a load's timed part starts.
#[allow(clippy::cast_possible_truncation)] // `warmup` is in [0, 1), so the product fits.
fn warmup_end(len: usize, warmup: f64) -> usize {
    ((len as f64) * warmup).floor() as usize
}

/// The `p`th percentile (`p` in 0–100) of sorted samples, by nearest rank (rounded up);
/// NaN when there are none, so that no figure reads as zero latency. Both sides of the
/// benchmark's comparison use this one.
#[allow(clippy::cast_possible_truncation)] // `p` is in [0, 100], so the rank is an index.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// One transaction of a timed load.
struct Sample {
    index: usize,
    start: Instant,
    end: Instant,
    processed: Processed,
    retries: u32,
}

impl Bureau {
    /// Starts PostgreSQL under `dir`: the primary in `dir/primary` on `127.0.0.1:port`, and
    /// `standbys` streaming standbys in `dir/standby-<i>` on `port + i` (copied with
    /// `pg_basebackup`, each with a replication slot). With standbys, the primary's
    /// `synchronous_standby_names = 'FIRST n (s1, …, sn)'` makes every commit wait for every
    /// standby's flush. `fsync`, `full_page_writes` and `synchronous_commit` are on. Creates
    /// the schema.
    ///
    /// `dir` must not hold a previous bureau. When this process is root, the servers run as
    /// the `postgres` user and `dir` is handed to that user (its parents must let it pass).
    pub fn start(dir: &Path, port: u16, standbys: usize) -> Result<Bureau, BureauError> {
        let last_port = u16::try_from(standbys)
            .ok()
            .and_then(|n| port.checked_add(n))
            .ok_or(BureauError::PortsExhausted { port, standbys })?;
        let bin = server::binaries()?;
        let run_as = RunAs::detect()?;
        run_as.own(dir)?;
        let primary = Server::primary(&bin, &run_as, &dir.join("primary"), port, standbys)?;
        let mut bureau = Bureau {
            dir: dir.to_path_buf(),
            port,
            session: None,
            network: None,
            clock: None,
            primary,
            standbys: Vec::with_capacity(standbys),
        };
        let mut names = Vec::with_capacity(standbys);
        for i in 1..=standbys {
            let name = format!("s{i}");
            let offset = u16::try_from(i).expect("a standby's index must fit in u16 (last_port)");
            let standby_port = port + offset;
            debug_assert!(standby_port <= last_port);
            let standby = Server::standby(
                &bureau.primary,
                &dir.join(format!("standby-{i}")),
                standby_port,
                &name,
                standbys + 4,
            )?;
            bureau.standbys.push(standby);
            names.push(name);
        }
        let mut client = bureau.connect()?;
        server::require_standbys(&mut client, &names)?;
        client
            .batch_execute(include_str!("schema.sql"))
            .map_err(sql("creating the schema"))?;
        Ok(bureau)
    }

    /// Loads the consortium from the chain's genesis: its chain id, its parameters, and its
    /// institutions (ids in order from 0, signing keys, roles).
    pub fn genesis(&mut self, genesis: &Genesis) -> Result<(), BureauError> {
        if self.network.is_some() {
            return Err(BureauError::GenesisAlreadyLoaded);
        }
        let loading = "loading the genesis";
        let mut client = self.connect()?;
        let mut tx = client.transaction().map_err(sql(loading))?;
        tx.execute(
            "INSERT INTO network (chain_id, genesis) VALUES ($1, $2)",
            &[&genesis.chain_id.as_str(), &encode(genesis)],
        )
        .map_err(sql(loading))?;
        for (id, institution) in genesis.institutions.iter().enumerate() {
            let id = i64::try_from(id).expect("a genesis must hold fewer than 2^63 institutions");
            let roles = i16::from(encode(&institution.roles)[0]);
            tx.execute(
                "INSERT INTO institutions (id, name, roles, signing_key, encryption_key) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &id,
                    &institution.name.as_str(),
                    &roles,
                    &institution.signing_key.0.as_slice(),
                    &institution.encryption_key.0.as_slice(),
                ],
            )
            .map_err(sql(loading))?;
            tx.execute(
                "INSERT INTO signers (key, institution) VALUES ($1, $2)",
                &[&institution.signing_key.0.as_slice(), &id],
            )
            .map_err(|source| BureauError::SigningKeyShared {
                institution: id,
                source,
            })?;
        }
        tx.commit().map_err(sql(loading))?;
        self.network = Some(Network {
            chain_id: genesis.chain_id.clone(),
            consent_lifetime_days_max: genesis.parameters.consent_lifetime_days_max,
        });
        Ok(())
    }

    /// Fixes the bureau's clock at `now` (for expiries, due dates, as-of dates), or with
    /// `None` returns it to the wall clock (the default).
    pub fn set_clock(&mut self, now: Option<TimestampMs>) {
        self.clock = now;
    }

    /// Untimed setup: applies `transactions` one at a time, in order, each in its own
    /// database transaction. For each: `Ok(Some(id))` when it created a numbered object
    /// (the record, consent, inquiry, asset class, asset, currency or loan id it assigned,
    /// from 0 like the ledger's), `Ok(None)` when it applied otherwise, `Err(code)` when it
    /// was rejected (a ledger rejection code) or refused (`signature_invalid`,
    /// `chain_id_mismatch`, `nonce_not_next`, `kind_not_supported`).
    pub fn apply(
        &mut self,
        transactions: &[SignedTransaction],
    ) -> Result<Vec<Result<Option<u64>, String>>, BureauError> {
        let network = self.network()?.clone();
        if self.session.is_none() {
            self.session = Some(Session::connect(self.port)?);
        }
        let session = self.session.as_mut().expect("connected just above");
        let mut results = Vec::with_capacity(transactions.len());
        for signed in transactions {
            let (processed, _) = session.process(&network, self.clock, signed)?;
            results.push(processed.into_result());
        }
        Ok(results)
    }

    /// Timed: `connections` client threads, each with its own connection, take the next
    /// transaction off `load` (a closed loop, as fast as the server allows) and handle it
    /// as one synchronously committed database transaction. The first `warmup` fraction of
    /// the load (in `[0, 1)`) is run but not timed. Numbered objects get ids in commit
    /// order, which with several connections is not the load's order.
    pub fn drive(
        &mut self,
        load: &[SignedTransaction],
        connections: usize,
        warmup: f64,
    ) -> Result<Measured, BureauError> {
        let max = server::CONNECTIONS_MAX - 16;
        if !(1..=max).contains(&connections) {
            return Err(BureauError::ConnectionsOutOfRange { connections, max });
        }
        if !(0.0..1.0).contains(&warmup) {
            return Err(BureauError::WarmupOutOfRange { warmup });
        }
        let network = self.network()?.clone();
        let clock = self.clock;
        let port = self.port;
        let next = AtomicUsize::new(0);
        let ready = Barrier::new(connections);
        let per_thread: Vec<Result<Vec<Sample>, BureauError>> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..connections)
                .map(|_| {
                    scope.spawn(|| {
                        let session = Session::connect(port);
                        // Every thread reaches the barrier, connected or not, so none waits
                        // forever for one that failed.
                        ready.wait();
                        let mut session = session?;
                        let mut samples = Vec::new();
                        loop {
                            let index = next.fetch_add(1, Ordering::Relaxed);
                            let Some(signed) = load.get(index) else {
                                break;
                            };
                            let start = Instant::now();
                            let (processed, retries) = session.process(&network, clock, signed)?;
                            samples.push(Sample {
                                index,
                                start,
                                end: Instant::now(),
                                processed,
                                retries,
                            });
                        }
                        Ok(samples)
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|thread| thread.join().unwrap_or(Err(BureauError::ClientPanicked)))
                .collect()
        });
        let mut samples = Vec::with_capacity(load.len());
        for thread in per_thread {
            samples.extend(thread?);
        }
        Ok(summarise(
            samples,
            load.len(),
            connections,
            warmup_end(load.len(), warmup),
        ))
    }

    /// Bytes the primary's data directory occupies on disk (tables, indexes, WAL), for
    /// bytes on disk per record ([`allocated_bytes`]).
    pub fn bytes_on_disk(&self) -> Result<u64, BureauError> {
        Ok(server::allocated_bytes(&self.primary.data)?)
    }

    /// A new connection to the primary, for inspecting what the bureau stored.
    pub fn connect(&self) -> Result<postgres::Client, BureauError> {
        connect(self.port)
    }

    /// The primary's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many synchronous standbys every commit waits for.
    pub fn standbys(&self) -> usize {
        self.standbys.len()
    }

    fn network(&self) -> Result<&Network, BureauError> {
        self.network.as_ref().ok_or(BureauError::GenesisMissing)
    }

    /// Stops every server: the primary, then the standbys.
    pub fn stop(mut self) -> Result<(), BureauError> {
        Ok(self.stop_servers()?)
    }

    fn stop_servers(&mut self) -> Result<(), ServerError> {
        self.session = None;
        let mut result = self.primary.stop();
        for standby in &mut self.standbys {
            result = result.and(standby.stop());
        }
        result
    }
}

impl Drop for Bureau {
    fn drop(&mut self) {
        // A destructor cannot report; `Bureau::stop` does.
        let _ = self.stop_servers();
    }
}

fn summarise(
    samples: Vec<Sample>,
    transactions: usize,
    connections: usize,
    warm: usize,
) -> Measured {
    let mut applied = 0;
    let mut rejected: BTreeMap<String, usize> = BTreeMap::new();
    let mut retries = 0usize;
    let mut window: Option<(Instant, Instant)> = None;
    let mut committed = 0usize;
    let mut latencies_ms = Vec::new();
    for sample in &samples {
        retries = retries.saturating_add(usize::try_from(sample.retries).unwrap_or(usize::MAX));
        match &sample.processed {
            Processed::Applied(_) => applied += 1,
            Processed::Rejected(rejection) => {
                *rejected.entry(rejection.code().to_string()).or_default() += 1;
            }
            Processed::Refused(code) => *rejected.entry((*code).to_string()).or_default() += 1,
        }
        if sample.index < warm {
            continue;
        }
        window = Some(match window {
            None => (sample.start, sample.end),
            Some((start, end)) => (start.min(sample.start), end.max(sample.end)),
        });
        if sample.processed.committed() {
            committed += 1;
        }
        latencies_ms.push(sample.end.duration_since(sample.start).as_secs_f64() * 1e3);
    }
    latencies_ms.sort_by(f64::total_cmp);
    let elapsed_s = window.map_or(0.0, |(start, end)| end.duration_since(start).as_secs_f64());
    Measured {
        connections,
        transactions,
        measured: transactions - warm.min(transactions),
        elapsed_s,
        throughput_tps: if elapsed_s > 0.0 {
            committed as f64 / elapsed_s
        } else {
            0.0
        },
        latency_ms_p50: percentile(&latencies_ms, 50.0),
        latency_ms_p99: percentile(&latencies_ms, 99.0),
        applied,
        rejected,
        retries,
    }
}
