//! The objects stored in ledger state, each under the key [`super::StateKey`] builds for it.
//!
//! Every object has one canonical encoding (`codec_struct!`/`codec_enum!`), hashed into the
//! state root: adding, removing or reordering a field is a format change. Listings and
//! queues store ids, never copies of objects, so each object has exactly one stored copy.
//! Collections inside an object are bounded (`BoundedVec`), so a stored object has a
//! largest size.

use crate::{
    codec::BoundedVec,
    epoch::{ConsensusSeat, EpochCursor},
    genesis::ChainId,
    governance::{GovernanceAction, InstitutionName, Parameters},
    hash::Digest,
    ids::{
        ConsentId, DisputeId, Height, InquiryId, InstitutionId, ProposalId, RecordId, SubjectId,
    },
    keys::{EncryptionKey, PublicKey},
    limits::{ACTIVE_CONSENTS_PER_SUBJECT_MAX, EVENTS_PER_CHUNK, REPORT_KEY_EPOCHS_MAX},
    metro2::AccountStatus,
    receipt::{BlockEvent, DisputeResolution, Outcome},
    roles::Roles,
    sealed::{SealedKey, SealedPayload, WrappedReportKey},
    time::{Date, TimestampMs},
    transaction::{DisputeReason, InquiryKind, Purpose},
};

/// Counters that hand out sequential ids.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counters {
    /// Next institution id.
    pub institution: InstitutionId,
    /// Next subject number.
    pub subject: u32,
    /// Next record id.
    pub record: RecordId,
    /// Next consent id.
    pub consent: ConsentId,
    /// Next inquiry id.
    pub inquiry: InquiryId,
    /// Next dispute id.
    pub dispute: DisputeId,
    /// Next proposal id.
    pub proposal: ProposalId,
    /// Next asset class id.
    pub asset_class: crate::ids::AssetClassId,
    /// Next asset id.
    pub asset: crate::ids::AssetId,
    /// Next currency id.
    pub currency: crate::ids::CurrencyId,
    /// Next loan id.
    pub loan: crate::ids::LoanId,
}
crate::codec_struct!(Counters {
    institution,
    subject,
    record,
    consent,
    inquiry,
    dispute,
    proposal,
    asset_class,
    asset,
    currency,
    loan
});

/// Network-wide state: one per chain.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Meta {
    /// The chain id.
    pub chain_id: ChainId,
    /// The genesis digest.
    pub genesis: Digest,
    /// The audit key.
    pub audit_key: EncryptionKey,
    /// Current parameters.
    pub parameters: Parameters,
    /// Id counters.
    pub counters: Counters,
    /// Institutions that are not suspended: the governance electorate.
    pub active_members: u32,
    /// Active institutions holding the validator role.
    pub active_validators: u32,
    /// The epoch the next block belongs to, and where it ends.
    pub epoch: EpochCursor,
}
crate::codec_struct!(Meta {
    chain_id,
    genesis,
    audit_key,
    parameters,
    counters,
    active_members,
    active_validators,
    epoch
});

/// Who a signing key belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Principal {
    /// A member institution.
    Institution(InstitutionId),
    /// A subject.
    Subject(SubjectId),
    /// A key an institution rotated away from: it can sign nothing, and is never reused,
    /// so its old transactions can never be replayed.
    Retired,
}
crate::codec_enum!(Principal {
    1 => Institution(InstitutionId),
    2 => Subject(SubjectId),
    3 => Retired,
});

/// A signing key's owner and its replay counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signer {
    /// The owner.
    pub principal: Principal,
    /// The nonce of the key's last accepted transaction (0 before the first).
    pub nonce: u64,
}
crate::codec_struct!(Signer { principal, nonce });

/// A member institution.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Institution {
    /// Its id.
    pub id: InstitutionId,
    /// Its handle.
    pub name: InstitutionName,
    /// What it may do.
    pub roles: Roles,
    /// Its current signing key.
    pub signing_key: PublicKey,
    /// Its current encryption key.
    pub encryption_key: EncryptionKey,
    /// Its consensus seat, if it validates: the one the next epoch will use.
    pub consensus: Option<ConsensusSeat>,
    /// Whether it is suspended.
    pub suspended: bool,
    /// When it joined (genesis time for founders).
    pub admitted_at: TimestampMs,
    /// Consents granted to it so far: the next sequence number of its consent listing.
    pub consents_received: u32,
    /// Entries in its listings of loans made, assets and loans borrowed.
    pub listings: InstitutionListings,
}

/// How many entries an institution has in each of its listings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstitutionListings {
    /// Loans it offered.
    pub loans_made: u32,
    /// Assets it has owned.
    pub assets: u32,
    /// Loans it borrowed.
    pub loans_borrowed: u32,
    /// Disputes of records it furnished.
    pub disputes_received: u32,
}
crate::codec_struct!(InstitutionListings {
    loans_made,
    assets,
    loans_borrowed,
    disputes_received
});
crate::codec_struct!(Institution {
    id,
    name,
    roles,
    signing_key,
    encryption_key,
    consensus,
    suspended,
    admitted_at,
    consents_received,
    listings
});

impl Institution {
    /// Whether it is active and holds `role`.
    pub fn may_act_as(&self, role: crate::roles::Role) -> bool {
        !self.suspended && self.roles.has(role)
    }
}

/// How many entries a subject has in each of its listings: the next sequence numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListingCounts {
    /// Records furnished about it.
    pub records: u32,
    /// Consents it granted.
    pub consents: u32,
    /// Hard inquiries on its file (lenders' reads under hard consents), which other lenders
    /// see.
    pub inquiries: u32,
    /// Disputes it opened.
    pub disputes: u32,
    /// Assets it has owned.
    pub assets: u32,
    /// Loans it borrowed.
    pub loans: u32,
    /// Soft and supervisory inquiries on its file, which only the subject and the regulator
    /// see.
    pub private_inquiries: u32,
}
crate::codec_struct!(ListingCounts {
    records,
    consents,
    inquiries,
    disputes,
    assets,
    loans,
    private_inquiries
});

/// A subject (borrower): a pseudonym with keys, and nothing that identifies a person.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subject {
    /// Its pseudonym.
    pub id: SubjectId,
    /// Its number, in registration order: the owner part of its listing keys.
    pub number: u32,
    /// Its signing key.
    pub signing_key: PublicKey,
    /// Its current report key; records are sealed to it.
    pub report_key: EncryptionKey,
    /// The current report key's epoch.
    pub report_key_epoch: u32,
    /// Its consents that have not ended, in ascending order.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<ConsentId>))]
    pub active_consents: BoundedVec<ConsentId, ACTIVE_CONSENTS_PER_SUBJECT_MAX>,
    /// The sizes of its listings.
    pub listings: ListingCounts,
    /// When it registered.
    pub registered_at: TimestampMs,
}
crate::codec_struct!(Subject {
    id,
    number,
    signing_key,
    report_key,
    report_key_epoch,
    active_consents,
    listings,
    registered_at
});

/// One epoch of a subject's report key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportKeyEpoch {
    /// The public key of the epoch.
    pub report_key: EncryptionKey,
    /// Its private key sealed to the audit key.
    pub audit_key_wrap: SealedKey,
    /// When the epoch began.
    pub since: TimestampMs,
}
crate::codec_struct!(ReportKeyEpoch {
    report_key,
    audit_key_wrap,
    since
});

/// An institution's KYC attestation for a subject.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KycAttestation {
    /// The salted commitment to the verified identity.
    pub commitment: Digest,
    /// When it was attested.
    pub at: TimestampMs,
}
crate::codec_struct!(KycAttestation { commitment, at });

/// A credit record. Never edited in place: corrections are new records that supersede it;
/// the only changes are the links and flags the rules set (superseded, disputed, deleted,
/// purged).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Record {
    /// Its id.
    pub id: RecordId,
    /// Who furnished it.
    pub furnisher: InstitutionId,
    /// Who it is about.
    pub subject: SubjectId,
    /// Salted hash of the account number.
    pub account: Digest,
    /// Metro 2 account status.
    pub status: AccountStatus,
    /// Date of first delinquency.
    pub first_delinquency: Option<Date>,
    /// As-of date.
    pub as_of: Date,
    /// The report-key epoch the payload is sealed to.
    pub report_key_epoch: u32,
    /// The sealed payload; `None` once purged.
    pub payload: Option<SealedPayload>,
    /// Commitment to the plaintext; kept after purge.
    pub commitment: Digest,
    /// The record this one supersedes.
    pub supersedes: Option<RecordId>,
    /// The record that superseded this one.
    pub superseded_by: Option<RecordId>,
    /// When it was furnished.
    pub furnished_at: TimestampMs,
    /// When its payload is purged, for negative records.
    pub purge_on: Option<Date>,
    /// Its open dispute, if any.
    pub open_dispute: Option<DisputeId>,
    /// Whether it was deleted (by its furnisher, a deletion code, or a lapsed dispute).
    pub deleted: bool,
    /// The loan contract that furnished it by itself, if any; such records carry only
    /// cleartext metadata (no payload), since the state machine cannot seal.
    pub loan: Option<crate::ids::LoanId>,
    /// The Metro 2 compliance condition of its account when it was furnished, set by the
    /// ledger from the account's dispute history (never by the furnisher): `XB` while a
    /// dispute of the account is open, `XH` once one has been resolved.
    pub compliance: Option<Compliance>,
}
crate::codec_struct!(Record {
    id,
    furnisher,
    subject,
    account,
    status,
    first_delinquency,
    as_of,
    report_key_epoch,
    payload,
    commitment,
    supersedes,
    superseded_by,
    furnished_at,
    purge_on,
    open_dispute,
    deleted,
    loan,
    compliance,
});

/// A record's compliance condition and the dispute it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Compliance {
    /// The Metro 2 compliance condition code.
    pub code: crate::metro2::ComplianceCondition,
    /// The dispute (open for `XB`, resolved for `XH`).
    pub dispute: DisputeId,
}
crate::codec_struct!(Compliance { code, dispute });

/// One furnisher's account about one subject, as the ledger tracks it across the account's
/// records: which record is newest, whether a dispute of it is open, and whether the account
/// was deleted. It is what keeps a furnisher from going around a dispute (superseding the
/// disputed record, or furnishing a deleted account again as if it were new).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FurnishedAccount {
    /// The furnisher.
    pub furnisher: InstitutionId,
    /// The subject.
    pub subject: SubjectId,
    /// The account reference (a salted hash of the account number).
    pub account: Digest,
    /// Its newest record.
    pub latest: RecordId,
    /// Its records so far.
    pub records: u32,
    /// The dispute open on one of its records, if any: one at a time per account.
    pub open_dispute: Option<DisputeId>,
    /// The latest dispute of the account that was resolved.
    pub last_dispute: Option<DisputeId>,
    /// If the account is deleted (by a deletion status, a dispute answered `deleted`, or a
    /// lapsed dispute), the record a reinstatement must supersede. While set, none of the
    /// account's records is reported, and the furnisher may furnish it again only by
    /// superseding that record.
    pub deleted: Option<RecordId>,
}
crate::codec_struct!(FurnishedAccount {
    furnisher,
    subject,
    account,
    latest,
    records,
    open_dispute,
    last_dispute,
    deleted,
});

/// A consent a subject gave a lender.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consent {
    /// Its id.
    pub id: ConsentId,
    /// The subject.
    pub subject: SubjectId,
    /// The lender.
    pub lender: InstitutionId,
    /// Why.
    pub purpose: Purpose,
    /// Hard or soft.
    pub kind: InquiryKind,
    /// When granted.
    pub granted_at: TimestampMs,
    /// The height of the block that granted it: it is active from that block on.
    pub granted_height: Height,
    /// When it ends (exclusive).
    pub expires_at: TimestampMs,
    /// When revoked, if it was.
    pub revoked_at: Option<TimestampMs>,
    /// The height of the block that ended it (revoked or expired), if it has ended: it is
    /// active in no block from that one on.
    pub ended_height: Option<Height>,
    /// The report keys sealed to the lender, one per epoch while the consent was active.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<WrappedReportKey>))]
    pub report_keys: BoundedVec<WrappedReportKey, REPORT_KEY_EPOCHS_MAX>,
}
crate::codec_struct!(Consent {
    id,
    subject,
    lender,
    purpose,
    kind,
    granted_at,
    granted_height,
    expires_at,
    revoked_at,
    ended_height,
    report_keys
});

impl Consent {
    /// Whether it has ended (revoked or expired).
    pub fn ended(&self) -> bool {
        self.ended_height.is_some()
    }

    /// Whether the consent allows reads at `now`.
    pub fn is_active_at(&self, now: TimestampMs) -> bool {
        !self.ended() && now < self.expires_at
    }

    /// Whether the consent was in force in the block at `height`: granted by then, not yet
    /// ended. The same on every node at every later height, so what depends on it (the risk
    /// feed) replays identically.
    pub fn was_active_in(&self, height: Height) -> bool {
        self.granted_height <= height && self.ended_height.is_none_or(|ended| height < ended)
    }

    /// The newest report-key epoch sealed to the lender: it can open records sealed to this
    /// epoch and earlier, and none later.
    pub fn newest_epoch(&self) -> Option<u32> {
        self.report_keys.iter().map(|wrapped| wrapped.epoch).max()
    }
}

/// On what basis a file was read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InquiryBasis {
    /// A lender read under a consent.
    Consent(ConsentInquiry),
    /// The regulator read through the audit key for a supervisory case.
    Supervisory(Digest),
}
crate::codec_enum!(InquiryBasis {
    1 => Consent(ConsentInquiry),
    2 => Supervisory(Digest),
});

impl InquiryBasis {
    /// Whether other lenders see the inquiry: a lender's hard read. Soft reads and the
    /// regulator's supervisory reads are shown to the subject and the regulator only.
    pub fn is_hard(&self) -> bool {
        match self {
            Self::Consent(consent) => consent.kind == InquiryKind::Hard,
            Self::Supervisory(_) => false,
        }
    }
}

/// The consent a lender read under.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentInquiry {
    /// The consent.
    pub consent: ConsentId,
    /// Its purpose.
    pub purpose: Purpose,
    /// Hard or soft.
    pub kind: InquiryKind,
}
crate::codec_struct!(ConsentInquiry {
    consent,
    purpose,
    kind
});

/// A read of a subject's file, visible to the subject.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inquiry {
    /// Its id.
    pub id: InquiryId,
    /// The subject.
    pub subject: SubjectId,
    /// Who read.
    pub institution: InstitutionId,
    /// On what basis.
    pub basis: InquiryBasis,
    /// When.
    pub at: TimestampMs,
}
crate::codec_struct!(Inquiry {
    id,
    subject,
    institution,
    basis,
    at
});

/// A subject's dispute of a record.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dispute {
    /// Its id.
    pub id: DisputeId,
    /// The disputed record.
    pub record: RecordId,
    /// The subject.
    pub subject: SubjectId,
    /// The furnisher that must answer.
    pub furnisher: InstitutionId,
    /// Why.
    pub reason: DisputeReason,
    /// When opened.
    pub opened_at: TimestampMs,
    /// The answer deadline.
    pub deadline: TimestampMs,
    /// How it ended, once it has.
    pub resolution: Option<DisputeResolution>,
    /// When it ended.
    pub resolved_at: Option<TimestampMs>,
    /// The correcting record, when corrected.
    pub correction: Option<RecordId>,
}
crate::codec_struct!(Dispute {
    id,
    record,
    subject,
    furnisher,
    reason,
    opened_at,
    deadline,
    resolution,
    resolved_at,
    correction
});

/// Where a proposal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    /// Collecting approvals.
    Open,
    /// Took effect.
    Enacted,
    /// Lapsed.
    Expired,
}
crate::codec_enum!(ProposalStatus {
    1 => Open,
    2 => Enacted,
    3 => Expired,
});

/// A governance proposal.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Proposal {
    /// Its id.
    pub id: ProposalId,
    /// Who proposed it.
    pub proposer: InstitutionId,
    /// What it does.
    pub action: GovernanceAction,
    /// When submitted.
    pub submitted_at: TimestampMs,
    /// When it lapses.
    pub expires_at: TimestampMs,
    /// Approvals so far (the proposer's included).
    pub approvals: u32,
    /// Where it stands.
    pub status: ProposalStatus,
}
crate::codec_struct!(Proposal {
    id,
    proposer,
    action,
    submitted_at,
    expires_at,
    approvals,
    status
});

/// Where a transaction landed and how it fared: its receipt, kept in state so that a light
/// client can verify a transaction's outcome against a signed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransactionReceipt {
    /// The block it is in.
    pub height: Height,
    /// Its position in the block.
    pub index: u32,
    /// Whether it applied.
    pub outcome: Outcome,
}
crate::codec_struct!(TransactionReceipt {
    height,
    index,
    outcome
});

/// Most events one block may hold. Each transaction emits at most a handful, and blocks are
/// bounded in transactions.
pub const EVENTS_PER_BLOCK_MAX: usize = 1 << 20;

/// One chunk of a block's events, stored under
/// [`StateKey::block_events`](super::StateKey::block_events)`(height, chunk)`: chunk `c`
/// holds the block's events `c * EVENTS_PER_CHUNK ..`, at most [`EVENTS_PER_CHUNK`] of
/// them, in the order emitted. A block without events has no chunk.
///
/// Events are chunked so that no stored value grows with its block: a proof that a key is
/// absent carries the neighbouring entry whole, and must fit its bound beside any entry
/// (ARCHITECTURE.md, "State store").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockEventsChunk {
    /// How many events the whole block holds (the same in every chunk of the block), which
    /// says how many chunks there are.
    pub total: u32,
    /// The events of this chunk.
    pub events: BoundedVec<BlockEvent, EVENTS_PER_CHUNK>,
}
crate::codec_struct!(BlockEventsChunk { total, events });

/// A block's chunks do not hold its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventsChunkError {
    /// More events than a block may hold.
    #[error("{0} events are more than a block may hold")]
    TooMany(usize),
    /// A chunk is missing, or one disagrees with the others on the block's total, or holds
    /// other than the events its place says.
    #[error("the block's event chunks are inconsistent at chunk {0}")]
    Inconsistent(u32),
}

impl BlockEventsChunk {
    /// How many chunks a block with `total` events fills; an error for more events than a
    /// block may hold (so a reader never asks for more chunks than a block can have).
    pub fn count(total: u32) -> Result<u32, EventsChunkError> {
        match usize::try_from(total) {
            Ok(events) if events <= EVENTS_PER_BLOCK_MAX => {
                Ok(total.div_ceil(EVENTS_PER_CHUNK_U32))
            }
            _ => Err(EventsChunkError::TooMany(
                usize::try_from(total).unwrap_or(usize::MAX),
            )),
        }
    }

    /// The chunk, and the place in it, of the block's `index`th event.
    pub fn locate(index: u32) -> (u32, u32) {
        (index / EVENTS_PER_CHUNK_U32, index % EVENTS_PER_CHUNK_U32)
    }

    /// Splits a block's events into its chunks, in chunk order.
    pub fn split(events: &[BlockEvent]) -> Result<Vec<Self>, EventsChunkError> {
        let too_many = EventsChunkError::TooMany(events.len());
        if events.len() > EVENTS_PER_BLOCK_MAX {
            return Err(too_many);
        }
        let total = u32::try_from(events.len()).map_err(|_| too_many)?;
        events
            .chunks(EVENTS_PER_CHUNK)
            .map(|chunk| {
                Ok(Self {
                    total,
                    events: BoundedVec::new(chunk.to_vec()).ok_or(too_many)?,
                })
            })
            .collect()
    }

    /// Joins a block's chunks, in chunk order, back into its events, checking that they are
    /// exactly the chunks its events split into: one total, every chunk full but the last,
    /// none missing and none extra.
    pub fn join(
        chunks: impl IntoIterator<Item = Self>,
    ) -> Result<Vec<BlockEvent>, EventsChunkError> {
        let mut events: Vec<BlockEvent> = Vec::new();
        let mut total = None;
        let mut index = 0u32;
        for chunk in chunks {
            let expected = *total.get_or_insert(chunk.total);
            let wanted = usize::try_from(expected)
                .ok()
                .and_then(|all| all.checked_sub(events.len()))
                .map(|left| left.min(EVENTS_PER_CHUNK));
            if chunk.total != expected
                || wanted.is_none_or(|wanted| wanted == 0 || chunk.events.len() != wanted)
            {
                return Err(EventsChunkError::Inconsistent(index));
            }
            events.extend(chunk.events.into_inner());
            index = index.saturating_add(1);
        }
        if total.is_some_and(|total| usize::try_from(total) != Ok(events.len())) {
            return Err(EventsChunkError::Inconsistent(index));
        }
        Ok(events)
    }
}

/// [`EVENTS_PER_CHUNK`] as a `u32`, for chunk arithmetic on event indices (written out, not
/// cast, and checked equal when the crate compiles).
const EVENTS_PER_CHUNK_U32: u32 = 64;
const _: () =
    assert!(EVENTS_PER_CHUNK_U32 > 0 && EVENTS_PER_CHUNK_U32 as usize == EVENTS_PER_CHUNK);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt::{Event, EventSource};

    fn events(n: u32) -> Vec<BlockEvent> {
        (0..n)
            .map(|i| BlockEvent {
                source: EventSource::Transaction(i),
                event: Event::ProposalEnacted {
                    proposal: ProposalId(u64::from(i)),
                },
            })
            .collect()
    }

    #[test]
    fn a_blocks_events_split_into_chunks_and_join_back() {
        for n in [0, 1, 63, 64, 65, 128, 1_000] {
            let all = events(n);
            let chunks = BlockEventsChunk::split(&all).unwrap();
            assert_eq!(chunks.len(), BlockEventsChunk::count(n).unwrap() as usize);
            assert!(
                chunks
                    .iter()
                    .all(|c| c.total == n && c.events.len() <= EVENTS_PER_CHUNK)
            );
            for index in 0..n {
                let (chunk, place) = BlockEventsChunk::locate(index);
                assert_eq!(
                    chunks[chunk as usize].events.as_slice()[place as usize],
                    all[index as usize]
                );
            }
            assert_eq!(BlockEventsChunk::join(chunks).unwrap(), all);
        }
    }

    #[test]
    fn chunks_that_are_not_one_blocks_are_refused() {
        assert!(BlockEventsChunk::count(u32::MAX).is_err());
        let chunks = BlockEventsChunk::split(&events(130)).unwrap();
        let missing_last = chunks[..2].to_vec();
        assert!(BlockEventsChunk::join(missing_last).is_err());
        let missing_middle = vec![chunks[0].clone(), chunks[2].clone()];
        assert!(BlockEventsChunk::join(missing_middle).is_err());
        let mut extra = chunks.clone();
        extra.push(chunks[2].clone());
        assert!(BlockEventsChunk::join(extra).is_err());
        let mut other_total = chunks.clone();
        other_total[1].total = 129;
        assert!(BlockEventsChunk::join(other_total).is_err());
        let mut short = chunks;
        short[0].events = BoundedVec::new(events(63)).unwrap();
        assert!(BlockEventsChunk::join(short).is_err());
    }
}
