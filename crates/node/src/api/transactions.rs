//! Following one's own transactions: what became of each, and what it caused.
//!
//! - `GET /v1/transactions/{hash}`: pending, finalised with its outcome, or `transaction_unknown`;
//! - `GET /v1/transactions/{hash}/events`: the events a finalised transaction caused;
//! - `POST /v1/transactions/lookup`: both at once for up to [`LOOKUP_HASHES_MAX`]
//!   transactions, so a furnisher settling a Metro 2 import of a hundred thousand records asks
//!   once a window, not twice a record (each of those reads is a signature to verify).
//!
//! A transaction and what it caused are read by its signer, validators and the regulator
//! ([`Caller::transaction_signer`]); a lookup naming anyone else's transaction is refused
//! whole. Hashes are unguessable, so that a hash is unknown says nothing.

use super::{ApiError, Shared, body_rejected, query_rejected, read_state, reads, unavailable};
use crate::api::access::Caller;
use axum::{
    Json,
    body::Bytes,
    extract::{
        Path, Query, State,
        rejection::{BytesRejection, QueryRejection},
    },
};
use credence_types::{
    ApiErrorCode, Digest, PublicKey,
    access::body_digest,
    api::{
        ErrorBody, LOOKUP_HASHES_MAX, LookupQuery, LookupRequest, StreamedEvent, TransactionLookup,
        TransactionStatus,
    },
    codec::decode,
    receipt::EventSource,
    state::{StateKey, TransactionReceipt},
};
use std::{collections::BTreeMap, sync::Arc};

/// What the node knows of a transaction.
enum Known {
    /// In committed state.
    Finalized(TransactionReceipt),
    /// In the mempool, signed by this key.
    Pending(PublicKey),
    /// Neither.
    Unknown,
}

/// What the node knows of the transaction `hash`. Committing a block writes its receipts
/// before it drops its transactions from the mempool, so reading the state again after the
/// mempool missed closes the gap a block committing between the two reads would leave: a
/// transaction that is final is never answered as unknown (a resumed import would prepare
/// it again).
async fn know<E>(api: &Shared<E>, hash: &Digest) -> Result<Known, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let receipt = |bytes: Vec<u8>| decode(&bytes).map(Known::Finalized).map_err(unavailable);
    if let Some(bytes) = read_state(api, &StateKey::transaction(hash)).await? {
        return receipt(bytes);
    }
    let pending = api.node.pool().get(hash).map(|t| t.transaction().signer);
    if let Some(signer) = pending {
        return Ok(Known::Pending(signer));
    }
    match read_state(api, &StateKey::transaction(hash)).await? {
        Some(bytes) => receipt(bytes),
        None => Ok(Known::Unknown),
    }
}

#[utoipa::path(get, path = "/v1/transactions/{hash}", tag = "transactions",
    params(("hash" = String, Path, description = "A transaction hash, hex")),
    responses((status = 200, description = "Pending, or finalised with its outcome", body = TransactionStatus),
        (status = 404, description = "Neither pending nor finalised", body = ErrorBody), (status = 400, description = "Malformed input", body = ErrorBody), (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
pub(super) async fn transaction<E>(
    State(api): State<Shared<E>>,
    caller: Caller,
    Path(hash): Path<String>,
) -> Result<Json<TransactionStatus>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    caller.signed()?;
    let hash = parse_hash(&hash)?;
    match know(&api, &hash).await? {
        Known::Finalized(receipt) => {
            caller.transaction_signer(&finalised_signer(&api, &receipt).await?)?;
            Ok(Json(TransactionStatus::Finalized {
                height: receipt.height,
                index: receipt.index,
                outcome: receipt.outcome,
            }))
        }
        Known::Pending(signer) => {
            caller.transaction_signer(&signer)?;
            Ok(Json(TransactionStatus::Pending))
        }
        Known::Unknown => Err(ApiError::new(
            ApiErrorCode::TransactionUnknown,
            "no pending or finalised transaction has this hash",
        )),
    }
}

/// A transaction hash from the path; a malformed one is the client's mistake.
fn parse_hash(text: &str) -> Result<Digest, ApiError> {
    text.parse()
        .map_err(|e: String| ApiError::new(ApiErrorCode::HashMalformed, e))
}

/// The signer of the finalised transaction `receipt` is the receipt of, from its block.
async fn finalised_signer<E>(
    api: &Shared<E>,
    receipt: &TransactionReceipt,
) -> Result<PublicKey, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let signers = match api.recent.signers(receipt.height) {
        Some(signers) => signers,
        None => {
            let block = api.finality.block(receipt.height).await.ok_or_else(|| {
                unavailable("a finalised transaction's block is not in the archive")
            })?;
            let signers: Arc<Vec<_>> = Arc::new(
                block
                    .transactions
                    .as_slice()
                    .iter()
                    .map(|signed| signed.transaction.signer)
                    .collect(),
            );
            api.recent
                .keep_signers(receipt.height, Arc::clone(&signers));
            signers
        }
    };
    usize::try_from(receipt.index)
        .ok()
        .and_then(|index| signers.get(index))
        .copied()
        .ok_or_else(|| unavailable("a receipt names a transaction its block does not hold"))
}

/// The events of the committed block at `height`, kept for the next reader.
async fn block_events<E>(
    api: &Shared<E>,
    height: credence_types::Height,
) -> Result<Arc<Vec<StreamedEvent>>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    // A receipt is in committed state, so its block's events are too: safe to keep.
    if let Some(events) = api.recent.events(height) {
        return Ok(events);
    }
    let events = Arc::new(reads::block_stream(api, height).await?);
    api.recent.keep_events(height, Arc::clone(&events));
    Ok(events)
}

/// `GET /v1/transactions/{hash}/events`: the events a finalised transaction caused, for its
/// signer (and validators and the regulator), who may not read the rest of its block.
#[utoipa::path(get, path = "/v1/transactions/{hash}/events", tag = "transactions",
    params(("hash" = String, Path, description = "The transaction's hash, hex")),
    responses((status = 200, body = Vec<StreamedEvent>),
        (status = 400, description = "Malformed hash", body = ErrorBody),
        (status = 404, description = "No finalised transaction has this hash", body = ErrorBody),
        (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
pub(super) async fn transaction_events<E>(
    State(api): State<Shared<E>>,
    caller: Caller,
    Path(hash): Path<String>,
) -> Result<Json<Vec<StreamedEvent>>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    caller.signed()?;
    let hash = parse_hash(&hash)?;
    let receipt: TransactionReceipt = match read_state(&api, &StateKey::transaction(&hash)).await? {
        Some(bytes) => decode(&bytes).map_err(unavailable)?,
        None => {
            return Err(ApiError::new(
                ApiErrorCode::TransactionUnknown,
                "no finalised transaction has this hash",
            ));
        }
    };
    caller.transaction_signer(&finalised_signer(&api, &receipt).await?)?;
    let events = block_events(&api, receipt.height).await?;
    let source = EventSource::Transaction(receipt.index);
    Ok(Json(
        events
            .iter()
            .filter(|streamed| streamed.source == source)
            .cloned()
            .collect(),
    ))
}

/// `POST /v1/transactions/lookup?digest=D`: what the node knows of each transaction named, in
/// the order named, with a finalised one's events. `D` is
/// [`credence_types::access::body_digest`] of the body, so the request's signature covers the
/// hashes asked about: a captured request cannot be replayed to ask about others.
#[utoipa::path(post, path = "/v1/transactions/lookup", tag = "transactions",
    params(LookupQuery),
    request_body = LookupRequest,
    responses((status = 200, description = "What the node knows of each transaction, in the order asked; a finalised one with the events it caused", body = Vec<TransactionLookup>),
        (status = 400, description = "The body is not the documented shape, or names more hashes than a lookup holds; or the query is malformed", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
pub(super) async fn lookup<E>(
    State(api): State<Shared<E>>,
    caller: Caller,
    query: Result<Query<LookupQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Vec<TransactionLookup>>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    caller.signed()?;
    let Query(query) = query.map_err(query_rejected)?;
    let body = body.map_err(body_rejected)?;
    let hashes = lookup_from_json(&body, query.digest)?;
    let mut known = Vec::with_capacity(hashes.len());
    for hash in &hashes {
        let entry = know(&api, hash).await?;
        match &entry {
            Known::Finalized(receipt) => {
                caller.transaction_signer(&finalised_signer(&api, receipt).await?)?;
            }
            Known::Pending(signer) => caller.transaction_signer(signer)?,
            Known::Unknown => {}
        }
        known.push(entry);
    }
    // Each block's events are split by transaction once, not once a transaction asked about.
    let mut by_height: BTreeMap<credence_types::Height, BTreeMap<u32, Vec<StreamedEvent>>> =
        BTreeMap::new();
    for entry in &known {
        if let Known::Finalized(receipt) = entry
            && !by_height.contains_key(&receipt.height)
        {
            let mut split: BTreeMap<u32, Vec<StreamedEvent>> = BTreeMap::new();
            for streamed in block_events(&api, receipt.height).await?.iter() {
                if let EventSource::Transaction(index) = streamed.source {
                    split.entry(index).or_default().push(streamed.clone());
                }
            }
            by_height.insert(receipt.height, split);
        }
    }
    Ok(Json(
        known
            .into_iter()
            .map(|entry| match entry {
                Known::Unknown => TransactionLookup::Unknown,
                Known::Pending(_) => TransactionLookup::Pending,
                Known::Finalized(receipt) => TransactionLookup::Finalized {
                    events: by_height
                        .get(&receipt.height)
                        .and_then(|split| split.get(&receipt.index))
                        .cloned()
                        .unwrap_or_default(),
                    height: receipt.height,
                    index: receipt.index,
                    outcome: receipt.outcome,
                },
            })
            .collect(),
    ))
}

/// The hashes of a lookup's body, the client's bytes, checked against the digest its signed
/// query names and against the bound before anything is read.
pub fn lookup_from_json(body: &[u8], digest: Digest) -> Result<Vec<Digest>, ApiError> {
    if body_digest(body) != digest {
        return Err(ApiError::new(
            ApiErrorCode::RequestSignatureInvalid,
            "the body is not the one whose digest the signed query names",
        ));
    }
    let request: LookupRequest = serde_json::from_slice(body)
        .map_err(|e| ApiError::new(ApiErrorCode::BodyMalformed, e.to_string()))?;
    if request.hashes.len() > LOOKUP_HASHES_MAX {
        return Err(ApiError::new(
            ApiErrorCode::BatchTooLarge,
            format!("at most {LOOKUP_HASHES_MAX} hashes per lookup"),
        ));
    }
    Ok(request.hashes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(hashes: &[Digest]) -> Vec<u8> {
        serde_json::to_vec(&LookupRequest {
            hashes: hashes.to_vec(),
        })
        .unwrap_or_default()
    }

    #[test]
    fn a_lookup_reads_its_hashes_in_order() {
        let hashes = [Digest([1; 32]), Digest([2; 32]), Digest([1; 32])];
        let bytes = body(&hashes);
        assert_eq!(
            lookup_from_json(&bytes, body_digest(&bytes)).ok(),
            Some(hashes.to_vec())
        );
    }

    #[test]
    fn a_replayed_signature_with_another_body_is_refused() {
        // The attacker kept a signed lookup's headers and query and swaps the hashes.
        let signed = body(&[Digest([1; 32])]);
        let swapped = body(&[Digest([9; 32])]);
        let refused = lookup_from_json(&swapped, body_digest(&signed)).err();
        assert_eq!(
            refused.map(|e| e.code),
            Some(ApiErrorCode::RequestSignatureInvalid)
        );
    }

    #[test]
    fn a_lookup_past_its_bound_or_malformed_is_the_clients_mistake() {
        let many = body(&vec![Digest([3; 32]); LOOKUP_HASHES_MAX + 1]);
        assert_eq!(
            lookup_from_json(&many, body_digest(&many))
                .err()
                .map(|e| e.code),
            Some(ApiErrorCode::BatchTooLarge)
        );
        for malformed in [
            &b"{\"hashes\":[\"zz\"]}"[..],
            b"[]",
            b"{\"hashes\":[],\"x\":1}",
        ] {
            assert_eq!(
                lookup_from_json(malformed, body_digest(malformed))
                    .err()
                    .map(|e| e.code),
                Some(ApiErrorCode::BodyMalformed)
            );
        }
    }
}
