//! Why a transaction was rejected: one value per rule, named after the rule it broke.
//!
//! A rejected transaction changes nothing but its signer's nonce (so it cannot be replayed);
//! its receipt carries one of these. Each has a stable number (its wire tag) and a stable
//! snake_case code (for the API and logs), listed with its meaning in
//! `docs/reference/rejections.md`, which a test keeps in step with this file.

use std::fmt;

macro_rules! rejections {
    ($( $number:literal $variant:ident $code:literal $meaning:literal ),* $(,)?) => {
        /// A rule a transaction broke.
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rejection {
            $( #[doc = $meaning] $variant, )*
        }

        impl Rejection {
            /// Every rejection, in number order.
            pub const ALL: &'static [Rejection] = &[$(Rejection::$variant),*];

            /// The stable number (wire tag).
            pub fn number(self) -> u16 {
                match self { $(Rejection::$variant => $number,)* }
            }

            /// The stable snake_case code.
            pub fn code(self) -> &'static str {
                match self { $(Rejection::$variant => $code,)* }
            }

            /// What the rule is, in one sentence.
            pub fn meaning(self) -> &'static str {
                match self { $(Rejection::$variant => $meaning,)* }
            }

            /// The rejection with this number.
            pub fn from_number(number: u16) -> Option<Self> {
                match number { $($number => Some(Rejection::$variant),)* _ => None }
            }

            /// The rejection with this code.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some(Rejection::$variant),)* _ => None }
            }
        }
    };
}

rejections! {
    // The envelope and the signer.
    1 ChainIdMismatch "chain_id_mismatch" "The transaction names another network's chain id.",
    2 NonceNotNext "nonce_not_next" "The nonce is not one more than the signer's last accepted nonce.",
    3 SignerUnknown "signer_unknown" "The signing key belongs to no registered institution or subject.",
    4 SignerSuspended "signer_suspended" "The signing institution is suspended and may do nothing.",
    5 SignerNotSubject "signer_not_subject" "Only a subject may submit this kind of transaction.",
    6 SignerNotInstitution "signer_not_institution" "Only a member institution may submit this kind of transaction.",
    7 RoleMissing "role_missing" "The signing institution lacks the role this kind of transaction needs.",
    8 IdsExhausted "ids_exhausted" "The ledger has run out of ids for this kind of object.",
    // Subjects and their keys.
    10 SignerAlreadyRegistered "signer_already_registered" "The signing key already belongs to a subject or an institution.",
    11 SubjectUnknown "subject_unknown" "No subject has this pseudonym.",
    12 KycAlreadyAttested "kyc_already_attested" "This institution has already attested this subject's identity.",
    13 ReportKeyEpochsExhausted "report_key_epochs_exhausted" "The subject has rotated its report key the maximum number of times.",
    14 RewrapsMismatch "rewraps_mismatch" "A key rotation must re-seal the new key for exactly the subject's other active consents, in ascending order.",
    15 ReportKeyUnchanged "report_key_unchanged" "The new report key is the current one.",
    // Credit records.
    20 ReportKeyEpochStale "report_key_epoch_stale" "The payload is sealed to a report-key epoch other than the subject's current one.",
    21 FirstDelinquencyRequired "first_delinquency_required" "This account status follows a delinquency, so the date of first delinquency is required.",
    22 FirstDelinquencyAfterReport "first_delinquency_after_report" "The date of first delinquency is after the report's as-of date.",
    23 ReportDateInFuture "report_date_in_future" "The report's as-of date is after the block's date.",
    24 RecordUnknown "record_unknown" "No record has this id.",
    25 SupersedeForeignRecord "supersede_foreign_record" "A record may only supersede one from the same furnisher, about the same subject and account.",
    26 RecordAlreadySuperseded "record_already_superseded" "The record has already been superseded; supersede or dispute the latest one.",
    27 DeletionMustSupersede "deletion_must_supersede" "A deletion status (DA, DF) must name the record it deletes.",
    28 RecordPurged "record_purged" "The record's retention period has ended and its payload was purged.",
    29 RecordDeleted "record_deleted" "The record was deleted by its furnisher or by a lapsed dispute.",
    // Consents and inquiries.
    30 LenderUnknown "lender_unknown" "No institution has this id.",
    31 LenderIneligible "lender_ineligible" "The institution is suspended or does not hold the lender role.",
    32 ConsentExpiryInvalid "consent_expiry_invalid" "A consent must expire after the block's time and within the network's longest consent lifetime.",
    33 ReportKeysIncomplete "report_keys_incomplete" "A consent must seal every report-key epoch of the subject, from 0 to the current one, in order.",
    34 ActiveConsentsExhausted "active_consents_exhausted" "The subject already has the maximum number of active consents.",
    35 ConsentUnknown "consent_unknown" "No consent has this id.",
    36 ConsentNotOwn "consent_not_own" "The consent was granted by another subject.",
    37 ConsentNotActive "consent_not_active" "The consent has been revoked or has expired.",
    38 ConsentNotForSigner "consent_not_for_signer" "The consent was granted to another lender.",
    // Disputes.
    40 RecordNotOwn "record_not_own" "The record is about another subject.",
    41 RecordAlreadyDisputed "record_already_disputed" "The record already has an open dispute.",
    42 DisputeUnknown "dispute_unknown" "No dispute has this id.",
    43 DisputeNotForFurnisher "dispute_not_for_furnisher" "Only the furnisher of the disputed record may answer the dispute.",
    44 DisputeClosed "dispute_closed" "The dispute has already been answered or has lapsed.",
    45 CorrectionMismatch "correction_mismatch" "A correction must be about the same subject and account as the disputed record, and supersede it.",
    46 RecordSuperseded "record_superseded" "The record has been superseded; dispute the latest one.",
    47 RecordUnderDispute "record_under_dispute" "The record has an open dispute: only the dispute's answer may supersede it.",
    48 AccountDeleted "account_deleted" "The account was deleted (by a deletion status, a dispute answered deleted, or a lapsed dispute): it is furnished again only by a record that supersedes the one that deleted it.",
    49 AccountAlreadyDisputed "account_already_disputed" "Another record of the same account has an open dispute: one dispute per account at a time.",
    // Governance.
    50 ProposalUnknown "proposal_unknown" "No proposal has this id.",
    51 ProposalClosed "proposal_closed" "The proposal has already been enacted or has expired.",
    52 AlreadyApproved "already_approved" "This institution has already approved the proposal.",
    53 ProposalExpiryInvalid "proposal_expiry_invalid" "A proposal must expire after the block's time and within the longest proposal lifetime.",
    54 InstitutionUnknown "institution_unknown" "No institution has this id.",
    55 InstitutionNameTaken "institution_name_taken" "Another institution already has this name.",
    56 SigningKeyInUse "signing_key_in_use" "The signing key already belongs to an institution or subject.",
    57 InstitutionAlreadySuspended "institution_already_suspended" "The institution is already suspended.",
    58 InstitutionNotSuspended "institution_not_suspended" "The institution is not suspended.",
    59 ParametersInvalid "parameters_invalid" "A parameter is outside its allowed range.",
    60 RolesEmpty "roles_empty" "An institution must hold at least one role.",
    61 ValidatorSetEmpty "validator_set_empty" "The action would leave the network without an active validator.",
    62 ConsensusKeyInUse "consensus_key_in_use" "The consensus key is, or once was, a validator's seat, or is a signing key: a consensus key is seated once.",
    63 ConsensusSeatMissing "consensus_seat_missing" "An institution with the validator role needs a consensus seat (a consensus key and a peer address).",
    64 ConsensusSeatWithoutRole "consensus_seat_without_role" "Only an institution holding the validator role may have a consensus seat.",
    65 ValidatorSetFull "validator_set_full" "The action would put more active validators in the set than the network allows (32).",
    66 ConsensusKeyInvalid "consensus_key_invalid" "The consensus key is not an Ed25519 public key: no validator could vote with it.",
    // The asset registry.
    100 AssetClassUnknown "asset_class_unknown" "No asset class has this id.",
    101 AssetUnknown "asset_unknown" "No asset has this id.",
    102 OwnerUnknown "owner_unknown" "The owner is neither a registered subject nor an institution.",
    103 NotAssetOwner "not_asset_owner" "Only an asset's owner may transfer it or pledge it.",
    104 AssetLocked "asset_locked" "The asset is pledged to a loan, or held for liquidation, and cannot move until released.",
    105 CurrencyUnknown "currency_unknown" "No currency has this id.",
    106 CurrencySymbolTaken "currency_symbol_taken" "This issuer already issues a currency with this symbol.",
    107 NotCurrencyIssuer "not_currency_issuer" "Only a currency's issuer may mint it.",
    108 InsufficientFunds "insufficient_funds" "The account's available balance is less than the amount.",
    109 AmountZero "amount_zero" "The amount must be more than zero.",
    110 AmountOverflow "amount_overflow" "The amount would overflow a balance or the supply.",
    111 AssetAlreadyRegistered "asset_already_registered" "An asset with this identity is already registered, under whichever class or registrar: a real asset is registered once.",
    112 NotAssetRegistrar "not_asset_registrar" "Only the registrar that registered the asset, or one its owner appointed, may revalue it.",
    113 AppraiserIneligible "appraiser_ineligible" "The institution appointed to revalue an asset is unknown, suspended or not a registrar.",
    // Loans.
    // 120 was `loan_terms_invalid`, split into 140–153 by the rule each checks; retired.
    121 LoanUnknown "loan_unknown" "No loan has this id.",
    122 LoanNotOffered "loan_not_offered" "The loan is not an open offer.",
    123 OfferExpired "offer_expired" "The offer's expiry has passed.",
    124 NotBorrower "not_borrower" "Only the borrower the offer names may accept it.",
    125 NotLender "not_lender" "Only the loan's lender may do this.",
    126 CollateralAlreadyPledged "collateral_already_pledged" "An asset offered as collateral is already pledged to a loan: an asset is never pledged twice.",
    127 CollateralNotBorrowers "collateral_not_borrowers" "Collateral must belong to the borrower.",
    128 CollateralDenominationMismatch "collateral_denomination_mismatch" "Collateral must be valued in the loan's denomination.",
    129 LoanToValueExceeded "loan_to_value_exceeded" "The principal exceeds the maximum loan-to-value of the collateral at its latest valuation.",
    130 LoanNotActive "loan_not_active" "The loan is not running (active or delinquent).",
    131 RepaymentExceedsDebt "repayment_exceeds_debt" "A repayment may not exceed what the loan owes.",
    132 DenominationOffLedger "denomination_off_ledger" "The loan is in an off-ledger currency: its lender confirms repayments instead.",
    133 DenominationOnLedger "denomination_on_ledger" "The loan is in an on-ledger currency: it is repaid with funds, not confirmed.",
    134 NotLiquidator "not_liquidator" "Only the registrar named in the loan's remedy may complete its liquidation.",
    135 LoanNotLiquidating "loan_not_liquidating" "The loan has no liquidation pending.",
    // Loan terms, checked at the offer (and, where time has passed, at acceptance).
    140 PrincipalZero "principal_zero" "A loan's principal must be more than zero.",
    141 InstallmentsOutOfRange "installments_out_of_range" "A loan has between 1 and 600 installments (`limits::INSTALLMENTS_MAX`).",
    142 BulletInstallmentsNotOne "bullet_installments_not_one" "A bullet loan is repaid in exactly one installment.",
    143 PeriodOutOfRange "period_out_of_range" "The period between installments is 1 to 12 months.",
    144 FirstDueNotAfterToday "first_due_not_after_today" "The first due date must be after the block's date.",
    145 RateAboveMaximum "rate_above_maximum" "The interest rate is at most 10,000 basis points (100% a year).",
    146 MaxLtvAboveMaximum "max_ltv_above_maximum" "The maximum loan-to-value is at most 10,000 basis points (100%).",
    147 CurePeriodTooLong "cure_period_too_long" "The cure period is at most 1,000 days (`limits::CURE_DAYS_MAX`).",
    148 OfferExpiryPassed "offer_expiry_passed" "An offer must expire after the block's time.",
    149 CollateralDuplicate "collateral_duplicate" "The same asset is named twice as collateral.",
    150 PledgedFundsZero "pledged_funds_zero" "Funds pledged as collateral must be more than zero.",
    151 ScheduleBeyondCalendar "schedule_beyond_calendar" "The last installment would fall due after the last date the ledger's calendar holds.",
    152 InstallmentNotComputable "installment_not_computable" "No whole level installment repays this principal at this rate over these installments.",
    153 LiquidatorIneligible "liquidator_ineligible" "The registrar named to liquidate the collateral is unknown, suspended or not a registrar.",
    154 TermsExceedAmountBound "terms_exceed_amount_bound" "The principal, all the interest the rate could accrue to the end of the cure period, and every late fee do not fit together in an amount.",
}

/// Numbers and codes that were once in use and are never given out again.
pub const RETIRED: &[(u16, &str)] = &[(120, "loan_terms_invalid")];

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rejection({})", self.code())
    }
}

impl serde::Serialize for Rejection {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Rejection {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Self::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown rejection code {code:?}")))
    }
}

impl crate::codec::Write for Rejection {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        buf.put_u16(self.number());
    }
}

impl crate::codec::EncodeSize for Rejection {
    fn encode_size(&self) -> usize {
        2
    }
}

impl crate::codec::Read for Rejection {
    type Cfg = ();
    fn read_cfg(
        buf: &mut impl commonware_codec::Buf,
        _: &(),
    ) -> Result<Self, commonware_codec::Error> {
        let number = u16::read_cfg(buf, &())?;
        Self::from_number(number).ok_or(commonware_codec::Error::Invalid(
            "Rejection",
            "unknown rejection number",
        ))
    }
}

/// The reference page for every rejection, as Markdown. `docs/reference/rejections.md`
/// must equal this; the test `rejection_reference_is_current` says so when it does not.
pub fn reference_markdown() -> String {
    let mut page = String::from(
        "# Rejection codes\n\n\
         A rejected transaction changes nothing except its signer's nonce, which it consumes so\n\
         that it cannot be replayed. Its receipt names the rule it broke with one of these\n\
         codes. The number is the code's wire tag in receipts; the code is what the API and the\n\
         CLI print. Both are stable: a code is never renumbered or reused.\n\n\
         This page is generated from `crates/types/src/rejection.rs`; the test\n\
         `rejection_reference_is_current` fails when the two differ. Regenerate with\n\
         `CREDENCE_BLESS=1 cargo test -p credence-types rejection_reference_is_current`.\n\n\
         | number | code | meaning |\n|---:|---|---|\n",
    );
    for rejection in Rejection::ALL {
        page.push_str(&format!(
            "| {} | `{}` | {} |\n",
            rejection.number(),
            rejection.code(),
            rejection.meaning()
        ));
    }
    page.push_str("\n## Retired\n\nNever given out again.\n\n| number | code |\n|---:|---|\n");
    for (number, code) in RETIRED {
        page.push_str(&format!("| {number} | `{code}` |\n"));
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{decode, encode};
    use std::collections::BTreeSet;

    #[test]
    fn numbers_and_codes_are_unique_and_round_trip() {
        let numbers: BTreeSet<u16> = Rejection::ALL.iter().map(|r| r.number()).collect();
        let codes: BTreeSet<&str> = Rejection::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(numbers.len(), Rejection::ALL.len());
        assert_eq!(codes.len(), Rejection::ALL.len());
        for (number, code) in RETIRED {
            assert!(
                !numbers.contains(number) && !codes.contains(code),
                "{code} is retired"
            );
        }
        for rejection in Rejection::ALL {
            assert_eq!(decode::<Rejection>(&encode(rejection)).unwrap(), *rejection);
            assert_eq!(Rejection::from_code(rejection.code()), Some(*rejection));
        }
        assert!(decode::<Rejection>(&[0xff, 0xff]).is_err());
    }

    /// A whole number as the meanings write it: thousands separated by commas.
    fn grouped(n: u64) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    #[test]
    fn meanings_quote_the_limits_they_name() {
        use crate::{limits, money::BasisPoints};
        for (rejection, limit) in [
            (
                Rejection::InstallmentsOutOfRange,
                u64::from(limits::INSTALLMENTS_MAX),
            ),
            (
                Rejection::CurePeriodTooLong,
                u64::from(limits::CURE_DAYS_MAX),
            ),
            (Rejection::RateAboveMaximum, u64::from(BasisPoints::ONE.0)),
            (Rejection::MaxLtvAboveMaximum, u64::from(BasisPoints::ONE.0)),
        ] {
            assert!(
                rejection.meaning().contains(&grouped(limit)),
                "{rejection}'s meaning must quote {limit}"
            );
        }
    }

    #[test]
    fn rejection_reference_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/reference/rejections.md"
        );
        let expected = reference_markdown();
        if std::env::var_os("CREDENCE_BLESS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/reference/rejections.md is stale; regenerate with CREDENCE_BLESS=1"
        );
    }
}
