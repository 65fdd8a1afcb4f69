//! Why the API refused a request: one value per reason, with its HTTP status.
//!
//! A client's mistake is a 4xx with one of these codes, never a 500 or a dropped
//! connection; a node that cannot answer now says so with a 5xx code that asks for a retry,
//! and a busy one with a 429 and `Retry-After`.
//! Each has a stable number, a stable snake_case code (the `code` of the error body) and an
//! HTTP status, listed with its meaning in `docs/reference/api-errors.md`, which a test keeps
//! in step with this file. A transaction the ledger rejected is not an API error: its
//! receipt carries a [`crate::Rejection`].

use std::fmt;

macro_rules! api_errors {
    ($( $number:literal $variant:ident $status:literal $code:literal $meaning:literal ),* $(,)?) => {
        /// A reason the API refused a request.
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ApiErrorCode {
            $( #[doc = $meaning] $variant, )*
        }

        impl ApiErrorCode {
            /// Every code, in number order.
            pub const ALL: &'static [ApiErrorCode] = &[$(ApiErrorCode::$variant),*];

            /// The stable number.
            pub fn number(self) -> u16 {
                match self { $(ApiErrorCode::$variant => $number,)* }
            }

            /// The HTTP status it is served with.
            pub fn status(self) -> u16 {
                match self { $(ApiErrorCode::$variant => $status,)* }
            }

            /// The stable snake_case code.
            pub fn code(self) -> &'static str {
                match self { $(ApiErrorCode::$variant => $code,)* }
            }

            /// What it means, in one sentence.
            pub fn meaning(self) -> &'static str {
                match self { $(ApiErrorCode::$variant => $meaning,)* }
            }

            /// The code with this snake_case name.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some(ApiErrorCode::$variant),)* _ => None }
            }
        }
    };
}

api_errors! {
    // The request's shape.
    1 BodyMalformed 400 "body_malformed" "The request body is not the JSON the endpoint expects.",
    2 BodyTooLarge 413 "body_too_large" "The request body is larger than the endpoint accepts.",
    3 QueryMalformed 400 "query_malformed" "A query parameter is unknown, malformed or outside its range.",
    4 RouteUnknown 404 "route_unknown" "No endpoint has this path.",
    5 IdMalformed 400 "id_malformed" "A path id is not a whole number in the id's range.",
    6 KeyMalformed 400 "key_malformed" "A state key or signing key in the path is not the hex it should be.",
    7 HashMalformed 400 "hash_malformed" "A transaction hash in the path is not 64 hex digits.",
    8 HeightMalformed 400 "height_malformed" "A block height in the path is not a whole number.",
    9 SubjectMalformed 400 "subject_malformed" "A subject pseudonym is not 64 hex digits.",
    10 EventIdMalformed 400 "event_id_malformed" "A `Last-Event-ID` or `after` is not an event id (`height:index`).",
    // Submitting transactions.
    20 TransactionMalformed 422 "transaction_malformed" "The transaction's bytes do not decode as a signed transaction within the size limits.",
    21 TransactionTooLarge 413 "transaction_too_large" "The transaction is larger than a transaction may be.",
    22 BatchTooLarge 400 "batch_too_large" "The batch holds more transactions, or the lookup more hashes, than one request may.",
    23 ChainIdMismatch 422 "chain_id_mismatch" "The transaction names another network's chain id.",
    24 SignatureInvalid 422 "signature_invalid" "The transaction's signature does not verify under its signer's key.",
    25 NonceStale 409 "nonce_stale" "The nonce has already been used by a finalised transaction of this signer.",
    26 NonceTaken 409 "nonce_taken" "Another pending transaction of this signer already has this nonce.",
    27 NonceTooFarAhead 429 "nonce_too_far_ahead" "The signer has as many transactions in flight as the node allows one signer (`mempool.nonce_window` past its last accepted nonce); retry after the `Retry-After` seconds, from this transaction on, in nonce order.",
    28 TransactionDuplicate 409 "transaction_duplicate" "This very transaction is already pending.",
    29 MempoolFull 429 "mempool_full" "The node holds as many pending transactions as it may; retry after the `Retry-After` seconds, from this transaction on, in nonce order.",
    30 ShareExceeded 429 "share_exceeded" "The mempool is busy and the signer's institution (or, for a key no institution owns, the public: all such keys together) holds its equal share of it; retry after the `Retry-After` seconds, from this transaction on, in nonce order.",
    31 NonceGap 409 "nonce_gap" "The nonce is not the signer's next after its pending transactions: an earlier one was refused or not yet submitted. Submit from the earliest one not admitted, in nonce order.",
    // Reading the ledger.
    40 AccountUnknown 404 "account_unknown" "The signing key has signed nothing on this ledger.",
    41 BlockUnknown 404 "block_unknown" "No committed block has this height.",
    42 TransactionUnknown 404 "transaction_unknown" "No pending or finalised transaction has this hash.",
    43 InstitutionUnknown 404 "institution_unknown" "No institution has this id.",
    44 SubjectUnknown 404 "subject_unknown" "No subject has this pseudonym.",
    45 RecordUnknown 404 "record_unknown" "No record has this id.",
    46 ConsentUnknown 404 "consent_unknown" "No consent has this id.",
    47 InquiryUnknown 404 "inquiry_unknown" "No inquiry has this id.",
    48 DisputeUnknown 404 "dispute_unknown" "No dispute has this id.",
    49 AssetUnknown 404 "asset_unknown" "No asset has this id.",
    50 LoanUnknown 404 "loan_unknown" "No loan has this id.",
    51 CertificateUnavailable 503 "certificate_unavailable" "The node holds no finalisation certificate for its latest block yet; retry.",
    52 FileTooLarge 422 "file_too_large" "The subject's file holds more entries than one proven answer carries (`api::FILE_ENTRIES_MAX`).",
    53 EpochUnknown 404 "epoch_unknown" "The chain has not reached this epoch yet, or it is epoch 0 (whose validators are in genesis).",
    // Who reads.
    54 Unauthenticated 401 "unauthenticated" "The route serves only signed requests (`credence-key`, `credence-time`, `credence-signature`) or the node's operator token.",
    55 RequestSignatureInvalid 401 "request_signature_invalid" "The request's key, time or signature header is malformed, the signature does not verify over the request, or a body does not match the digest its query names.",
    56 RequestExpired 401 "request_expired" "The request's time is more than `access::REQUEST_FRESHNESS_MS` from the node's clock; sign it again.",
    57 SignerUnknown 401 "signer_unknown" "The signing key is no active institution's or subject's current key.",
    58 ReadForbidden 403 "read_forbidden" "The reader is not entitled to this entry: no consent in force, not a party to it, or a route for the regulator or validators only.",
    // The node.
    60 NodeUnavailable 503 "node_unavailable" "The node cannot answer now (it is busy writing state, has halted, or cannot read or prove what it stores); retry, here or at another node.",
    // The lender console's operator endpoints.
    80 ConsoleLocked 403 "console_locked" "The node has no operator token configured, so its lender console is off.",
    81 OperatorTokenInvalid 401 "operator_token_invalid" "The operator token is missing or wrong.",
    82 ConsentMissing 403 "consent_missing" "The institution holds no active consent on this subject.",
    83 LoanNotRunning 409 "loan_not_running" "The loan is not running, so nothing is owed on it.",
    84 NodeUnreachable 502 "node_unreachable" "The console's node did not answer as its API promises; retry.",
    85 Metro2Unreadable 422 "metro2_unreadable" "An uploaded file is not a Metro 2 file the reader accepts; the message names the record, the byte offset and the problem, never a value.",
    86 ImportUnknown 404 "import_unknown" "No Metro 2 import with this id was started on this console since its node started.",
}

impl ApiErrorCode {
    /// Whether the node refused because it is busy (a 429 with `Retry-After`): the same
    /// request may succeed later.
    pub fn is_busy(self) -> bool {
        self.status() == 429
    }
}

impl fmt::Display for ApiErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for ApiErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiErrorCode({})", self.code())
    }
}

/// The reference page for every API error, as Markdown. `docs/reference/api-errors.md` must
/// equal this; the test `api_error_reference_is_current` says so when it does not.
pub fn reference_markdown() -> String {
    let mut page = String::from(
        "# API error codes\n\n\
         A request the API refuses gets an HTTP status and a JSON body\n\
         `{\"code\": \"…\", \"message\": \"…\"}`. The code is one of these; the message is for\n\
         people and may change. A 4xx is the client's to fix; a 5xx asks for a retry. Codes are\n\
         stable: never renumbered, renamed or reused.\n\n\
         A `429` means the node is busy: it refused early, before any work, and its\n\
         `Retry-After` header says how many seconds to wait. Resubmit the signer's refused\n\
         transactions from the first, in nonce order (the client library does:\n\
         `credence_client::submission`). A batch submission answers `200` with a refusal per\n\
         transaction, and carries `Retry-After` when any was refused as busy.\n\n\
         A `400` means the request does not have the shape the OpenAPI document describes (a\n\
         request valid by the document is never refused with one); a `422` means it has the\n\
         shape but its content is refused (hex that is not a signed transaction, a bad\n\
         signature).\n\n\
         A transaction the ledger *rejects* is not an API error: it is admitted, finalised, and\n\
         its receipt names the rule it broke ([rejection codes](rejections.md)). The lender\n\
         console's operator endpoints, which wait for a transaction's outcome, answer a\n\
         rejected one with `422` and the rejection's code.\n\n\
         This page is generated from `crates/types/src/api_error.rs`; the test\n\
         `api_error_reference_is_current` fails when the two differ. Regenerate with\n\
         `CREDENCE_BLESS=1 cargo test -p credence-types api_error_reference_is_current`.\n\n\
         | number | status | code | meaning |\n|---:|---:|---|---|\n",
    );
    for error in ApiErrorCode::ALL {
        page.push_str(&format!(
            "| {} | {} | `{}` | {} |\n",
            error.number(),
            error.status(),
            error.code(),
            error.meaning()
        ));
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn numbers_and_codes_are_unique_and_statuses_are_errors() {
        let numbers: BTreeSet<u16> = ApiErrorCode::ALL.iter().map(|e| e.number()).collect();
        let codes: BTreeSet<&str> = ApiErrorCode::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(numbers.len(), ApiErrorCode::ALL.len());
        assert_eq!(codes.len(), ApiErrorCode::ALL.len());
        for error in ApiErrorCode::ALL {
            assert!((400..600).contains(&error.status()), "{error}");
            assert_eq!(ApiErrorCode::from_code(error.code()), Some(*error));
        }
    }

    #[test]
    fn api_error_reference_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/reference/api-errors.md"
        );
        let expected = reference_markdown();
        if std::env::var_os("CREDENCE_BLESS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/reference/api-errors.md is stale; regenerate with CREDENCE_BLESS=1"
        );
    }
}
