//! What executing a block produced: a receipt per transaction and the events it emitted.
//!
//! Events are the public record of what changed, in the order it changed. They name
//! objects only by id and pseudonym and carry no credit payload, so any member may stream
//! them; an event's id on the stream is `height:index`, its position in its block.

use crate::{
    hash::Digest,
    ids::{
        AssetClassId, AssetId, ConsentId, CurrencyId, DisputeId, InquiryId, InstitutionId, LoanId,
        ProposalId, RecordId, SubjectId,
    },
    lending::Owner,
    metro2::AccountStatus,
    money::Amount,
    rejection::Rejection,
    time::TimestampMs,
    transaction::{InquiryKind, Purpose},
};

/// The result of one transaction.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    /// The transaction's hash.
    pub transaction: Digest,
    /// Whether it applied.
    pub outcome: Outcome,
}
crate::codec_struct!(Receipt {
    transaction,
    outcome
});

/// Whether a transaction applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It applied whole.
    Applied,
    /// It broke a rule and changed nothing but its signer's nonce and its receipt (or, for
    /// [`Rejection::NonceNotNext`] and [`Rejection::ChainIdMismatch`], nothing at all: see
    /// [`Outcome::consumes_nonce`]).
    Rejected(Rejection),
}
crate::codec_enum!(Outcome {
    1 => Applied,
    2 => Rejected(Rejection),
});

impl Outcome {
    /// The rejection, if any.
    pub fn rejection(self) -> Option<Rejection> {
        match self {
            Self::Applied => None,
            Self::Rejected(rejection) => Some(rejection),
        }
    }

    /// Whether the transaction used up its nonce. A transaction rejected for its chain id or
    /// nonce did not: it changed nothing, not even its receipt, and the same signed bytes may
    /// still apply later, in the block where their nonce is next.
    pub fn consumes_nonce(self) -> bool {
        !matches!(
            self,
            Self::Rejected(Rejection::NonceNotNext | Rejection::ChainIdMismatch)
        )
    }
}

/// How a dispute ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DisputeResolution {
    /// The furnisher verified the record.
    Verified,
    /// The furnisher corrected it with a superseding record.
    Corrected,
    /// The furnisher deleted it.
    Deleted,
    /// The furnisher did not answer in time; the record is suppressed in the subject's
    /// favour.
    Lapsed,
}
impl DisputeResolution {
    /// Every resolution.
    pub const ALL: [DisputeResolution; 4] =
        [Self::Verified, Self::Corrected, Self::Deleted, Self::Lapsed];

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Corrected => "corrected",
            Self::Deleted => "deleted",
            Self::Lapsed => "lapsed (unanswered)",
        }
    }
}

crate::codec_enum!(DisputeResolution {
    1 => Verified,
    2 => Corrected,
    3 => Deleted,
    4 => Lapsed,
});

/// Something that happened on the ledger.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Event {
    /// A subject registered.
    SubjectRegistered {
        /// The subject.
        subject: SubjectId,
    },
    /// An institution attested a subject's identity.
    KycAttested {
        /// The subject.
        subject: SubjectId,
        /// The attesting institution.
        institution: InstitutionId,
    },
    /// A subject's report key moved to a new epoch.
    ReportKeyRotated {
        /// The subject.
        subject: SubjectId,
        /// The new epoch.
        epoch: u32,
    },
    /// A record was furnished.
    RecordFurnished {
        /// The new record.
        record: RecordId,
        /// Who it is about.
        subject: SubjectId,
        /// Who furnished it.
        furnisher: InstitutionId,
        /// Its status.
        status: AccountStatus,
        /// The record it supersedes, if any.
        supersedes: Option<RecordId>,
    },
    /// An adverse status was reported: every lender monitoring the subject must hear of it.
    Adverse {
        /// Who it is about.
        subject: SubjectId,
        /// The record that reports it.
        record: RecordId,
        /// Who reported it.
        furnisher: InstitutionId,
        /// The adverse status.
        status: AccountStatus,
    },
    /// A subject granted a consent.
    ConsentGranted {
        /// The consent.
        consent: ConsentId,
        /// The subject.
        subject: SubjectId,
        /// The lender.
        lender: InstitutionId,
        /// Why the lender may read.
        purpose: Purpose,
        /// Hard or soft.
        inquiry_kind: InquiryKind,
        /// When it ends.
        expires_at: TimestampMs,
    },
    /// A subject revoked a consent.
    ConsentRevoked {
        /// The consent.
        consent: ConsentId,
        /// The subject.
        subject: SubjectId,
        /// The lender.
        lender: InstitutionId,
    },
    /// A consent reached its expiry.
    ConsentExpired {
        /// The consent.
        consent: ConsentId,
        /// The subject.
        subject: SubjectId,
        /// The lender.
        lender: InstitutionId,
    },
    /// A lender read a subject's file.
    InquiryRecorded {
        /// The inquiry.
        inquiry: InquiryId,
        /// The subject.
        subject: SubjectId,
        /// The lender.
        lender: InstitutionId,
        /// The consent it read under.
        consent: ConsentId,
        /// Why.
        purpose: Purpose,
        /// Hard or soft.
        inquiry_kind: InquiryKind,
    },
    /// The regulator read a subject's file through the audit key.
    AuditAccessRecorded {
        /// The subject.
        subject: SubjectId,
        /// The regulator.
        regulator: InstitutionId,
    },
    /// A subject disputed a record.
    DisputeOpened {
        /// The dispute.
        dispute: DisputeId,
        /// The record.
        record: RecordId,
        /// The subject.
        subject: SubjectId,
        /// The furnisher that must answer.
        furnisher: InstitutionId,
        /// The answer deadline.
        deadline: TimestampMs,
    },
    /// A dispute ended.
    DisputeResolved {
        /// The dispute.
        dispute: DisputeId,
        /// The disputed record.
        record: RecordId,
        /// The subject.
        subject: SubjectId,
        /// How it ended.
        resolution: DisputeResolution,
        /// The correcting record, when corrected.
        correction: Option<RecordId>,
    },
    /// A record's retention period ended and its payload was dropped.
    RecordPurged {
        /// The record.
        record: RecordId,
        /// The subject.
        subject: SubjectId,
    },
    /// A governance proposal was submitted (its proposer's approval included).
    ProposalSubmitted {
        /// The proposal.
        proposal: ProposalId,
        /// The proposer.
        proposer: InstitutionId,
    },
    /// A member approved a proposal.
    ProposalApproved {
        /// The proposal.
        proposal: ProposalId,
        /// The approver.
        approver: InstitutionId,
        /// Approvals so far.
        approvals: u32,
    },
    /// A proposal reached its threshold and took effect.
    ProposalEnacted {
        /// The proposal.
        proposal: ProposalId,
    },
    /// A proposal expired without reaching its threshold.
    ProposalExpired {
        /// The proposal.
        proposal: ProposalId,
    },
    /// A registrar defined an asset class.
    AssetClassDefined {
        /// The class.
        class: AssetClassId,
        /// The registrar.
        registrar: InstitutionId,
    },
    /// A registrar registered an asset.
    AssetRegistered {
        /// The asset.
        asset: AssetId,
        /// Its owner.
        owner: Owner,
        /// The registrar.
        registrar: InstitutionId,
    },
    /// A registrar revalued an asset.
    AssetRevalued {
        /// The asset.
        asset: AssetId,
        /// Its new value.
        value: Amount,
    },
    /// An asset changed hands.
    AssetTransferred {
        /// The asset.
        asset: AssetId,
        /// The previous owner.
        from: Owner,
        /// The new owner.
        to: Owner,
    },
    /// A member issued a currency.
    CurrencyIssued {
        /// The currency.
        currency: CurrencyId,
        /// The issuer.
        issuer: InstitutionId,
    },
    /// Funds were created.
    FundsMinted {
        /// The currency.
        currency: CurrencyId,
        /// The account credited.
        account: Owner,
        /// How much.
        amount: Amount,
    },
    /// A holder redeemed funds with their issuer: they left its available balance and the
    /// supply.
    FundsRedeemed {
        /// The currency.
        currency: CurrencyId,
        /// The holder, who signed.
        holder: Owner,
        /// How much.
        amount: Amount,
    },
    /// Funds moved between accounts.
    FundsTransferred {
        /// The currency.
        currency: CurrencyId,
        /// The account debited.
        from: Owner,
        /// The account credited.
        to: Owner,
        /// How much.
        amount: Amount,
    },
    /// A lender offered a loan.
    LoanOffered {
        /// The loan.
        loan: LoanId,
        /// The lender.
        lender: InstitutionId,
        /// The borrower.
        borrower: Owner,
    },
    /// An offer ended unaccepted: withdrawn by the lender, or expired.
    OfferClosed {
        /// The loan.
        loan: LoanId,
        /// The borrower.
        borrower: Owner,
        /// Withdrawn (true) or expired (false).
        withdrawn: bool,
    },
    /// The borrower accepted: collateral locked, principal disbursed.
    LoanAccepted {
        /// The loan.
        loan: LoanId,
        /// The lender.
        lender: InstitutionId,
        /// The borrower.
        borrower: Owner,
    },
    /// A payment was applied to a loan.
    LoanPaid {
        /// The loan.
        loan: LoanId,
        /// The borrower.
        borrower: Owner,
        /// The amount paid.
        amount: Amount,
    },
    /// A loan's days-past-due band changed (0 = current again).
    LoanBand {
        /// The loan.
        loan: LoanId,
        /// The borrower.
        borrower: Owner,
        /// Days past due, by 30-day band.
        days_past_due: u16,
    },
    /// A loan was repaid in full and its collateral released.
    LoanRepaid {
        /// The loan.
        loan: LoanId,
        /// The borrower.
        borrower: Owner,
    },
    /// A loan defaulted and its remedy ran.
    LoanDefaulted {
        /// The loan.
        loan: LoanId,
        /// The lender.
        lender: InstitutionId,
        /// The borrower.
        borrower: Owner,
    },
    /// A liquidation's proceeds were applied.
    LiquidationCompleted {
        /// The loan.
        loan: LoanId,
        /// The borrower.
        borrower: Owner,
        /// What the collateral fetched.
        proceeds: Amount,
        /// What went back to the borrower.
        surplus: Amount,
    },
    /// A deadline's rule could not apply to its object: the entry was taken off its queue,
    /// with what it broke, so it neither stops the clock nor is retried forever. Every
    /// other deadline of the block ran.
    DeadlineFailed {
        /// The queue it was on.
        queue: DeadlineQueue,
        /// The object's id in that queue's table (a dispute, consent, proposal, loan or
        /// record id).
        id: u64,
        /// The rule its processing broke.
        code: crate::Rejection,
    },
    /// An asset's owner appointed (or cleared) a registrar that may revalue it.
    AppraiserAppointed {
        /// The asset.
        asset: AssetId,
        /// Its owner, who signed.
        owner: Owner,
        /// The registrar appointed, if any.
        appraiser: Option<InstitutionId>,
    },
    /// A furnisher furnished a deleted account again, superseding the record that deleted
    /// it: the one way back for a deleted account, and one the subject sees (FCRA §611(a)(5)(B)
    /// has the bureau tell the consumer of a reinstatement).
    AccountReinstated {
        /// The new record.
        record: RecordId,
        /// The subject.
        subject: SubjectId,
        /// The furnisher.
        furnisher: InstitutionId,
        /// The record that had deleted the account.
        reinstates: RecordId,
    },
}

/// A queue of deadlines the begin-block step runs, in the order it runs them.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeadlineQueue {
    /// Open disputes, by answer deadline.
    DisputeDeadline,
    /// Consents, by expiry.
    ConsentExpiry,
    /// Governance proposals, by expiry.
    ProposalExpiry,
    /// Loans under watch, by their next check.
    LoanCheck,
    /// Negative records, by purge date.
    Purge,
}
crate::codec_enum!(DeadlineQueue {
    1 => DisputeDeadline,
    2 => ConsentExpiry,
    3 => ProposalExpiry,
    4 => LoanCheck,
    5 => Purge,
});

impl DeadlineQueue {
    /// Every queue, in the order the begin-block step runs them.
    pub const ALL: [DeadlineQueue; 5] = [
        Self::DisputeDeadline,
        Self::ConsentExpiry,
        Self::ProposalExpiry,
        Self::LoanCheck,
        Self::Purge,
    ];
}

crate::codec_tagged!(Event {
    1 => SubjectRegistered { subject },
    2 => KycAttested { subject, institution },
    3 => ReportKeyRotated { subject, epoch },
    4 => RecordFurnished { record, subject, furnisher, status, supersedes },
    5 => Adverse { subject, record, furnisher, status },
    6 => ConsentGranted { consent, subject, lender, purpose, inquiry_kind, expires_at },
    7 => ConsentRevoked { consent, subject, lender },
    8 => ConsentExpired { consent, subject, lender },
    9 => InquiryRecorded { inquiry, subject, lender, consent, purpose, inquiry_kind },
    10 => AuditAccessRecorded { subject, regulator },
    11 => DisputeOpened { dispute, record, subject, furnisher, deadline },
    12 => DisputeResolved { dispute, record, subject, resolution, correction },
    13 => RecordPurged { record, subject },
    14 => ProposalSubmitted { proposal, proposer },
    15 => ProposalApproved { proposal, approver, approvals },
    16 => ProposalEnacted { proposal },
    17 => ProposalExpired { proposal },
    30 => AssetClassDefined { class, registrar },
    31 => AssetRegistered { asset, owner, registrar },
    32 => AssetRevalued { asset, value },
    33 => AssetTransferred { asset, from, to },
    34 => CurrencyIssued { currency, issuer },
    35 => FundsMinted { currency, account, amount },
    // 36 was `FundsBurned`, an issuer's burn; retired with it.
    37 => FundsTransferred { currency, from, to, amount },
    40 => LoanOffered { loan, lender, borrower },
    41 => OfferClosed { loan, borrower, withdrawn },
    42 => LoanAccepted { loan, lender, borrower },
    43 => LoanPaid { loan, borrower, amount },
    44 => LoanBand { loan, borrower, days_past_due },
    45 => LoanRepaid { loan, borrower },
    46 => LoanDefaulted { loan, lender, borrower },
    47 => LiquidationCompleted { loan, borrower, proceeds, surplus },
    48 => DeadlineFailed { queue, id, code },
    49 => FundsRedeemed { currency, holder, amount },
    50 => AppraiserAppointed { asset, owner, appraiser },
    51 => AccountReinstated { record, subject, furnisher, reinstates },
});

impl Event {
    /// The subject the event is about, if any: what the risk feed and stream filters key on.
    pub fn subject(&self) -> Option<SubjectId> {
        match self {
            Self::SubjectRegistered { subject }
            | Self::KycAttested { subject, .. }
            | Self::ReportKeyRotated { subject, .. }
            | Self::RecordFurnished { subject, .. }
            | Self::Adverse { subject, .. }
            | Self::ConsentGranted { subject, .. }
            | Self::ConsentRevoked { subject, .. }
            | Self::ConsentExpired { subject, .. }
            | Self::InquiryRecorded { subject, .. }
            | Self::AuditAccessRecorded { subject, .. }
            | Self::DisputeOpened { subject, .. }
            | Self::DisputeResolved { subject, .. }
            | Self::RecordPurged { subject, .. }
            | Self::AccountReinstated { subject, .. } => Some(*subject),
            Self::AssetRegistered { owner, .. } => owner.subject(),
            Self::AssetTransferred { to, .. } => to.subject(),
            Self::FundsRedeemed { holder, .. } => holder.subject(),
            Self::AppraiserAppointed { owner, .. } => owner.subject(),
            Self::FundsMinted { account, .. } => account.subject(),
            Self::FundsTransferred { to, .. } => to.subject(),
            Self::LoanOffered { borrower, .. }
            | Self::OfferClosed { borrower, .. }
            | Self::LoanAccepted { borrower, .. }
            | Self::LoanPaid { borrower, .. }
            | Self::LoanBand { borrower, .. }
            | Self::LoanRepaid { borrower, .. }
            | Self::LoanDefaulted { borrower, .. }
            | Self::LiquidationCompleted { borrower, .. } => borrower.subject(),
            Self::ProposalSubmitted { .. }
            | Self::ProposalApproved { .. }
            | Self::ProposalEnacted { .. }
            | Self::ProposalExpired { .. }
            | Self::AssetClassDefined { .. }
            | Self::AssetRevalued { .. }
            | Self::CurrencyIssued { .. }
            | Self::DeadlineFailed { .. } => None,
        }
    }

    /// Every event kind, in the order of [`Event`]'s variants; `kind()` names one of them
    /// (pinned against the OpenAPI schema of `Event` in the node's tests).
    pub const KINDS: [&'static str; 36] = [
        "subject_registered",
        "kyc_attested",
        "report_key_rotated",
        "record_furnished",
        "adverse",
        "consent_granted",
        "consent_revoked",
        "consent_expired",
        "inquiry_recorded",
        "audit_access_recorded",
        "dispute_opened",
        "dispute_resolved",
        "record_purged",
        "proposal_submitted",
        "proposal_approved",
        "proposal_enacted",
        "proposal_expired",
        "asset_class_defined",
        "asset_registered",
        "asset_revalued",
        "asset_transferred",
        "currency_issued",
        "funds_minted",
        "funds_redeemed",
        "funds_transferred",
        "loan_offered",
        "offer_closed",
        "loan_accepted",
        "loan_paid",
        "loan_band",
        "loan_repaid",
        "loan_defaulted",
        "liquidation_completed",
        "deadline_failed",
        "appraiser_appointed",
        "account_reinstated",
    ];

    /// The event's kind as a stable snake_case name (the stream's `event:` field).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::SubjectRegistered { .. } => "subject_registered",
            Self::KycAttested { .. } => "kyc_attested",
            Self::ReportKeyRotated { .. } => "report_key_rotated",
            Self::RecordFurnished { .. } => "record_furnished",
            Self::Adverse { .. } => "adverse",
            Self::ConsentGranted { .. } => "consent_granted",
            Self::ConsentRevoked { .. } => "consent_revoked",
            Self::ConsentExpired { .. } => "consent_expired",
            Self::InquiryRecorded { .. } => "inquiry_recorded",
            Self::AuditAccessRecorded { .. } => "audit_access_recorded",
            Self::DisputeOpened { .. } => "dispute_opened",
            Self::DisputeResolved { .. } => "dispute_resolved",
            Self::RecordPurged { .. } => "record_purged",
            Self::ProposalSubmitted { .. } => "proposal_submitted",
            Self::ProposalApproved { .. } => "proposal_approved",
            Self::ProposalEnacted { .. } => "proposal_enacted",
            Self::ProposalExpired { .. } => "proposal_expired",
            Self::AssetClassDefined { .. } => "asset_class_defined",
            Self::AssetRegistered { .. } => "asset_registered",
            Self::AssetRevalued { .. } => "asset_revalued",
            Self::AssetTransferred { .. } => "asset_transferred",
            Self::CurrencyIssued { .. } => "currency_issued",
            Self::FundsMinted { .. } => "funds_minted",
            Self::FundsRedeemed { .. } => "funds_redeemed",
            Self::FundsTransferred { .. } => "funds_transferred",
            Self::LoanOffered { .. } => "loan_offered",
            Self::OfferClosed { .. } => "offer_closed",
            Self::LoanAccepted { .. } => "loan_accepted",
            Self::LoanPaid { .. } => "loan_paid",
            Self::LoanBand { .. } => "loan_band",
            Self::LoanRepaid { .. } => "loan_repaid",
            Self::LoanDefaulted { .. } => "loan_defaulted",
            Self::LiquidationCompleted { .. } => "liquidation_completed",
            Self::DeadlineFailed { .. } => "deadline_failed",
            Self::AppraiserAppointed { .. } => "appraiser_appointed",
            Self::AccountReinstated { .. } => "account_reinstated",
        }
    }
}

/// Where in a block an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    /// The begin-block step (deadlines, expiries, purges).
    BeginBlock,
    /// The transaction at this index in the block.
    Transaction(u32),
}
crate::codec_enum!(EventSource {
    1 => BeginBlock,
    2 => Transaction(u32),
});

/// An event with where it came from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockEvent {
    /// Its source.
    pub source: EventSource,
    /// The event.
    pub event: Event,
}
crate::codec_struct!(BlockEvent { source, event });
