//! Transactions: the signed envelope and every payload kind.
//!
//! A transaction names its chain, its signer and the signer's next nonce, so a signature is
//! valid on one network, by one key, once. The signature covers the canonical encoding of
//! the [`Transaction`] under the namespace [`SIGNING_NAMESPACE`].
//!
//! Payload tags are part of the format. Tags 1–39 are the credit-sharing kinds; 40 and up
//! are the asset registry and lending.

use crate::{
    codec::{BoundedVec, encode},
    genesis::ChainId,
    governance::GovernanceAction,
    hash::{DOMAIN_TRANSACTION, Digest},
    ids::LoanId,
    ids::{ConsentId, DisputeId, InstitutionId, ProposalId, RecordId, SubjectId},
    keys::{EncryptionKey, PublicKey, Signature},
    lending::{
        AppointAppraiser, CompleteLiquidation, DefineAssetClass, FundsMovement, IssueCurrency,
        LoanPayment, LoanTerms, Redemption, RegisterAsset, RevalueAsset, TransferAsset,
    },
    limits::{ACTIVE_CONSENTS_PER_SUBJECT_MAX, REPORT_KEY_EPOCHS_MAX},
    metro2::{AccountStatus, Tradeline},
    sealed::{SealedKey, SealedPayload, WrappedReportKey},
    time::{Date, TimestampMs},
};

/// The namespace transaction signatures are made under, so a transaction signature can
/// never be replayed as a consensus vote or anything else.
pub const SIGNING_NAMESPACE: &[u8] = b"credence/tx";

/// What a signer asks the ledger to do.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transaction {
    /// The network this transaction is for.
    pub chain_id: ChainId,
    /// Who signs it.
    pub signer: PublicKey,
    /// The signer's next nonce: one more than its last accepted transaction's (first: 1).
    pub nonce: u64,
    /// What to do.
    pub payload: Payload,
}
crate::codec_struct!(Transaction {
    chain_id,
    signer,
    nonce,
    payload
});

impl Transaction {
    /// The bytes the signer signs.
    pub fn signing_bytes(&self) -> Vec<u8> {
        encode(self)
    }
}

/// A transaction with its signature. Only its encoding crosses the network.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedTransaction {
    /// The transaction.
    pub transaction: Transaction,
    /// The signer's Ed25519 signature over [`Transaction::signing_bytes`].
    pub signature: Signature,
}
crate::codec_struct!(SignedTransaction {
    transaction,
    signature
});

impl SignedTransaction {
    /// The transaction's hash: its id in receipts, the mempool and the API.
    pub fn hash(&self) -> Digest {
        Digest::of(DOMAIN_TRANSACTION, &[&encode(self)])
    }
}

/// Every kind of transaction.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "kind", content = "body")]
pub enum Payload {
    /// A subject registers itself with the signing key of this transaction.
    RegisterSubject(RegisterSubject),
    /// An institution attests it has verified a subject's identity (KYC).
    AttestKyc(AttestKyc),
    /// A subject replaces its report key.
    RotateReportKey(KeyRotation),
    /// A furnisher reports a credit record.
    FurnishRecord(Furnishing),
    /// A subject lets a lender read its file.
    GrantConsent(GrantConsent),
    /// A subject withdraws a consent (and rotates its report key).
    RevokeConsent(RevokeConsent),
    /// A lender logs a read of a subject's file under a consent.
    RecordInquiry(RecordInquiry),
    /// A subject disputes a record.
    OpenDispute(OpenDispute),
    /// A furnisher answers a dispute.
    AnswerDispute(AnswerDispute),
    /// A member proposes a governance action.
    ProposeGovernance(ProposeGovernance),
    /// A member approves a governance proposal.
    ApproveGovernance(ProposalId),
    /// The regulator logs a read of a subject's file through the audit key.
    RecordAuditAccess(RecordAuditAccess),
    /// A registrar defines a kind of asset.
    DefineAssetClass(DefineAssetClass),
    /// A registrar attests an asset and its value.
    RegisterAsset(RegisterAsset),
    /// A registrar attests an asset's new value.
    RevalueAsset(RevalueAsset),
    /// An owner transfers an unpledged asset.
    TransferAsset(TransferAsset),
    /// An owner names a registrar that may revalue its asset.
    AppointAppraiser(AppointAppraiser),
    /// A member issues a tokenised deposit.
    IssueCurrency(IssueCurrency),
    /// The issuer creates funds in an account.
    MintFunds(FundsMovement),
    /// A holder gives funds back to their issuer, who settles them off the ledger: only the
    /// holder's signature takes funds out of its account.
    RedeemFunds(Redemption),
    /// A holder moves available funds to another account.
    TransferFunds(FundsMovement),
    /// A lender offers a loan.
    OfferLoan(LoanTerms),
    /// The borrower accepts an offer: collateral locks, principal disburses.
    AcceptLoan(LoanId),
    /// The lender withdraws an offer not yet accepted.
    WithdrawOffer(LoanId),
    /// Anyone repays a loan in its on-ledger currency from their own funds.
    RepayLoan(LoanPayment),
    /// The lender confirms a repayment received off the ledger.
    ConfirmRepayment(LoanPayment),
    /// The liquidating registrar reports what a defaulted loan's collateral fetched.
    CompleteLiquidation(CompleteLiquidation),
}
crate::codec_enum!(Payload {
    1 => RegisterSubject(RegisterSubject),
    2 => AttestKyc(AttestKyc),
    3 => RotateReportKey(KeyRotation),
    4 => FurnishRecord(Furnishing),
    5 => GrantConsent(GrantConsent),
    6 => RevokeConsent(RevokeConsent),
    7 => RecordInquiry(RecordInquiry),
    8 => OpenDispute(OpenDispute),
    9 => AnswerDispute(AnswerDispute),
    10 => ProposeGovernance(ProposeGovernance),
    11 => ApproveGovernance(ProposalId),
    12 => RecordAuditAccess(RecordAuditAccess),
    40 => DefineAssetClass(DefineAssetClass),
    41 => RegisterAsset(RegisterAsset),
    42 => RevalueAsset(RevalueAsset),
    43 => TransferAsset(TransferAsset),
    44 => IssueCurrency(IssueCurrency),
    45 => MintFunds(FundsMovement),
    // 46 was `BurnFunds`, which let an issuer take any holder's funds; retired.
    47 => TransferFunds(FundsMovement),
    48 => OfferLoan(LoanTerms),
    49 => AcceptLoan(LoanId),
    50 => WithdrawOffer(LoanId),
    51 => RepayLoan(LoanPayment),
    52 => ConfirmRepayment(LoanPayment),
    53 => CompleteLiquidation(CompleteLiquidation),
    54 => RedeemFunds(Redemption),
    55 => AppointAppraiser(AppointAppraiser),
});

/// The kind of a payload, without its body: for tables, metrics and the authorisation
/// matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PayloadKind {
    /// See [`Payload::RegisterSubject`].
    RegisterSubject,
    /// See [`Payload::AttestKyc`].
    AttestKyc,
    /// See [`Payload::RotateReportKey`].
    RotateReportKey,
    /// See [`Payload::FurnishRecord`].
    FurnishRecord,
    /// See [`Payload::GrantConsent`].
    GrantConsent,
    /// See [`Payload::RevokeConsent`].
    RevokeConsent,
    /// See [`Payload::RecordInquiry`].
    RecordInquiry,
    /// See [`Payload::OpenDispute`].
    OpenDispute,
    /// See [`Payload::AnswerDispute`].
    AnswerDispute,
    /// See [`Payload::ProposeGovernance`].
    ProposeGovernance,
    /// See [`Payload::ApproveGovernance`].
    ApproveGovernance,
    /// See [`Payload::RecordAuditAccess`].
    RecordAuditAccess,
    /// See [`Payload::DefineAssetClass`].
    DefineAssetClass,
    /// See [`Payload::RegisterAsset`].
    RegisterAsset,
    /// See [`Payload::RevalueAsset`].
    RevalueAsset,
    /// See [`Payload::TransferAsset`].
    TransferAsset,
    /// See [`Payload::AppointAppraiser`].
    AppointAppraiser,
    /// See [`Payload::IssueCurrency`].
    IssueCurrency,
    /// See [`Payload::MintFunds`].
    MintFunds,
    /// See [`Payload::RedeemFunds`].
    RedeemFunds,
    /// See [`Payload::TransferFunds`].
    TransferFunds,
    /// See [`Payload::OfferLoan`].
    OfferLoan,
    /// See [`Payload::AcceptLoan`].
    AcceptLoan,
    /// See [`Payload::WithdrawOffer`].
    WithdrawOffer,
    /// See [`Payload::RepayLoan`].
    RepayLoan,
    /// See [`Payload::ConfirmRepayment`].
    ConfirmRepayment,
    /// See [`Payload::CompleteLiquidation`].
    CompleteLiquidation,
}

impl PayloadKind {
    /// Every kind.
    pub const ALL: [PayloadKind; 27] = [
        Self::RegisterSubject,
        Self::AttestKyc,
        Self::RotateReportKey,
        Self::FurnishRecord,
        Self::GrantConsent,
        Self::RevokeConsent,
        Self::RecordInquiry,
        Self::OpenDispute,
        Self::AnswerDispute,
        Self::ProposeGovernance,
        Self::ApproveGovernance,
        Self::RecordAuditAccess,
        Self::DefineAssetClass,
        Self::RegisterAsset,
        Self::RevalueAsset,
        Self::TransferAsset,
        Self::AppointAppraiser,
        Self::IssueCurrency,
        Self::MintFunds,
        Self::RedeemFunds,
        Self::TransferFunds,
        Self::OfferLoan,
        Self::AcceptLoan,
        Self::WithdrawOffer,
        Self::RepayLoan,
        Self::ConfirmRepayment,
        Self::CompleteLiquidation,
    ];
}

impl Payload {
    /// The payload's kind.
    pub fn kind(&self) -> PayloadKind {
        match self {
            Self::RegisterSubject(_) => PayloadKind::RegisterSubject,
            Self::AttestKyc(_) => PayloadKind::AttestKyc,
            Self::RotateReportKey(_) => PayloadKind::RotateReportKey,
            Self::FurnishRecord(_) => PayloadKind::FurnishRecord,
            Self::GrantConsent(_) => PayloadKind::GrantConsent,
            Self::RevokeConsent(_) => PayloadKind::RevokeConsent,
            Self::RecordInquiry(_) => PayloadKind::RecordInquiry,
            Self::OpenDispute(_) => PayloadKind::OpenDispute,
            Self::AnswerDispute(_) => PayloadKind::AnswerDispute,
            Self::ProposeGovernance(_) => PayloadKind::ProposeGovernance,
            Self::ApproveGovernance(_) => PayloadKind::ApproveGovernance,
            Self::RecordAuditAccess(_) => PayloadKind::RecordAuditAccess,
            Self::DefineAssetClass(_) => PayloadKind::DefineAssetClass,
            Self::RegisterAsset(_) => PayloadKind::RegisterAsset,
            Self::RevalueAsset(_) => PayloadKind::RevalueAsset,
            Self::TransferAsset(_) => PayloadKind::TransferAsset,
            Self::AppointAppraiser(_) => PayloadKind::AppointAppraiser,
            Self::IssueCurrency(_) => PayloadKind::IssueCurrency,
            Self::MintFunds(_) => PayloadKind::MintFunds,
            Self::RedeemFunds(_) => PayloadKind::RedeemFunds,
            Self::TransferFunds(_) => PayloadKind::TransferFunds,
            Self::OfferLoan(_) => PayloadKind::OfferLoan,
            Self::AcceptLoan(_) => PayloadKind::AcceptLoan,
            Self::WithdrawOffer(_) => PayloadKind::WithdrawOffer,
            Self::RepayLoan(_) => PayloadKind::RepayLoan,
            Self::ConfirmRepayment(_) => PayloadKind::ConfirmRepayment,
            Self::CompleteLiquidation(_) => PayloadKind::CompleteLiquidation,
        }
    }
}

/// A subject's registration. The subject's pseudonym is derived from the transaction's
/// signing key ([`SubjectId::from_key`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterSubject {
    /// The subject's first report key (epoch 0): records about it are sealed to this.
    pub report_key: EncryptionKey,
    /// The report private key sealed to the network's audit key.
    pub audit_key_wrap: SealedKey,
}
crate::codec_struct!(RegisterSubject {
    report_key,
    audit_key_wrap
});

/// An institution's attestation that it verified a subject's identity.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttestKyc {
    /// The subject.
    pub subject: SubjectId,
    /// A salted hash of the identifying data the institution verified. The data and the
    /// salt stay with the institution: the ledger never sees an identifier.
    pub commitment: Digest,
}
crate::codec_struct!(AttestKyc {
    subject,
    commitment
});

/// A new report key for a subject, sealed for everyone who must still read its file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyRotation {
    /// The new report public key; records furnished from now on are sealed to it.
    pub report_key: EncryptionKey,
    /// The new private key sealed to the network's audit key.
    pub audit_key_wrap: SealedKey,
    /// The new private key sealed to each lender whose consent stays active, one entry per
    /// active consent (other than one being revoked), in ascending consent order.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<ConsentRewrap>))]
    pub rewraps: BoundedVec<ConsentRewrap, ACTIVE_CONSENTS_PER_SUBJECT_MAX>,
}
crate::codec_struct!(KeyRotation {
    report_key,
    audit_key_wrap,
    rewraps
});

/// The new report key sealed to the lender of one active consent.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentRewrap {
    /// The consent.
    pub consent: ConsentId,
    /// The new key, sealed to that consent's lender.
    pub key: SealedKey,
}
crate::codec_struct!(ConsentRewrap { consent, key });

/// A credit record as a furnisher reports it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Furnishing {
    /// Who the record is about.
    pub subject: SubjectId,
    /// A salted hash of the furnisher's account number: links a tradeline's monthly
    /// updates without revealing the account.
    pub account: Digest,
    /// The Metro 2 account status, in clear for the rules.
    pub status: AccountStatus,
    /// Date of first delinquency, required for any status that follows a delinquency.
    pub first_delinquency: Option<Date>,
    /// The as-of date of the report (Metro 2 date of account information).
    pub as_of: Date,
    /// The report-key epoch the payload is sealed to; must be the subject's current one.
    pub report_key_epoch: u32,
    /// The sealed [`RecordPlaintext`].
    pub payload: SealedPayload,
    /// `Digest::of(DOMAIN_RECORD, [encode(plaintext)])`: lets anyone who opens the payload
    /// prove what was reported.
    pub commitment: Digest,
    /// The record this one corrects or updates, if any (same furnisher, subject, account).
    pub supersedes: Option<RecordId>,
}
crate::codec_struct!(Furnishing {
    subject,
    account,
    status,
    first_delinquency,
    as_of,
    report_key_epoch,
    payload,
    commitment,
    supersedes,
});

/// Domain of record commitments.
pub const DOMAIN_RECORD: &str = "credence/record";

/// What a furnisher seals: the Metro 2 fields plus a random salt, so the public
/// commitment cannot be brute-forced from guessable fields.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordPlaintext {
    /// The Metro 2 base segment.
    pub tradeline: Tradeline,
    /// 32 random bytes.
    pub salt: Digest,
    /// The whole Metro 2 data record the tradeline was read from, when it came from a Metro 2
    /// file: the base segment and its appended segments, character format
    /// (`credence_metro2::write_record`), so a reader sees every field the furnisher sent and
    /// the furnisher can write it out again.
    pub metro2: Option<crate::codec::BoundedBytes<{ crate::limits::METRO2_RECORD_BYTES_MAX }>>,
}
crate::codec_struct!(RecordPlaintext {
    tradeline,
    salt,
    metro2
});

impl RecordPlaintext {
    /// The commitment a furnisher publishes for this plaintext.
    pub fn commitment(&self) -> Digest {
        Digest::of(DOMAIN_RECORD, &[&encode(self)])
    }
}

/// Why a lender may read a file (after the permissible purposes of FCRA §604).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The subject applied for credit.
    CreditApplication,
    /// Review of an existing account; also subscribes the lender to risk alerts.
    AccountReview,
    /// Collection of an account.
    Collections,
    /// Insurance underwriting.
    Insurance,
    /// Employment screening.
    Employment,
    /// Tenant screening.
    Tenancy,
}
impl Purpose {
    /// Every purpose.
    pub const ALL: [Purpose; 6] = [
        Self::CreditApplication,
        Self::AccountReview,
        Self::Collections,
        Self::Insurance,
        Self::Employment,
        Self::Tenancy,
    ];

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::CreditApplication => "credit application",
            Self::AccountReview => "account review (monitoring)",
            Self::Collections => "collections",
            Self::Insurance => "insurance",
            Self::Employment => "employment",
            Self::Tenancy => "tenancy",
        }
    }
}

crate::codec_enum!(Purpose {
    1 => CreditApplication,
    2 => AccountReview,
    3 => Collections,
    4 => Insurance,
    5 => Employment,
    6 => Tenancy,
});

/// Whether an inquiry shows to other lenders and counts toward a score (hard) or not.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InquiryKind {
    /// Counts as new credit sought.
    Hard,
    /// Visible only to the subject.
    Soft,
}
impl InquiryKind {
    /// Both kinds.
    pub const ALL: [InquiryKind; 2] = [Self::Hard, Self::Soft];
}

crate::codec_enum!(InquiryKind {
    1 => Hard,
    2 => Soft,
});

/// A subject's consent for one lender.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantConsent {
    /// The lender.
    pub lender: InstitutionId,
    /// Why it may read.
    pub purpose: Purpose,
    /// Hard or soft.
    pub kind: InquiryKind,
    /// When the consent ends (exclusive).
    pub expires_at: TimestampMs,
    /// Every epoch of the subject's report key, 0 to the current one in order, sealed to
    /// the lender's encryption key, so the whole file opens.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<WrappedReportKey>))]
    pub report_keys: BoundedVec<WrappedReportKey, REPORT_KEY_EPOCHS_MAX>,
}
crate::codec_struct!(GrantConsent {
    lender,
    purpose,
    kind,
    expires_at,
    report_keys
});

/// Withdrawal of a consent, with the key rotation that closes future records to the lender.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeConsent {
    /// The consent.
    pub consent: ConsentId,
    /// The subject's new report key.
    pub rotation: KeyRotation,
}
crate::codec_struct!(RevokeConsent { consent, rotation });

/// A lender's read of a subject's file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordInquiry {
    /// The consent it reads under.
    pub consent: ConsentId,
}
crate::codec_struct!(RecordInquiry { consent });

/// Why a subject disputes a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DisputeReason {
    /// The account is not the subject's.
    NotMine,
    /// The balance or amounts are wrong.
    InaccurateAmount,
    /// The status or payment history is wrong.
    InaccurateStatus,
    /// The account was paid.
    AlreadyPaid,
    /// The account was opened by an impostor.
    IdentityTheft,
    /// The record is older than the retention period allows.
    Obsolete,
}
impl DisputeReason {
    /// Every reason.
    pub const ALL: [DisputeReason; 6] = [
        Self::NotMine,
        Self::InaccurateAmount,
        Self::InaccurateStatus,
        Self::AlreadyPaid,
        Self::IdentityTheft,
        Self::Obsolete,
    ];

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::NotMine => "not mine",
            Self::InaccurateAmount => "inaccurate amount",
            Self::InaccurateStatus => "inaccurate status or history",
            Self::AlreadyPaid => "already paid",
            Self::IdentityTheft => "identity theft",
            Self::Obsolete => "obsolete",
        }
    }
}

crate::codec_enum!(DisputeReason {
    1 => NotMine,
    2 => InaccurateAmount,
    3 => InaccurateStatus,
    4 => AlreadyPaid,
    5 => IdentityTheft,
    6 => Obsolete,
});

/// A subject's dispute of one record.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenDispute {
    /// The disputed record.
    pub record: RecordId,
    /// Why.
    pub reason: DisputeReason,
}
crate::codec_struct!(OpenDispute { record, reason });

/// How a furnisher resolves a dispute.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DisputeAnswer {
    /// The record is accurate as reported.
    Verified,
    /// The record was wrong; this record supersedes it.
    Corrected(Box<Furnishing>),
    /// The record was wrong and is withdrawn.
    Deleted,
}

impl crate::codec::Write for DisputeAnswer {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        match self {
            Self::Verified => buf.put_u8(1),
            Self::Corrected(furnishing) => {
                buf.put_u8(2);
                furnishing.write(buf);
            }
            Self::Deleted => buf.put_u8(3),
        }
    }
}

impl crate::codec::EncodeSize for DisputeAnswer {
    fn encode_size(&self) -> usize {
        match self {
            Self::Corrected(furnishing) => 1 + furnishing.encode_size(),
            Self::Verified | Self::Deleted => 1,
        }
    }
}

impl crate::codec::Read for DisputeAnswer {
    type Cfg = ();
    fn read_cfg(
        buf: &mut impl commonware_codec::Buf,
        _: &(),
    ) -> Result<Self, commonware_codec::Error> {
        match u8::read_cfg(buf, &())? {
            1 => Ok(Self::Verified),
            2 => Ok(Self::Corrected(Box::new(Furnishing::read_cfg(buf, &())?))),
            3 => Ok(Self::Deleted),
            other => Err(commonware_codec::Error::InvalidEnum(other)),
        }
    }
}

/// A furnisher's answer to a dispute.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerDispute {
    /// The dispute.
    pub dispute: DisputeId,
    /// The answer.
    pub answer: DisputeAnswer,
}
crate::codec_struct!(AnswerDispute { dispute, answer });

/// A governance proposal.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposeGovernance {
    /// What it does.
    pub action: GovernanceAction,
    /// When it lapses if not enacted (exclusive).
    pub expires_at: TimestampMs,
}
crate::codec_struct!(ProposeGovernance { action, expires_at });

/// The regulator's read of a subject's file through the audit key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordAuditAccess {
    /// The subject.
    pub subject: SubjectId,
    /// A hash of the supervisory case reference, so the read can be tied to a case
    /// without publishing it.
    pub case: Digest,
}
crate::codec_struct!(RecordAuditAccess { subject, case });
