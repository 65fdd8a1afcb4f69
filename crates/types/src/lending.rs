//! The asset registry and loan contracts: payloads and state.
//!
//! Assets are unique (a title, a vehicle, a warehouse receipt) or fungible (a tokenised
//! deposit a member issues). Both are controlled by their owner's key; both can be pledged to
//! a loan, which locks them until the loan releases them — on repayment, by itself — or
//! enforces its remedy on default. An asset is never locked by two loans.

use crate::{
    Digest,
    codec::{BoundedVec, Name},
    ids::{AssetClassId, AssetId, CurrencyId, InstitutionId, LoanId, RecordId, SubjectId},
    limits::{COLLATERAL_ITEMS_MAX, OVERDUE_INSTALLMENTS_MAX},
    money::{Amount, BasisPoints},
    time::{Date, TimestampMs},
};
use std::fmt;

/// A symbol: `usd`, `cny`, `eur`. Lowercase, as every name in Credence.
pub type Symbol = Name<8>;

/// Who can own an asset or hold funds.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    /// A subject, by pseudonym.
    Subject(SubjectId),
    /// A member institution.
    Institution(InstitutionId),
}
crate::codec_enum!(Owner {
    1 => Subject(SubjectId),
    2 => Institution(InstitutionId),
});

impl Owner {
    /// The subject, if the owner is one.
    pub fn subject(&self) -> Option<SubjectId> {
        match self {
            Self::Subject(id) => Some(*id),
            Self::Institution(_) => None,
        }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Subject(id) => write!(f, "subject {id}"),
            Self::Institution(id) => write!(f, "{id}"),
        }
    }
}

/// What an amount is counted in: a currency issued on the ledger, or one that lives off it
/// (money that moves through the banks' own systems, with the lender confirming receipt).
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Denomination {
    /// A currency issued on the ledger.
    OnLedger(CurrencyId),
    /// A currency off the ledger, by ISO code.
    OffLedger(Symbol),
}
crate::codec_enum!(Denomination {
    1 => OnLedger(CurrencyId),
    2 => OffLedger(Symbol),
});

/// `DefineAssetClass`: a registrar defines a kind of asset.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DefineAssetClass {
    /// Its name (`vehicle`, `land-title`, `warehouse-receipt`).
    pub name: Name<32>,
    /// The hash of the schema its metadata follows.
    pub schema: Digest,
}
crate::codec_struct!(DefineAssetClass { name, schema });

/// `RegisterAsset`: a registrar attests a real asset and its value.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterAsset {
    /// Its class.
    pub class: AssetClassId,
    /// Its owner.
    pub owner: Owner,
    /// Its identity: a commitment to its real-world identifier (a VIN, a parcel number, a
    /// receipt number), keyed with a secret the registrars of its kind share off the ledger
    /// (`credence asset identity`), so that no one holding a list of identifiers can tell
    /// which asset is which. The ledger registers each identity once.
    pub identity: Digest,
    /// Its value.
    pub value: Amount,
    /// What the value is counted in.
    pub denomination: Denomination,
}
crate::codec_struct!(RegisterAsset {
    class,
    owner,
    identity,
    value,
    denomination
});

/// `RevalueAsset`: a registrar attests a new value.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevalueAsset {
    /// The asset.
    pub asset: AssetId,
    /// Its value now.
    pub value: Amount,
    /// What the value is counted in.
    pub denomination: Denomination,
}
crate::codec_struct!(RevalueAsset {
    asset,
    value,
    denomination
});

/// `AppointAppraiser`: an asset's owner names a registrar that may revalue it besides the
/// one that registered it (`None`: no one else).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppointAppraiser {
    /// The asset.
    pub asset: AssetId,
    /// The registrar appointed, or none.
    pub appraiser: Option<InstitutionId>,
}
crate::codec_struct!(AppointAppraiser { asset, appraiser });

/// `TransferAsset`: an owner gives an unpledged asset to someone else.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferAsset {
    /// The asset.
    pub asset: AssetId,
    /// Its new owner.
    pub to: Owner,
}
crate::codec_struct!(TransferAsset { asset, to });

/// `IssueCurrency`: a member institution issues a tokenised deposit (`cny@bank-a`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssueCurrency {
    /// Its symbol, unique per issuer.
    pub symbol: Symbol,
}
crate::codec_struct!(IssueCurrency { symbol });

/// A holder's redemption: funds of the signer's own available balance go back to their
/// issuer, who settles them off the ledger; the supply shrinks by as much.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Redemption {
    /// The currency.
    pub currency: CurrencyId,
    /// How much.
    pub amount: Amount,
}
crate::codec_struct!(Redemption { currency, amount });

/// A movement of funds: `MintFunds` (the issuer credits an account), `TransferFunds` (from
/// the signer to an account).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FundsMovement {
    /// The currency.
    pub currency: CurrencyId,
    /// The account credited.
    pub account: Owner,
    /// How much.
    pub amount: Amount,
}
crate::codec_struct!(FundsMovement {
    currency,
    account,
    amount
});

/// How interest days are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// Actual days elapsed over a 365-day year.
    Actual365Fixed,
    /// 30/360 (US): months of 30 days over a 360-day year.
    Thirty360,
}
crate::codec_enum!(DayCount {
    1 => Actual365Fixed,
    2 => Thirty360,
});

/// How the principal is repaid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ScheduleKind {
    /// Equal installments of interest and principal.
    Amortizing,
    /// Interest each period, the principal with the last.
    InterestOnlyBalloon,
    /// Everything at the one due date.
    Bullet,
}
impl ScheduleKind {
    /// Every schedule.
    pub const ALL: [ScheduleKind; 3] = [Self::Amortizing, Self::InterestOnlyBalloon, Self::Bullet];

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Amortizing => "amortising, equal installments",
            Self::InterestOnlyBalloon => "interest only, balloon",
            Self::Bullet => "bullet",
        }
    }
}

crate::codec_enum!(ScheduleKind {
    1 => Amortizing,
    2 => InterestOnlyBalloon,
    3 => Bullet,
});

/// Funds pledged as collateral.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FundsPledge {
    /// The currency.
    pub currency: CurrencyId,
    /// How much.
    pub amount: Amount,
}
crate::codec_struct!(FundsPledge { currency, amount });

/// One item of collateral.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Collateral {
    /// A unique asset.
    Asset(AssetId),
    /// An amount of an on-ledger currency.
    Funds(FundsPledge),
}
crate::codec_enum!(Collateral {
    1 => Asset(AssetId),
    2 => Funds(FundsPledge),
});

/// What happens to the collateral on default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Remedy {
    /// The collateral passes to the lender.
    TransferToLender,
    /// A registrar takes the collateral, sells it, and reports the proceeds, which go to the
    /// debt; any surplus goes back to the borrower.
    Liquidate(InstitutionId),
}
crate::codec_enum!(Remedy {
    1 => TransferToLender,
    2 => Liquidate(InstitutionId),
});

/// A lender's offer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoanTerms {
    /// Who may accept it.
    pub borrower: Owner,
    /// How much is lent.
    pub principal: Amount,
    /// In what.
    pub denomination: Denomination,
    /// The annual interest rate.
    pub rate: BasisPoints,
    /// How interest days are counted.
    pub day_count: DayCount,
    /// How the principal is repaid.
    pub schedule: ScheduleKind,
    /// The first due date (after the offer's acceptance).
    pub first_due: Date,
    /// Months between due dates (1–12).
    pub period_months: u8,
    /// Number of installments (1 for a bullet loan).
    pub installments: u16,
    /// Days after a due date before an unpaid installment is late (and charged the fee).
    pub grace_days: u16,
    /// Charged once per installment paid late.
    pub late_fee: Amount,
    /// What is pledged.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Collateral>))]
    pub collateral: BoundedVec<Collateral, COLLATERAL_ITEMS_MAX>,
    /// Highest principal ÷ collateral value allowed at acceptance (0 for unsecured).
    pub max_ltv: BasisPoints,
    /// Days past due after which the loan defaults and the remedy runs.
    pub cure_days: u16,
    /// What happens to the collateral on default.
    pub remedy: Remedy,
    /// When the offer lapses if not accepted (exclusive).
    pub offer_expires_at: TimestampMs,
}
crate::codec_struct!(LoanTerms {
    borrower,
    principal,
    denomination,
    rate,
    day_count,
    schedule,
    first_due,
    period_months,
    installments,
    grace_days,
    late_fee,
    collateral,
    max_ltv,
    cure_days,
    remedy,
    offer_expires_at,
});

/// A payment on a loan: `RepayLoan` (funds from the signer) or `ConfirmRepayment` (the
/// lender confirming money received off the ledger).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoanPayment {
    /// The loan.
    pub loan: LoanId,
    /// How much.
    pub amount: Amount,
}
crate::codec_struct!(LoanPayment { loan, amount });

/// `CompleteLiquidation`: the liquidating registrar reports what the collateral sold for.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompleteLiquidation {
    /// The loan.
    pub loan: LoanId,
    /// What the collateral fetched. For an on-ledger currency the registrar pays it from its
    /// balance.
    pub proceeds: Amount,
}
crate::codec_struct!(CompleteLiquidation { loan, proceeds });

// ----- State -----

/// A kind of asset a registrar attests.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetClass {
    /// Its id.
    pub id: AssetClassId,
    /// The registrar that defined it.
    pub registrar: InstitutionId,
    /// Its name.
    pub name: Name<32>,
    /// Its metadata schema's hash.
    pub schema: Digest,
}
crate::codec_struct!(AssetClass {
    id,
    registrar,
    name,
    schema
});

/// A registrar's attested value of an asset.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Valuation {
    /// The value.
    pub value: Amount,
    /// What it is counted in.
    pub denomination: Denomination,
    /// When attested.
    pub at: TimestampMs,
    /// By whom.
    pub registrar: InstitutionId,
}
crate::codec_struct!(Valuation {
    value,
    denomination,
    at,
    registrar
});

/// A unique asset.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Asset {
    /// Its id.
    pub id: AssetId,
    /// Its class.
    pub class: AssetClassId,
    /// Its owner.
    pub owner: Owner,
    /// Its identity: the keyed commitment to its real-world identifier, unique on the ledger.
    pub identity: Digest,
    /// The registrar that registered it; it may revalue it.
    pub registrar: InstitutionId,
    /// A registrar its owner appointed to revalue it too, if any.
    pub appraiser: Option<InstitutionId>,
    /// Its latest valuation.
    pub valuation: Valuation,
    /// The loan that holds it, if pledged.
    pub lock: Option<LoanId>,
    /// The registrar liquidating it, after a default.
    pub liquidation: Option<InstitutionId>,
    /// The owner's listing entry: its position in the owner's assets.
    pub listing: u32,
    /// Loans that have locked it: the next sequence number of its loan listing.
    pub loans: u32,
}
crate::codec_struct!(Asset {
    id,
    class,
    owner,
    identity,
    registrar,
    appraiser,
    valuation,
    lock,
    liquidation,
    listing,
    loans
});

/// An on-ledger currency.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Currency {
    /// Its id.
    pub id: CurrencyId,
    /// Its symbol.
    pub symbol: Symbol,
    /// Its issuer.
    pub issuer: InstitutionId,
    /// Total in existence: changed only by the issuer's mints and its holders' redemptions.
    pub supply: Amount,
}
crate::codec_struct!(Currency {
    id,
    symbol,
    issuer,
    supply
});

/// An account's holding of a currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Balance {
    /// Free to spend.
    pub available: Amount,
    /// Pledged to loans.
    pub locked: Amount,
}
crate::codec_struct!(Balance { available, locked });

/// Where a loan stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LoanStatus {
    /// Offered, not accepted.
    Offered,
    /// The lender withdrew the offer.
    Withdrawn,
    /// The offer lapsed.
    Expired,
    /// Running, nothing overdue past grace.
    Active,
    /// An installment is overdue past grace.
    Delinquent,
    /// Past the cure period: the remedy ran; with a liquidation pending, the registrar has
    /// yet to report proceeds.
    Defaulted,
    /// Repaid in full; the collateral was released.
    Repaid,
}
crate::codec_enum!(LoanStatus {
    1 => Offered,
    2 => Withdrawn,
    3 => Expired,
    4 => Active,
    5 => Delinquent,
    6 => Defaulted,
    7 => Repaid,
});

/// An installment that fell due and is not fully paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overdue {
    /// Its due date.
    pub due: Date,
    /// What remains unpaid of it.
    pub amount: Amount,
    /// Whether its late fee was charged.
    pub fee_charged: bool,
}
crate::codec_struct!(Overdue {
    due,
    amount,
    fee_charged
});

/// A loan contract.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Loan {
    /// Its id.
    pub id: LoanId,
    /// The lender.
    pub lender: InstitutionId,
    /// The terms.
    pub terms: LoanTerms,
    /// Where it stands.
    pub status: LoanStatus,
    /// When offered.
    pub offered_at: TimestampMs,
    /// When accepted.
    pub accepted_at: Option<TimestampMs>,
    /// The fixed installment (amortizing loans), computed at acceptance.
    pub installment: Amount,
    /// Outstanding principal.
    pub principal: Amount,
    /// Interest accrued and unpaid.
    pub interest: Amount,
    /// Late fees charged and unpaid.
    pub fees: Amount,
    /// The date interest has accrued to.
    pub accrued_to: Date,
    /// Installments that have fallen due (the next one's number).
    pub installments_due: u16,
    /// Installments due and not fully paid, oldest first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Overdue>))]
    pub overdue: BoundedVec<Overdue, OVERDUE_INSTALLMENTS_MAX>,
    /// The days-past-due band last reported (0, 30, 60, … 180).
    pub band: u16,
    /// When the time-driven rules next look at it.
    pub next_check: Option<TimestampMs>,
    /// Total paid so far.
    pub paid: Amount,
    /// The latest tradeline record the contract furnished for it.
    pub tradeline: Option<RecordId>,
    /// Entries in its history listing.
    pub history: u32,
}
crate::codec_struct!(Loan {
    id,
    lender,
    terms,
    status,
    offered_at,
    accepted_at,
    installment,
    principal,
    interest,
    fees,
    accrued_to,
    installments_due,
    overdue,
    band,
    next_check,
    paid,
    tradeline,
    history,
});

impl Loan {
    /// What the borrower owes now: fees, accrued interest, principal.
    pub fn debt(&self) -> Option<Amount> {
        self.fees
            .checked_add(self.interest)?
            .checked_add(self.principal)
    }
}

/// What happened to a loan, for its history listing.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LoanEvent {
    /// Accepted and disbursed.
    Accepted {
        /// When.
        at: TimestampMs,
    },
    /// An installment fell due.
    InstallmentDue {
        /// Its due date.
        due: Date,
        /// Its amount.
        amount: Amount,
    },
    /// A payment was applied.
    Payment {
        /// When.
        at: TimestampMs,
        /// To fees.
        fees: Amount,
        /// To interest.
        interest: Amount,
        /// To principal.
        principal: Amount,
    },
    /// A late fee was charged.
    LateFee {
        /// When.
        at: TimestampMs,
        /// How much.
        amount: Amount,
    },
    /// The days-past-due band changed.
    Band {
        /// When.
        at: TimestampMs,
        /// The band (0 = current).
        days: u16,
    },
    /// The loan defaulted and its remedy ran.
    Defaulted {
        /// When.
        at: TimestampMs,
    },
    /// Liquidation proceeds were applied.
    Liquidated {
        /// When.
        at: TimestampMs,
        /// The proceeds.
        proceeds: Amount,
        /// Returned to the borrower.
        surplus: Amount,
    },
    /// Repaid in full; collateral released.
    Repaid {
        /// When.
        at: TimestampMs,
    },
}
crate::codec_tagged!(LoanEvent {
    1 => Accepted { at },
    2 => InstallmentDue { due, amount },
    3 => Payment { at, fees, interest, principal },
    4 => LateFee { at, amount },
    5 => Band { at, days },
    6 => Defaulted { at },
    7 => Liquidated { at, proceeds, surplus },
    8 => Repaid { at },
});
