//! Signed requests: how a member institution or a subject proves who reads.
//!
//! Every read that is not public carries three headers: the reader's signing key (the key
//! the ledger binds to its institution or pseudonym), the time of the request, and an Ed25519
//! signature over [`request_message`] under [`READ_NAMESPACE`]. The node checks the time
//! against its clock within [`REQUEST_FRESHNESS_MS`], verifies the signature, looks the key up
//! in its latest state (a suspended institution or a rotated key reads nothing), and answers
//! only what that reader is entitled to. The message names the chain, the method and the path
//! with its query (which, for a request with a body, names the body's digest), so a signed
//! request cannot be replayed against another chain, another entry, another page or another
//! body; the time bounds how long a captured one can be replayed at all.

/// The namespace of a request signature: apart from transactions' (`credence/tx`) and votes',
/// so no signed request is ever a valid transaction or vote.
pub const READ_NAMESPACE: &[u8] = b"credence/read";

/// The header carrying the reader's signing key, as 64 hex digits.
pub const KEY_HEADER: &str = "credence-key";
/// The header carrying the request's time: Unix milliseconds, in decimal.
pub const TIME_HEADER: &str = "credence-time";
/// The header carrying the signature, as 128 hex digits.
pub const SIGNATURE_HEADER: &str = "credence-signature";

/// How far a request's time may be from the node's clock, either way: five minutes, to
/// absorb clock skew between institutions while keeping a captured request short-lived.
pub const REQUEST_FRESHNESS_MS: u64 = 300_000;

/// The query parameter of a signed request with a body that carries [`body_digest`] of it:
/// the signature covers the path and query, so through it the body.
pub const BODY_DIGEST_QUERY: &str = "digest";

/// The digest of a signed request's body, named in its query as [`BODY_DIGEST_QUERY`].
pub fn body_digest(body: &[u8]) -> crate::Digest {
    crate::Digest::of("credence/read-body", &[body])
}

/// The bytes a reader signs: the chain id, the method, the path with its query exactly as
/// sent (percent-encoding included), and the time, separated by newlines (none of which
/// may hold one).
pub fn request_message(
    chain_id: &str,
    method: &str,
    path_and_query: &str,
    time_ms: u64,
) -> Vec<u8> {
    format!("{chain_id}\n{method}\n{path_and_query}\n{time_ms}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::request_message;

    #[test]
    fn the_message_names_chain_method_path_and_time() {
        assert_eq!(
            request_message(
                "credence-devnet",
                "GET",
                "/v1/loans/3?prove=true",
                1_700_000_000_000
            ),
            b"credence-devnet\nGET\n/v1/loans/3?prove=true\n1700000000000".to_vec()
        );
    }
}
