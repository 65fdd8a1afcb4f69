//! `credence`: the command line of a Credence member. Thin glue over the library crates:
//! parse, dispatch to them, print.

mod book;
mod commands;
mod devnet;
mod metro2;
mod output;
mod table;

use clap::{Args, Parser, Subcommand};
use credence_crypto::KeyFile;
use credence_devnet::layout;
use credence_types::{
    ConsentId, DisputeId, InstitutionId, LoanId, RecordId, SubjectId,
    transaction::{InquiryKind, Purpose},
};
use std::path::{Path, PathBuf};

/// jemalloc, not the system's allocator: a validator allocates and frees small buffers on
/// every thread for every transaction, which glibc's `malloc` served with about a tenth of the
/// node's CPU (ARCHITECTURE.md, "Memory allocation").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
        /// Blocks per epoch of a new network (the validator set changes only between
        /// epochs).
        #[arg(long, default_value_t = layout::EPOCH_LENGTH_BLOCKS)]
        epoch_length: u64,
        #[command(subcommand)]
        command: Option<DevnetCommand>,
    },
    /// Run one validator node.
    ///
    /// Example: `credence node --config devnet/node-0/node.toml`; `credence node init …`
    /// writes a configuration.
    #[command(args_conflicts_with_subcommands = true)]
    Node {
        /// The node's configuration file (TOML).
        #[arg(long, required = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: Option<NodeCommand>,
    },
    /// Metro 2 file tools, with no network: validate a file, convert it.
    #[command(subcommand)]
    Metro2(metro2::Metro2Command),
    /// Manage keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Propose and approve governance actions (a member's vote).
    #[command(subcommand)]
    Governance(GovernanceCommand),
    /// Create networks.
    #[command(subcommand)]
    Genesis(GenesisCommand),
    /// Borrowers (subjects).
    #[command(subcommand)]
    Subject(SubjectCommand),
    /// Consents a subject grants to lenders.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Post a credit record (Metro 2 fields from a JSON file), sealed to the subject; or
    /// import a month's Metro 2 file with `--metro2`.
    ///
    /// Example: `credence furnish --key devnet/keys/bank-a.json --subject $ALICE --file tradeline.json`
    ///
    /// Example: `credence furnish --key devnet/keys/bank-a.json --book bank-a-book --metro2 2026-11.m2`
    ///
    /// An import seals each data record (base segment and appended segments) to the consumer
    /// the book's customer map links it to (`credence subject link`), in batches, and
    /// journals every step in the book: run it again after an interruption and it resumes,
    /// furnishing nothing twice. Records with field errors are skipped and listed (with
    /// `--strict`, the whole file is refused); consumers with no link are listed.
    Furnish {
        #[command(flatten)]
        connect: Connect,
        /// The furnishing institution's key file.
        #[arg(long)]
        key: PathBuf,
        /// The subject's pseudonym.
        #[arg(long, required_unless_present = "metro2", conflicts_with = "metro2")]
        subject: Option<SubjectId>,
        /// A JSON file of Metro 2 base-segment fields.
        #[arg(long, required_unless_present = "metro2", conflicts_with = "metro2")]
        file: Option<PathBuf>,
        /// The record this one corrects or updates (the same account's, furnished by you).
        #[arg(long, conflicts_with = "metro2")]
        supersedes: Option<RecordId>,
        /// A Metro 2 file to import (character or packed, or its JSON form).
        #[arg(long, requires = "book")]
        metro2: Option<PathBuf>,
        /// The furnisher's book: its customer map and its imports' journals (a directory,
        /// created if absent; never on the ledger).
        #[arg(long)]
        book: Option<PathBuf>,
        /// Refuse the whole file if any record has a field error.
        #[arg(long, requires = "metro2")]
        strict: bool,
        /// Records signed and submitted together in an import.
        #[arg(long, requires = "metro2", default_value_t = 512, value_parser = clap::value_parser!(u16).range(1..=1024))]
        batch: u16,
    },
    /// Write the records your book furnished as a Metro 2 file (character format), with the
    /// ledger's dispute state as compliance condition codes: XB while a dispute is open, XH
    /// once resolved.
    ///
    /// Example: `credence export --metro2 --key devnet/keys/bank-a.json --book bank-a-book --out bank-a.m2`
    Export {
        #[command(flatten)]
        connect: Connect,
        /// The furnishing institution's key file.
        #[arg(long)]
        key: PathBuf,
        /// Export as Metro 2 (the one format there is).
        #[arg(long, required = true)]
        metro2: bool,
        /// The furnisher's book (see `credence furnish --metro2`).
        #[arg(long)]
        book: PathBuf,
        /// Where to write the file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Disputes of records you furnished.
    #[command(subcommand)]
    Dispute(DisputeCommand),
    /// Pull a subject's credit report and score (records an inquiry under your consent).
    ///
    /// Example: `credence report --key devnet/keys/bank-b.json --subject $ALICE`
    Report {
        #[command(flatten)]
        connect: Connect,
        /// The reading lender's key file.
        #[arg(long)]
        key: PathBuf,
        /// The subject's pseudonym.
        #[arg(long)]
        subject: SubjectId,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Sign and submit any transaction, its payload from a JSON file.
    ///
    /// Example: `credence submit --key devnet/keys/registry.json --file define-class.json`,
    /// where the file holds `{"kind": "define_asset_class", "body": {...}}`.
    Submit {
        #[command(flatten)]
        connect: Connect,
        /// The signer's key file.
        #[arg(long)]
        key: PathBuf,
        /// A JSON file holding the payload.
        #[arg(long)]
        file: PathBuf,
    },
    /// Show a ledger entry by its API path; `--prove` verifies it against the validators.
    ///
    /// Example: `credence show assets/0 --prove`
    Show {
        #[command(flatten)]
        connect: Connect,
        /// Read as the holder of this key file (an institution's or a subject's); without it
        /// only the public routes answer.
        #[arg(long)]
        key: Option<PathBuf>,
        /// The path under /v1, e.g. `loans/0` or `subjects/<pseudonym>`.
        path: String,
        /// Verify the answer: its state proof and the validators' certificate.
        #[arg(long)]
        prove: bool,
    },
    /// Follow the chain's events.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Loans.
    #[command(subcommand)]
    Loan(LoanCommand),
    /// Real assets' identity commitments, for registrars.
    #[command(subcommand)]
    Asset(AssetCommand),
}

#[derive(Subcommand)]
enum DisputeCommand {
    /// List the disputes of records your institution furnished: the open ones, with the
    /// deadline to answer each (an unanswered dispute deletes the account).
    ///
    /// Example: `credence dispute list --key devnet/keys/bank-a.json`
    List {
        #[command(flatten)]
        connect: Connect,
        /// The furnishing institution's key file.
        #[arg(long)]
        key: PathBuf,
        /// Answered and lapsed disputes too.
        #[arg(long)]
        all: bool,
    },
    /// Answer a dispute: verified (the record stands), deleted (the account is withdrawn),
    /// or corrected (a new record, sealed here, replaces the disputed one).
    ///
    /// Example: `credence dispute answer --key devnet/keys/bank-a.json --dispute 0 --answer corrected --file corrected.json`
    Answer {
        #[command(flatten)]
        connect: Connect,
        /// The furnishing institution's key file.
        #[arg(long)]
        key: PathBuf,
        /// The dispute's id.
        #[arg(long)]
        dispute: DisputeId,
        /// verified, deleted or corrected.
        #[arg(long, value_enum)]
        answer: AnswerKind,
        /// For `corrected`: a JSON file of the corrected Metro 2 fields (the same account).
        #[arg(long, required_if_eq("answer", "corrected"))]
        file: Option<PathBuf>,
    },
}

/// How a furnisher answers a dispute, on the command line.
#[derive(Clone, Copy, clap::ValueEnum)]
enum AnswerKind {
    /// The record is accurate as reported.
    Verified,
    /// Withdraw the record: the account is deleted.
    Deleted,
    /// Replace the record with the one in `--file`.
    Corrected,
}

#[derive(Subcommand)]
enum AssetCommand {
    /// Generate the identity secret the registrars of one kind of asset share off-ledger
    /// (into a new file, mode 0600). Every registrar of that kind must use the same secret,
    /// so that one real asset has one commitment whoever registers it.
    ///
    /// Example: `credence asset secret --out vehicles.secret`
    Secret {
        /// File to write; never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the identity commitment of a real asset (the `identity` of `register_asset`):
    /// a keyed hash of its public identifier that the ledger keeps unique and that nobody
    /// without the secret can link back to the identifier.
    ///
    /// Example: `credence asset identity --secret-file vehicles.secret --identifier 1HGCM82633A004352`
    Identity {
        /// The identity secret of this kind of asset.
        #[arg(long)]
        secret_file: PathBuf,
        /// The public identifier: a VIN, a parcel number… (surrounding spaces and letter
        /// case do not matter).
        #[arg(long)]
        identifier: String,
    },
}

#[derive(Subcommand)]
enum LoanCommand {
    /// Repay a loan: by default everything owed today (the payoff), which closes the loan and
    /// unlocks its collateral.
    ///
    /// Example: `credence loan repay --key alice.json --loan 0`
    Repay {
        #[command(flatten)]
        connect: Connect,
        /// The payer's key file (the borrower, or anyone on its behalf).
        #[arg(long)]
        key: PathBuf,
        /// The loan's id.
        #[arg(long)]
        loan: LoanId,
        /// Amount in minor units (default: the payoff).
        #[arg(long)]
        amount: Option<u64>,
    },
}

/// Which node to talk to, and the network file to trust.
#[derive(Args, Clone)]
struct Connect {
    /// The node's API.
    #[arg(long, env = "CREDENCE_NODE", default_value = "http://127.0.0.1:8080")]
    node: String,
    /// The network file (chain id, audit key, validators).
    #[arg(long, env = "CREDENCE_NETWORK", default_value = "devnet/network.json")]
    network: PathBuf,
    /// For an `https://` node: trust only the certificates (or CA) in this PEM file instead
    /// of the system's authorities.
    #[arg(long, env = "CREDENCE_TLS_CA")]
    tls_ca: Option<PathBuf>,
}

#[derive(Subcommand)]
enum SubjectCommand {
    /// Register the subject whose key file this is; prints its pseudonym.
    ///
    /// Example: `credence keys generate --out alice.json && credence subject register --key alice.json`
    Register {
        #[command(flatten)]
        connect: Connect,
        /// The subject's key file (its encryption key is its first report key).
        #[arg(long)]
        key: PathBuf,
    },
    /// Link consumers to their pseudonyms in a furnisher's book (its customer map, kept at
    /// the furnisher and never on the ledger), as KYC finds them: `credence furnish
    /// --metro2` seals each record to the consumer its social security number, or else its
    /// account number, is linked to. The book keeps only salted digests of identifiers.
    ///
    /// Example: `credence subject link --key devnet/keys/bank-a.json --book bank-a-book --ssn 666-12-3456 --subject $ALICE`
    Link {
        #[command(flatten)]
        connect: Connect,
        /// The furnishing institution's key file.
        #[arg(long)]
        key: PathBuf,
        /// The furnisher's book (a directory, created if absent).
        #[arg(long)]
        book: PathBuf,
        /// The consumer's pseudonym (a registered subject).
        #[arg(long, required_unless_present = "links")]
        subject: Option<SubjectId>,
        /// The consumer's social security number.
        #[arg(long, conflicts_with_all = ["account", "links"], required_unless_present_any = ["account", "links"])]
        ssn: Option<String>,
        /// The consumer's account number with the furnisher.
        #[arg(long, conflicts_with = "links")]
        account: Option<String>,
        /// Many links at once: lines `ssn,IDENTIFIER,PSEUDONYM` or
        /// `account,IDENTIFIER,PSEUDONYM` (`-` for standard input).
        #[arg(long, conflicts_with = "subject")]
        links: Option<PathBuf>,
    },
    /// Move the subject's report key to its next epoch; every active consent keeps access.
    ///
    /// Example: `credence subject rotate-key --key alice.json`
    RotateKey {
        #[command(flatten)]
        connect: Connect,
        /// The subject's key file.
        #[arg(long)]
        key: PathBuf,
    },
}

#[derive(Subcommand)]
enum ConsentCommand {
    /// List the consents the subject gave, with the newest report-key epoch each lender
    /// holds: what it can open (records sealed to that epoch and earlier), and no more.
    ///
    /// Example: `credence consent list --key alice.json`
    List {
        #[command(flatten)]
        connect: Connect,
        /// The subject's key file.
        #[arg(long)]
        key: PathBuf,
    },
    /// Grant a lender access to the subject's file; prints the consent id.
    ///
    /// Example: `credence consent grant --key alice.json --lender 1 --purpose credit-application`
    Grant {
        #[command(flatten)]
        connect: Connect,
        /// The subject's key file.
        #[arg(long)]
        key: PathBuf,
        /// The lender's institution id.
        #[arg(long)]
        lender: InstitutionId,
        /// Why the lender reads: credit-application, account-review (also subscribes it to
        /// risk alerts), collections, insurance, employment, tenancy.
        #[arg(long, default_value = "credit-application", value_parser = parse_purpose)]
        purpose: Purpose,
        /// hard (counts as credit sought) or soft.
        #[arg(long, default_value = "hard", value_parser = parse_kind)]
        kind: InquiryKind,
        /// Days until it expires.
        #[arg(long, default_value_t = 365)]
        days: u64,
    },
    /// Revoke a consent: the subject's report key rotates, so records furnished from now on
    /// stay closed to that lender; the other consents keep access.
    ///
    /// Example: `credence consent revoke --key alice.json --consent 0`
    Revoke {
        #[command(flatten)]
        connect: Connect,
        /// The subject's key file.
        #[arg(long)]
        key: PathBuf,
        /// The consent's id.
        #[arg(long)]
        consent: ConsentId,
    },
}

#[derive(Subcommand)]
enum EventsCommand {
    /// A live tail of the event stream; reconnects and resumes without a gap.
    ///
    /// Example: `credence events follow --kinds adverse,loan_defaulted`
    Follow {
        #[command(flatten)]
        connect: Connect,
        /// Read as the holder of this key file: a lender follows its own risk feed
        /// (`--watcher`), a subject its own events (`--subject`), validators and the regulator
        /// everything.
        #[arg(long)]
        key: Option<PathBuf>,
        /// Only these kinds (comma-separated).
        #[arg(long)]
        kinds: Option<String>,
        /// Only events about this subject.
        #[arg(long)]
        subject: Option<SubjectId>,
        /// Start at this height (default: the next block).
        #[arg(long)]
        from: Option<u64>,
        /// A lender's risk feed: adverse events on subjects it holds an account-review
        /// consent on.
        #[arg(long)]
        watcher: Option<InstitutionId>,
    },
}

fn parse_purpose(text: &str) -> Result<Purpose, String> {
    serde_json::from_value(serde_json::Value::String(text.replace('-', "_")))
        .map_err(|_| format!("unknown purpose `{text}`"))
}

fn parse_kind(text: &str) -> Result<InquiryKind, String> {
    serde_json::from_value(serde_json::Value::String(text.to_lowercase()))
        .map_err(|_| format!("unknown kind `{text}`: hard or soft"))
}

/// Runs `work` on a runtime for the client commands.
fn client<T>(work: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(work)
}

impl Connect {
    /// A client of the node, anonymous.
    fn client(&self) -> anyhow::Result<credence_client::NodeClient> {
        Ok(match &self.tls_ca {
            Some(path) => {
                let pem =
                    std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                credence_client::NodeClient::with_tls_roots(&self.node, &pem)?
            }
            None => credence_client::NodeClient::new(&self.node),
        })
    }

    /// A session with the node, trusting the network file, reading anonymously (public
    /// routes only).
    fn session(&self) -> anyhow::Result<credence_client::Session> {
        Ok(credence_client::Session::open(
            self.client()?,
            &self.network,
        )?)
    }

    /// A session reading as the holder of the key file at `key`: every request signed.
    fn session_as(&self, key: &Path) -> anyhow::Result<credence_client::Session> {
        Ok(self.session()?.reading_as(&key_file(key)?))
    }

    /// A session reading as `key` when given, else anonymously.
    fn session_maybe_as(&self, key: Option<&Path>) -> anyhow::Result<credence_client::Session> {
        match key {
            Some(key) => self.session_as(key),
            None => self.session(),
        }
    }
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
    /// Generate a validator's consensus key into a new file (mode 0600): a key of its own,
    /// never the institution's signing key.
    ///
    /// Example: `credence keys consensus --out bank-e.consensus.json`
    Consensus {
        /// File to write; never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// The key ceremony, on the institution's own machine: generate its keys (and its
    /// consensus key if it validates) into `--out`, and write `<name>.public.json`, the only
    /// file it sends to the others.
    ///
    /// Example: `credence keys institution --name bank-a --roles validator,furnisher,lender
    /// --p2p 203.0.113.10:9000 --out keys`
    Institution {
        /// The institution's handle.
        #[arg(long)]
        name: String,
        /// Its roles, comma-separated: validator, furnisher, lender, registrar, regulator.
        #[arg(long, value_delimiter = ',', value_parser = parse_role)]
        roles: Vec<credence_types::Role>,
        /// A validator's p2p address, as its peers reach it (IPv4 address:port).
        #[arg(long)]
        p2p: Option<std::net::SocketAddr>,
        /// Directory to write into; no file is ever overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// The regulator's part of the ceremony: generate the audit key into `--out/audit.json`,
    /// which never leaves its machine, and write `audit.public.json` to publish.
    ///
    /// Example: `credence keys audit --out regulator-keys`
    Audit {
        /// Directory to write into; no file is ever overwritten.
        #[arg(long)]
        out: PathBuf,
    },
}

fn parse_role(text: &str) -> Result<credence_types::Role, String> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_lowercase()))
        .map_err(|_| format!("unknown role `{text}`"))
}

#[derive(Subcommand)]
enum NodeCommand {
    /// Write a node's configuration (`node.toml`) from the institution's key files and the
    /// network file. Paths are written as given (relative ones are read relative to the
    /// configuration's directory).
    ///
    /// Example: `credence node init --dir /etc/credence --key keys/bank-a.json
    /// --consensus-key keys/bank-a.consensus.json --network network.json
    /// --p2p 0.0.0.0:9000 --api 0.0.0.0:8443 --tls-certificate tls/node.crt --tls-key tls/node.key`
    Init {
        /// Directory to write `node.toml` into.
        #[arg(long)]
        dir: PathBuf,
        /// The institution's key file.
        #[arg(long)]
        key: PathBuf,
        /// The validator's consensus key file.
        #[arg(long)]
        consensus_key: PathBuf,
        /// The network file.
        #[arg(long)]
        network: PathBuf,
        /// Where the node listens for its peers.
        #[arg(long)]
        p2p: std::net::SocketAddr,
        /// Where the API and console listen.
        #[arg(long)]
        api: std::net::SocketAddr,
        /// The API's certificate chain (PEM); with `--tls-key`, the API serves HTTPS.
        #[arg(long, requires = "tls_key")]
        tls_certificate: Option<PathBuf>,
        /// The API's private key (PEM).
        #[arg(long, requires = "tls_certificate")]
        tls_key: Option<PathBuf>,
        /// Where Prometheus scrapes `/metrics`.
        #[arg(long)]
        metrics: Option<std::net::SocketAddr>,
        /// Where the node keeps its data.
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// A file holding the console's operator token.
        #[arg(long)]
        operator_token_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DevnetCommand {
    /// Add a validator to the running devnet in `--dir`: lay out its keys and configuration,
    /// start its node, have the members admit it by governance, and wait until an epoch
    /// seats it; then run it until Ctrl-C.
    ///
    /// Example: `credence devnet` in one terminal, then `credence devnet add-validator`.
    AddValidator,
}

#[derive(Subcommand)]
enum GovernanceCommand {
    /// Propose a governance action (JSON, as in the API's `GovernanceAction`); the
    /// proposer's approval counts. Prints the proposal's id.
    ///
    /// Example: `credence governance propose --key devnet/keys/bank-a.json --action suspend.json`
    /// with `{"suspend_institution": 1}` in suspend.json.
    Propose {
        #[command(flatten)]
        connect: Connect,
        /// The proposing member's key file.
        #[arg(long)]
        key: PathBuf,
        /// A JSON file holding the action.
        #[arg(long)]
        action: PathBuf,
        /// Days the proposal stays open.
        #[arg(long, default_value_t = 7)]
        days: u32,
    },
    /// Approve a proposal; the approval that reaches the threshold enacts it.
    ///
    /// Example: `credence governance approve --key devnet/keys/bank-b.json --proposal 0`
    Approve {
        #[command(flatten)]
        connect: Connect,
        /// The approving member's key file.
        #[arg(long)]
        key: PathBuf,
        /// The proposal's id.
        #[arg(long)]
        proposal: u64,
    },
}

#[derive(Subcommand)]
enum GenesisCommand {
    /// Assemble the network file from the institutions' public-key files and the audit key's
    /// public file, then print its digest for every institution to compare out of band.
    ///
    /// Example: `credence genesis assemble --chain-id consortium-1 --member bank-a.public.json
    /// --member bank-b.public.json … --audit audit.public.json --out network.json`
    Assemble {
        /// Chain id.
        #[arg(long)]
        chain_id: String,
        /// A member's public-key file, in institution-id order (repeat).
        #[arg(long = "member", required = true)]
        members: Vec<PathBuf>,
        /// The audit key's public file.
        #[arg(long)]
        audit: PathBuf,
        /// Genesis time, Unix milliseconds (default: now). Give it so that every assembler
        /// of the same files gets the same digest.
        #[arg(long)]
        genesis_time: Option<u64>,
        /// Blocks per epoch.
        #[arg(long, default_value_t = layout::EPOCH_LENGTH_BLOCKS)]
        epoch_length: u64,
        /// File to write; never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print a network file's digest: compare it out of band with every other institution
    /// before starting a node on it.
    ///
    /// Example: `credence genesis digest network.json`
    Digest {
        /// The network file.
        file: PathBuf,
    },
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
    credence_node::run::init_logging();
    match Cli::parse().command {
        Command::Devnet {
            validators,
            dir,
            base_port,
            fresh,
            epoch_length,
            command,
        } => {
            let options = devnet::Options {
                validators,
                dir,
                base_port,
                fresh,
                epoch_length,
            };
            match command {
                None => devnet::run(&options),
                Some(DevnetCommand::AddValidator) => devnet::add_validator(&options),
            }
        }
        Command::Governance(GovernanceCommand::Propose {
            connect,
            key,
            action,
            days,
        }) => client(async {
            let action = commands::read_json(&action, "a governance action")?;
            let voted = commands::wait(connect.session_as(&key)?.propose(
                &key_file(&key)?,
                action,
                days,
            ))
            .await?;
            output::finalised(&voted.finalised);
            output::voted(&voted);
            Ok(())
        }),
        Command::Governance(GovernanceCommand::Approve {
            connect,
            key,
            proposal,
        }) => client(async {
            let voted = commands::wait(
                connect
                    .session()?
                    .approve(&key_file(&key)?, credence_types::ProposalId(proposal)),
            )
            .await?;
            output::finalised(&voted.finalised);
            output::voted(&voted);
            Ok(())
        }),
        Command::Subject(SubjectCommand::Register { connect, key }) => client(async {
            let (id, done) =
                commands::wait(connect.session_as(&key)?.register(&key_file(&key)?)).await?;
            output::finalised(&done);
            println!("{id}");
            Ok(())
        }),
        Command::Subject(SubjectCommand::Link {
            connect,
            key,
            book,
            subject,
            ssn,
            account,
            links,
        }) => client(async {
            let links = match (links, subject, ssn, account) {
                (Some(path), ..) => book::read_links(&path)?,
                (None, Some(subject), Some(ssn), None) => {
                    vec![(book::Identifier::Ssn(ssn), subject)]
                }
                (None, Some(subject), None, Some(number)) => {
                    vec![(book::Identifier::Account(number), subject)]
                }
                _ => anyhow::bail!("--subject with --ssn or --account, or --links"),
            };
            book::link(&connect.session_as(&key)?, &key_file(&key)?, &book, links).await
        }),
        Command::Subject(SubjectCommand::RotateKey { connect, key }) => client(async {
            let done = commands::wait(connect.session_as(&key)?.rotate(&key_file(&key)?)).await?;
            output::finalised(&done);
            Ok(())
        }),
        Command::Consent(ConsentCommand::Grant {
            connect,
            key,
            lender,
            purpose,
            kind,
            days,
        }) => client(async {
            let session = connect.session_as(&key)?;
            let (consent, done) =
                commands::wait(session.grant(&key_file(&key)?, lender, purpose, kind, days))
                    .await?;
            output::finalised(&done);
            println!("{consent}");
            Ok(())
        }),
        Command::Consent(ConsentCommand::List { connect, key }) => {
            client(async { commands::consents(&connect.session_as(&key)?, &key_file(&key)?).await })
        }
        Command::Consent(ConsentCommand::Revoke {
            connect,
            key,
            consent,
        }) => client(async {
            let done =
                commands::wait(connect.session_as(&key)?.revoke(&key_file(&key)?, consent)).await?;
            output::finalised(&done);
            Ok(())
        }),
        Command::Furnish {
            connect,
            key,
            subject,
            file,
            supersedes,
            metro2,
            book,
            strict,
            batch,
        } => client(async {
            let session = connect.session_as(&key)?;
            if let (Some(metro2), Some(book)) = (metro2, book) {
                let options = credence_client::furnishing::import::Options {
                    strict,
                    batch: usize::from(batch),
                    ..credence_client::furnishing::import::Options::default()
                };
                return book::furnish(&session, &key_file(&key)?, &book, &metro2, &options).await;
            }
            let (Some(subject), Some(file)) = (subject, file) else {
                anyhow::bail!("--subject and --file, or --metro2 and --book");
            };
            let tradeline = commands::read_json(&file, "a Metro 2 tradeline")?;
            let done =
                commands::wait(session.furnish(&key_file(&key)?, &subject, tradeline, supersedes))
                    .await?;
            output::finalised(&done);
            Ok(())
        }),
        Command::Export {
            connect,
            key,
            metro2: _,
            book,
            out,
        } => client(async {
            book::export_file(&connect.session_as(&key)?, &key_file(&key)?, &book, &out).await
        }),
        Command::Dispute(DisputeCommand::List { connect, key, all }) => client(async {
            commands::disputes(&connect.session_as(&key)?, &key_file(&key)?, all).await
        }),
        Command::Dispute(DisputeCommand::Answer {
            connect,
            key,
            dispute,
            answer,
            file,
        }) => client(async {
            use credence_client::disputes::Answer;
            let answer = match (answer, file) {
                (AnswerKind::Verified, _) => Answer::Verified,
                (AnswerKind::Deleted, _) => Answer::Deleted,
                (AnswerKind::Corrected, Some(file)) => {
                    Answer::Corrected(Box::new(commands::read_json(&file, "a Metro 2 tradeline")?))
                }
                (AnswerKind::Corrected, None) => anyhow::bail!("--answer corrected needs --file"),
            };
            let session = connect.session_as(&key)?;
            let done =
                commands::wait(session.answer_dispute(&key_file(&key)?, dispute, answer)).await?;
            output::finalised(&done);
            Ok(())
        }),
        Command::Report {
            connect,
            key,
            subject,
            json,
        } => client(async {
            let report =
                commands::wait(connect.session_as(&key)?.report(&key_file(&key)?, &subject))
                    .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                use std::io::IsTerminal as _;
                print!(
                    "{}",
                    table::report(&report, std::io::stdout().is_terminal())
                );
            }
            Ok(())
        }),
        Command::Submit { connect, key, file } => client(async {
            let payload = commands::read_json(&file, "a transaction payload")?;
            let done = commands::wait(
                connect
                    .session_as(&key)?
                    .transact(&key_file(&key)?, payload),
            )
            .await?;
            output::finalised(&done);
            Ok(())
        }),
        Command::Show {
            connect,
            key,
            path,
            prove,
        } => client(async {
            commands::show(&connect.session_maybe_as(key.as_deref())?, &path, prove).await
        }),
        Command::Events(EventsCommand::Follow {
            connect,
            key,
            kinds,
            subject,
            from,
            watcher,
        }) => client(async {
            let query = credence_types::api::EventsQuery {
                after: None,
                from: from.map(credence_types::Height),
                kinds,
                subject,
                watcher,
            };
            commands::follow(&connect.session_maybe_as(key.as_deref())?, query).await
        }),
        Command::Loan(LoanCommand::Repay {
            connect,
            key,
            loan,
            amount,
        }) => client(async {
            let session = connect.session_as(&key)?;
            let (paid, done) = commands::wait(session.repay(
                &key_file(&key)?,
                loan,
                amount.map(credence_types::money::Amount),
            ))
            .await?;
            output::say(&format!("repaid {paid} (minor units) on {loan}"));
            output::finalised(&done);
            Ok(())
        }),
        Command::Node {
            command:
                Some(NodeCommand::Init {
                    dir,
                    key,
                    consensus_key,
                    network,
                    p2p,
                    api,
                    tls_certificate,
                    tls_key,
                    metrics,
                    data_dir,
                    operator_token_file,
                }),
            ..
        } => {
            let node = credence_node::config::NodeFile {
                data_dir,
                key_file: key,
                consensus_key_file: consensus_key,
                network_file: network,
                p2p_listen: p2p,
                api_listen: api,
                tls: tls_certificate
                    .zip(tls_key)
                    .map(
                        |(certificate_file, key_file)| credence_node::config::TlsSection {
                            certificate_file,
                            key_file,
                        },
                    ),
                insecure_plain_http: false,
                metrics_listen: metrics,
                blocks: Default::default(),
                mempool: Default::default(),
                store: Default::default(),
                worker_threads: 2,
                console: credence_node::config::ConsoleSection {
                    operator_token_file,
                },
            };
            std::fs::create_dir_all(&dir)?;
            let path = dir.join("node.toml");
            anyhow::ensure!(!path.exists(), "{} already exists", path.display());
            layout::write_node_file(&path, &node)?;
            // Check it as the node will, so a mistake shows now rather than at start-up.
            credence_node::config::NodeConfig::load(&path)?;
            println!("written to {}", path.display());
            println!("  credence node --config {}", path.display());
            Ok(())
        }
        Command::Metro2(command) => metro2::run(command),
        Command::Node { config, .. } => {
            let config = config.ok_or_else(|| anyhow::anyhow!("--config is required"))?;
            let config = credence_node::config::NodeConfig::load(&config)?;
            let console = credence_console::Console::for_node(&config)?.router();
            credence_node::run::run(config, console)?;
            Ok(())
        }
        Command::Asset(AssetCommand::Secret { out }) => {
            credence_crypto::IdentitySecret::generate().write(&out)?;
            println!("identity secret written to {}", out.display());
            Ok(())
        }
        Command::Asset(AssetCommand::Identity {
            secret_file,
            identifier,
        }) => {
            use anyhow::Context as _;
            let secret = credence_crypto::IdentitySecret::read(&secret_file)
                .with_context(|| format!("reading the secret file {}", secret_file.display()))?;
            println!("{}", secret.commit(&identifier));
            Ok(())
        }
        Command::Keys(KeysCommand::Consensus { out }) => {
            let key = credence_crypto::ConsensusKeyFile::generate();
            key.write(&out)?;
            println!("consensus key  {}", key.key.public_key());
            println!("written to     {}", out.display());
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
        Command::Keys(KeysCommand::Institution {
            name,
            roles,
            p2p,
            out,
        }) => {
            let roles = credence_types::Roles::of(&roles);
            let (files, public) =
                credence_devnet::ceremony::generate_institution(&out, &name, roles, p2p)?;
            println!("signing key    {}", public.signing_key);
            println!("encryption key {}", public.encryption_key);
            if let Some(seat) = &public.consensus {
                println!("consensus key  {} at {}", seat.key, seat.address);
            }
            println!(
                "private keys   {} (never leave this machine)",
                files.keys.display()
            );
            if let Some(consensus) = &files.consensus {
                println!("               {}", consensus.display());
            }
            println!("publish        {}", files.public.display());
            Ok(())
        }
        Command::Keys(KeysCommand::Audit { out }) => {
            let (public_path, public) = credence_devnet::ceremony::generate_audit(&out)?;
            println!("audit key      {}", public.audit_key);
            println!(
                "private key    {} (the regulator's alone)",
                out.join("audit.json").display()
            );
            println!("publish        {}", public_path.display());
            Ok(())
        }
        Command::Genesis(GenesisCommand::Assemble {
            chain_id,
            members,
            audit,
            genesis_time,
            epoch_length,
            out,
        }) => {
            use credence_devnet::ceremony;
            let members = members
                .iter()
                .map(|path| ceremony::read_json(path))
                .collect::<Result<Vec<ceremony::PublicKeyFile>, _>>()?;
            let genesis_time = match genesis_time {
                Some(ms) => credence_types::TimestampMs(ms),
                None => layout::now()?,
            };
            let network = ceremony::assemble(
                &ceremony::Founding {
                    chain_id,
                    genesis_time,
                    epoch_length_blocks: epoch_length,
                },
                members,
                &ceremony::read_json(&audit)?,
            )?;
            ceremony::write_json(&out, &network)?;
            println!("network file   {}", out.display());
            println!("digest         {}", ceremony::network_digest(&network));
            println!("Every institution runs `credence genesis digest` on the file it received");
            println!("and compares the digest with the others out of band before starting.");
            Ok(())
        }
        Command::Genesis(GenesisCommand::Digest { file }) => {
            use credence_devnet::ceremony;
            let network: credence_node::config::NetworkFile = ceremony::read_json(&file)?;
            network
                .validate()
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            println!("{}", ceremony::network_digest(&network));
            Ok(())
        }
        Command::Genesis(GenesisCommand::Init {
            validators,
            dir,
            chain_id,
            base_port,
        }) => {
            layout::write(&layout::Plan {
                dir: dir.clone(),
                validators,
                chain_id,
                base_port,
                genesis_time: layout::now()?,
                epoch_length_blocks: layout::EPOCH_LENGTH_BLOCKS,
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

/// Reads a key file, naming it if it cannot.
fn key_file(path: &std::path::Path) -> anyhow::Result<KeyFile> {
    use anyhow::Context as _;
    KeyFile::read(path).with_context(|| format!("reading the key file {}", path.display()))
}
