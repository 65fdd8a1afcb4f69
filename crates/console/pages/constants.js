// Generated from Rust by crates/console/src/constants.rs: do not edit.
// Regenerate with `CREDENCE_BLESS=1 cargo test -p credence-console constants`.

/** What the ledger accepts in loan terms (rates and loan-to-value in basis points). */
export const LOAN_LIMITS = Object.freeze({
  "cure_days_max": 1000,
  "installments_max": 600,
  "max_ltv_bps_max": 10000,
  "period_months_max": 12,
  "rate_bps_max": 10000
});

/** Every kind of event the ledger emits. */
export const EVENT_KINDS = Object.freeze([
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
  "account_reinstated"
]);

/** Metro 2 account status codes: meaning, how to show them, and what the ledger asks of them. */
export const ACCOUNT_STATUSES = Object.freeze({
  "05": {
    "adverse": false,
    "meaning": "transferred",
    "requires_first_delinquency": false,
    "severity": ""
  },
  "11": {
    "adverse": false,
    "meaning": "current",
    "requires_first_delinquency": false,
    "severity": "good"
  },
  "13": {
    "adverse": false,
    "meaning": "paid or closed",
    "requires_first_delinquency": false,
    "severity": "good"
  },
  "61": {
    "adverse": false,
    "meaning": "paid, was voluntary surrender",
    "requires_first_delinquency": true,
    "severity": "warn"
  },
  "62": {
    "adverse": false,
    "meaning": "paid, was collection",
    "requires_first_delinquency": true,
    "severity": "warn"
  },
  "63": {
    "adverse": false,
    "meaning": "paid, was repossession",
    "requires_first_delinquency": true,
    "severity": "warn"
  },
  "64": {
    "adverse": false,
    "meaning": "paid, was charge-off",
    "requires_first_delinquency": true,
    "severity": "warn"
  },
  "65": {
    "adverse": false,
    "meaning": "paid, was foreclosure",
    "requires_first_delinquency": true,
    "severity": "warn"
  },
  "71": {
    "adverse": true,
    "meaning": "30–59 days past due",
    "requires_first_delinquency": true,
    "severity": "warn"
  },
  "78": {
    "adverse": true,
    "meaning": "60–89 days past due",
    "requires_first_delinquency": true,
    "severity": "bad"
  },
  "80": {
    "adverse": true,
    "meaning": "90–119 days past due",
    "requires_first_delinquency": true,
    "severity": "bad"
  },
  "82": {
    "adverse": true,
    "meaning": "120–149 days past due",
    "requires_first_delinquency": true,
    "severity": "bad"
  },
  "83": {
    "adverse": true,
    "meaning": "150–179 days past due",
    "requires_first_delinquency": true,
    "severity": "bad"
  },
  "84": {
    "adverse": true,
    "meaning": "180+ days past due",
    "requires_first_delinquency": true,
    "severity": "bad"
  },
  "88": {
    "adverse": true,
    "meaning": "government claim",
    "requires_first_delinquency": true,
    "severity": "bad"
  },
  "89": {
    "adverse": true,
    "meaning": "deed in lieu",
    "requires_first_delinquency": true,
    "severity": "bad"
  },
  "93": {
    "adverse": true,
    "meaning": "collections",
    "requires_first_delinquency": true,
    "severity": "bad"
  },
  "94": {
    "adverse": true,
    "meaning": "foreclosure completed",
    "requires_first_delinquency": true,
    "severity": "bad"
  },
  "95": {
    "adverse": true,
    "meaning": "voluntary surrender",
    "requires_first_delinquency": true,
    "severity": "bad"
  },
  "96": {
    "adverse": true,
    "meaning": "repossession",
    "requires_first_delinquency": true,
    "severity": "bad"
  },
  "97": {
    "adverse": true,
    "meaning": "charge-off",
    "requires_first_delinquency": true,
    "severity": "bad"
  },
  "DA": {
    "adverse": false,
    "meaning": "delete account",
    "requires_first_delinquency": false,
    "severity": ""
  },
  "DF": {
    "adverse": false,
    "meaning": "delete (fraud)",
    "requires_first_delinquency": false,
    "severity": ""
  }
});

/** Metro 2 payment history codes: meaning and the grid cell's class. */
export const PAYMENT_MONTHS = Object.freeze({
  "0": {
    "class": "m-current",
    "meaning": "current"
  },
  "1": {
    "class": "m-late30",
    "meaning": "30–59 days late"
  },
  "2": {
    "class": "m-late60",
    "meaning": "60–89 days late"
  },
  "3": {
    "class": "m-late90",
    "meaning": "90–119 days late"
  },
  "4": {
    "class": "m-worse",
    "meaning": "120–149 days late"
  },
  "5": {
    "class": "m-worse",
    "meaning": "150–179 days late"
  },
  "6": {
    "class": "m-worse",
    "meaning": "180+ days late"
  },
  "B": {
    "class": "m-none",
    "meaning": "no history"
  },
  "D": {
    "class": "m-none",
    "meaning": "not reported"
  },
  "E": {
    "class": "m-current",
    "meaning": "zero balance"
  },
  "G": {
    "class": "m-worse",
    "meaning": "collection"
  },
  "H": {
    "class": "m-worse",
    "meaning": "foreclosure"
  },
  "J": {
    "class": "m-worse",
    "meaning": "voluntary surrender"
  },
  "K": {
    "class": "m-worse",
    "meaning": "repossession"
  },
  "L": {
    "class": "m-worse",
    "meaning": "charge-off"
  }
});

/** Months in a payment history profile. */
export const PAYMENT_HISTORY_MONTHS = Object.freeze(24);

/** Longest whole Metro 2 data record a sealed record carries beside its tradeline. */
export const METRO2_RECORD_BYTES_MAX = Object.freeze(4096);

/** The score's reasons, by their name in a report: stable code and text. */
export const SCORE_REASONS = Object.freeze({
  "high_utilization": {
    "code": "R10",
    "text": "balances are high relative to credit limits"
  },
  "late_payment_history": {
    "code": "R03",
    "text": "late payments in the payment history"
  },
  "many_inquiries": {
    "code": "R30",
    "text": "too many inquiries in the last 12 months"
  },
  "many_new_accounts": {
    "code": "R31",
    "text": "too many accounts opened in the last 12 months"
  },
  "narrow_mix": {
    "code": "R40",
    "text": "lack of a mix of account types"
  },
  "no_revolving_history": {
    "code": "R11",
    "text": "no revolving account with a credit limit"
  },
  "past_due_now": {
    "code": "R02",
    "text": "an account is past due now"
  },
  "serious_delinquency": {
    "code": "R01",
    "text": "serious delinquency or derogatory status on an account"
  },
  "short_history": {
    "code": "R20",
    "text": "length of time accounts have been established"
  }
});

/** Why a lender may read a file. */
export const PURPOSES = Object.freeze([
  {
    "label": "credit application",
    "value": "credit_application"
  },
  {
    "label": "account review (monitoring)",
    "value": "account_review"
  },
  {
    "label": "collections",
    "value": "collections"
  },
  {
    "label": "insurance",
    "value": "insurance"
  },
  {
    "label": "employment",
    "value": "employment"
  },
  {
    "label": "tenancy",
    "value": "tenancy"
  }
]);

/** Hard (counts as credit sought) or soft. */
export const INQUIRY_KINDS = Object.freeze([
  "hard",
  "soft"
]);

/** Metro 2 portfolio types. */
export const PORTFOLIO_TYPES = Object.freeze([
  {
    "label": "line of credit",
    "value": "line_of_credit"
  },
  {
    "label": "installment",
    "value": "installment"
  },
  {
    "label": "mortgage",
    "value": "mortgage"
  },
  {
    "label": "open",
    "value": "open"
  },
  {
    "label": "revolving",
    "value": "revolving"
  }
]);

/** How a loan is repaid. */
export const SCHEDULES = Object.freeze([
  {
    "label": "amortising, equal installments",
    "value": "amortizing"
  },
  {
    "label": "interest only, balloon",
    "value": "interest_only_balloon"
  },
  {
    "label": "bullet",
    "value": "bullet"
  }
]);

/** Why a subject may dispute a record. */
export const DISPUTE_REASONS = Object.freeze([
  {
    "label": "not mine",
    "value": "not_mine"
  },
  {
    "label": "inaccurate amount",
    "value": "inaccurate_amount"
  },
  {
    "label": "inaccurate status or history",
    "value": "inaccurate_status"
  },
  {
    "label": "already paid",
    "value": "already_paid"
  },
  {
    "label": "identity theft",
    "value": "identity_theft"
  },
  {
    "label": "obsolete",
    "value": "obsolete"
  }
]);

/** How a dispute ends. */
export const DISPUTE_RESOLUTIONS = Object.freeze([
  {
    "label": "verified",
    "value": "verified"
  },
  {
    "label": "corrected",
    "value": "corrected"
  },
  {
    "label": "deleted",
    "value": "deleted"
  },
  {
    "label": "lapsed (unanswered)",
    "value": "lapsed"
  }
]);

/** Most items in one page of a listing. */
export const PAGE_LIMIT_MAX = Object.freeze(100);

/** The namespace a signed read's signature is made under (`access::READ_NAMESPACE`). */
export const READ_NAMESPACE = Object.freeze("credence/read");

/** The header carrying a signed read's signing key, 64 hex digits. */
export const KEY_HEADER = Object.freeze("credence-key");

/** The header carrying a signed read's time, Unix milliseconds in decimal. */
export const TIME_HEADER = Object.freeze("credence-time");

/** The header carrying a signed read's signature, 128 hex digits. */
export const SIGNATURE_HEADER = Object.freeze("credence-signature");

/** How far a signed read's time may be from the node's clock, either way. */
export const REQUEST_FRESHNESS_MS = Object.freeze(300000);

/** The API's refusals of who reads, by code: 401 asks for (other) credentials, 403 says the reader is not entitled. */
export const READ_REFUSALS = Object.freeze({
  "operator_token_invalid": 401,
  "read_forbidden": 403,
  "request_expired": 401,
  "request_signature_invalid": 401,
  "signer_unknown": 401,
  "unauthenticated": 401
});

/** The API's refusals of a busy node (429, with `Retry-After`): the same transaction is submitted again after the wait. */
export const BUSY_CODES = Object.freeze([
  "nonce_too_far_ahead",
  "mempool_full",
  "share_exceeded"
]);
