//! The JSON shapes of the node API, shared by the node that serves them and the clients that
//! read them, so the two cannot drift.

use crate::{Digest, Height, TimestampMs, block::BlockHeader, receipt::Outcome};

/// An error: a stable code and a message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// The stable code (snake_case).
    pub code: String,
    /// What was wrong.
    pub message: String,
}

/// `POST /v1/transactions`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// The encoded signed transaction, hex.
    pub transaction: String,
}

/// A submitted transaction's hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Submitted {
    /// The hash.
    pub hash: Digest,
}

/// `POST /v1/transactions/encode`: a transaction's signing bytes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Encoded {
    /// The canonical encoding the signer signs (under the `credence/tx` namespace), hex. The
    /// signed transaction is these bytes followed by the 64-byte signature.
    pub signing_bytes: String,
}

/// `POST /v1/transactions/batch`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The encoded signed transactions, hex, in order.
    pub transactions: Vec<String>,
}

/// The result of one transaction of a batch.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum BatchItem {
    /// Accepted.
    Accepted {
        /// Its hash.
        hash: Digest,
    },
    /// Refused.
    Refused {
        /// The stable error code.
        code: String,
        /// Why.
        message: String,
    },
}

/// A transaction's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum TransactionStatus {
    /// Waiting in the node's mempool.
    Pending,
    /// In a finalised block.
    Finalized {
        /// The block's height.
        height: Height,
        /// Its position in the block.
        index: u32,
        /// Applied, or rejected with a code.
        outcome: Outcome,
    },
}

/// Most hashes one `POST /v1/transactions/lookup` names.
pub const LOOKUP_HASHES_MAX: usize = 4_096;

/// `POST /v1/transactions/lookup`: transactions to look up, by hash.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    /// The transactions' hashes, hex; at most [`LOOKUP_HASHES_MAX`].
    pub hashes: Vec<Digest>,
}

/// `POST /v1/transactions/lookup` query: the digest of the body, so the request's signature
/// (over its path and query) covers the hashes it asks about.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct LookupQuery {
    /// [`crate::access::body_digest`] of the request body, hex.
    pub digest: Digest,
}

/// What a node knows of one transaction it was asked about, with the events of a finalised
/// one: a follower settles thousands of its transactions in one request.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum TransactionLookup {
    /// Neither pending nor finalised.
    Unknown,
    /// Waiting in the node's mempool.
    Pending,
    /// In a finalised block.
    Finalized {
        /// The block's height.
        height: Height,
        /// Its position in the block.
        index: u32,
        /// Applied, or rejected with a code.
        outcome: Outcome,
        /// The events it caused, in block order.
        events: Vec<StreamedEvent>,
    },
}

/// A subject's current report key: what a furnisher seals a record to, and all it reads of
/// the subject without a consent.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportKeyView {
    /// The subject.
    pub subject: crate::SubjectId,
    /// Its current report key.
    pub report_key: crate::EncryptionKey,
    /// That key's epoch.
    pub epoch: u32,
}

/// The node's view of the chain.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Status {
    /// The chain id.
    pub chain_id: String,
    /// Height of the last finalised and committed block.
    pub height: Height,
    /// Its digest.
    pub block: Digest,
    /// Its state root.
    pub state_root: Digest,
    /// Its time.
    pub time: TimestampMs,
    /// Transactions in the node's mempool.
    pub mempool: usize,
}

/// A committed block as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockSummary {
    /// Its digest.
    pub digest: Digest,
    /// Its header.
    pub header: BlockHeader,
    /// Its transactions' hashes, in order.
    pub transactions: Vec<Digest>,
}

/// `GET /v1/accounts/{key}`: a signing key's owner and last accepted nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountView {
    /// Who the key belongs to.
    pub principal: crate::state::Principal,
    /// The nonce of its last accepted transaction (0 before the first).
    pub nonce: u64,
}

/// A finalised block header with the certificate that finalised it: a quorum of the
/// validators' signatures over the header's digest.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertifiedHeader {
    /// The header's digest (the block's).
    pub digest: Digest,
    /// The header; its `state_root` commits to the state after the block.
    pub header: BlockHeader,
    /// The engine's encoded finalisation certificate, hex.
    pub certificate: String,
}

/// How a light client learns an epoch's validators from the epoch before: the record of epoch
/// `epoch`, proven in the state of the last block of epoch `epoch - 1`, whose header a quorum
/// of epoch `epoch - 1`'s validators finalised.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochTransition {
    /// The epoch it enters (1 or more: epoch 0's validators are genesis's).
    pub epoch: u64,
    /// The epoch's record, as the node reads it (a client believes the proof's value).
    pub record: crate::epoch::EpochRecord,
    /// The last block of the epoch before, with that epoch's certificate.
    pub header: CertifiedHeader,
    /// The encoded state proof of the record's key in that block's state, hex.
    pub proof: String,
}

/// Proof that an entry holds its value (or holds none) in the state of a finalised block.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryProof {
    /// The encoded state proof (which carries the proven value), hex.
    pub proof: String,
    /// The finalised header whose state root the proof leads to.
    pub header: CertifiedHeader,
}

/// An entry of the state, read at the node's latest committed block.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entry<T> {
    /// The state key, hex.
    pub key: String,
    /// The height the entry was read at.
    pub height: Height,
    /// The value, or `null` if the key holds nothing (a proven absence, with `?prove=true`).
    pub value: Option<T>,
    /// With `?prove=true`: the proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<EntryProof>,
}

/// One proven entry of a [`ProvenFile`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProvenEntry {
    /// The state key, hex.
    pub key: String,
    /// The encoded state proof of the key's value (or of its absence), hex.
    pub proof: String,
}

/// A subject's credit file, every entry of it proven against one certified header: the
/// subject, the consent asked for, each listing's index entries and objects, the furnishers.
/// A client re-walks the file over these values alone, so an entry left out is noticed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProvenFile {
    /// The header every proof leads to, with the validators' certificate.
    pub header: CertifiedHeader,
    /// Every entry the file's walk read, in key order.
    pub entries: Vec<ProvenEntry>,
}

/// `?consent=`: the consent to include in a subject's file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    /// The reading lender's consent.
    pub consent: Option<crate::ConsentId>,
}

/// Most entries one proven file holds; a larger file is refused rather than proven in part.
pub const FILE_ENTRIES_MAX: usize = 16_384;

/// `?prove=true`: ask for a proof with a read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ProveQuery {
    /// Whether to prove the read.
    #[serde(default)]
    pub prove: bool,
}

/// `?from=&limit=`: a page of a listing, from a position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// The first position wanted (0 for the start).
    #[serde(default)]
    pub from: u32,
    /// Most items wanted; the node caps it at [`PAGE_LIMIT_MAX`].
    pub limit: Option<u32>,
}

/// Most items a page holds.
pub const PAGE_LIMIT_MAX: u32 = 100;
/// Items a page holds when the client does not say.
pub const PAGE_LIMIT_DEFAULT: u32 = 20;

/// A page of a listing.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The items, in listing order.
    pub items: Vec<T>,
    /// How many items the listing holds.
    pub total: u32,
    /// Where the next page starts, if there is one.
    pub next: Option<u32>,
}

/// An event's position in the chain: the height of its block and its index among the
/// block's events. The id of a streamed event, ordered as the chain orders events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId {
    /// The block's height.
    pub height: Height,
    /// The index among the block's events.
    pub index: u32,
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.height.0, self.index)
    }
}

impl std::str::FromStr for EventId {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (height, index) = text
            .trim()
            .split_once(':')
            .ok_or_else(|| "an event id is `height:index`".to_string())?;
        Ok(Self {
            height: Height(height.parse().map_err(|_| "the height is not a number")?),
            index: index.parse().map_err(|_| "the index is not a number")?,
        })
    }
}

impl serde::Serialize for EventId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for EventId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An event on the stream (`GET /v1/events`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamedEvent {
    /// Its id, `height:index`.
    pub id: EventId,
    /// Where in the block it came from.
    pub source: crate::receipt::EventSource,
    /// The event.
    pub event: crate::receipt::Event,
}

/// `GET /v1/events` query: where to start and what to keep.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Resume after this event (as the `Last-Event-ID` header does; the header wins).
    pub after: Option<EventId>,
    /// Start at this height (inclusive) instead; without `after` or `from`, the stream starts
    /// at the next block.
    pub from: Option<Height>,
    /// Keep only these kinds (comma-separated, e.g. `adverse,loan_defaulted`).
    pub kinds: Option<String>,
    /// Keep only events about this subject (its pseudonym).
    pub subject: Option<crate::SubjectId>,
    /// A lender's risk feed: only adverse events about subjects on which this institution
    /// held an account-review consent in force in the event's own block.
    pub watcher: Option<crate::InstitutionId>,
}

/// An installment of a loan's projected schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduledInstallment {
    /// Its due date.
    pub due: crate::Date,
    /// What it will ask for if every earlier one is paid on time (minor units).
    pub amount: crate::money::Amount,
    /// Of which interest.
    pub interest: crate::money::Amount,
    /// Principal left after it.
    pub balance: crate::money::Amount,
}

/// `GET /v1/loans/{id}/schedule`: what a running loan still asks for.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoanSchedule {
    /// The loan.
    pub loan: crate::LoanId,
    /// The chain's date the figures are for.
    pub on: crate::Date,
    /// What repays it in full on that date: fees, accrued interest and principal.
    pub payoff: crate::money::Amount,
    /// The installments not yet due, assuming each is paid on its due date.
    pub installments: Vec<ScheduledInstallment>,
}
