//! The node's HTTP API, versioned under `/v1`. JSON in and out; a client's mistake is a 4xx
//! with a stable `code` and a `message`, never a 500.
//!
//! - `POST /v1/transactions`: submit a signed transaction (`{"transaction": "<hex>"}`, or the
//!   raw bytes as `application/octet-stream`); `202` with its hash;
//! - `GET /v1/transactions/{hash}`: `pending`, `finalized` (height, index, outcome), or 404;
//!   `POST /v1/transactions/lookup` answers that and the events caused for many at once (see
//!   [`transactions`]);
//! - `GET /v1/status`: chain id, finalised height, block digest, state root, mempool size;
//! - `GET /v1/headers/latest`: the latest committed header with its finalisation certificate;
//! - `GET /v1/{institutions,subjects,records,consents,inquiries,disputes,assets,loans}/{id}`
//!   and `GET /v1/state/{key}`: one entry, with `?prove=true` a proof to the state root of a
//!   certified header (see [`reads`]);
//! - `GET /v1/subjects/{pseudonym}/{records,consents,inquiries,disputes,loans,assets}`: pages of a
//!   subject's listings (`?from=&limit=`);
//! - `GET /v1/events`: the chain's events as Server-Sent Events, resumable with
//!   `Last-Event-ID` (see [`events`]);
//! - `GET /health`: 200 while the node runs, 503 once it has halted.
//!
//! Only health, status, headers with their certificates, epoch transitions, the OpenAPI
//! document and submissions (a transaction is authenticated by its own signature) are public;
//! every other read is a signed request, answered only to a reader entitled to it (see
//! [`access`]). Prometheus's `/metrics` is served on a listener of its own
//! ([`metrics_router`]).

pub mod access;
mod events;
mod file;
pub mod openapi;
mod reads;
pub mod recent;
mod transactions;

pub use transactions::lookup_from_json;

use access::Caller;
use openapi::Exact;

use crate::{
    consensus::finality::Finality,
    service::{Node, SubmitError},
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{
        DefaultBodyLimit, Path, State,
        rejection::{BytesRejection, QueryRejection},
    },
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use credence_types::{
    ApiErrorCode, Height,
    api::{
        AccountView, BatchItem, BatchRequest, BlockSummary, Encoded, ErrorBody, Status,
        SubmitRequest, Submitted,
    },
    codec::decode,
    state::StateKey,
    transaction::Transaction,
};
use std::sync::Arc;

/// An API error: one of the documented codes (which carries its HTTP status) and a message
/// for people.
#[derive(Debug)]
pub struct ApiError {
    code: ApiErrorCode,
    message: String,
    /// Seconds the client should wait before retrying, sent as `Retry-After` (a 429).
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(code: ApiErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A refused submission; a busy node's refusal says when to retry.
    fn refused<E>(node: &Node<E>, error: SubmitError) -> Self
    where
        E: commonware_storage::Context + commonware_runtime::Spawner,
    {
        let mut refused = Self::from(error);
        if refused.code.is_busy() {
            refused.retry_after = Some(node.retry_after_secs());
        }
        refused
    }

    /// The documented code, which carries the HTTP status.
    pub fn code(&self) -> ApiErrorCode {
        self.code
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.code.status()).expect(
            "every code's status is 400 to 599 (`numbers_and_codes_are_unique_and_statuses_are_errors`)",
        );
        let body = ErrorBody {
            code: self.code.code().to_string(),
            message: self.message,
        };
        match self.retry_after {
            Some(seconds) => (status, [(header::RETRY_AFTER, seconds)], Json(body)).into_response(),
            None => (status, Json(body)).into_response(),
        }
    }
}

impl From<SubmitError> for ApiError {
    fn from(error: SubmitError) -> Self {
        use crate::mempool::MempoolError;
        let message = error.to_string();
        let code = match error {
            SubmitError::TooLarge => ApiErrorCode::TransactionTooLarge,
            SubmitError::Malformed(_) => ApiErrorCode::TransactionMalformed,
            SubmitError::WrongChain(_) => ApiErrorCode::ChainIdMismatch,
            SubmitError::BadSignature => ApiErrorCode::SignatureInvalid,
            SubmitError::StaleNonce { .. } | SubmitError::Mempool(MempoolError::Stale) => {
                ApiErrorCode::NonceStale
            }
            SubmitError::Mempool(MempoolError::Duplicate) => ApiErrorCode::TransactionDuplicate,
            SubmitError::Mempool(MempoolError::NonceTaken) => ApiErrorCode::NonceTaken,
            SubmitError::Mempool(MempoolError::NonceTooFarAhead(_)) => {
                ApiErrorCode::NonceTooFarAhead
            }
            SubmitError::Mempool(MempoolError::Full) => ApiErrorCode::MempoolFull,
            SubmitError::Mempool(MempoolError::OverShare) => ApiErrorCode::ShareExceeded,
            SubmitError::Mempool(MempoolError::NonceGap { .. }) => ApiErrorCode::NonceGap,
            SubmitError::Unavailable(_) => ApiErrorCode::NodeUnavailable,
        };
        Self::new(code, message)
    }
}

/// The node could not read its own state: retryable, and never the client's fault.
fn unavailable(error: impl std::fmt::Display) -> ApiError {
    ApiError::new(ApiErrorCode::NodeUnavailable, error.to_string())
}

/// The value under `key` at the latest committed block.
async fn read_state<E>(api: &Shared<E>, key: &StateKey) -> Result<Option<Vec<u8>>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let chain = api.node.chain.lock().await;
    chain.store().get(key).await.map_err(unavailable)
}

/// A request body the API could not take: too large, or not readable.
fn body_rejected(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            ApiErrorCode::BodyTooLarge,
            format!("a request body holds at most {BATCH_BYTES_MAX} bytes"),
        )
    } else {
        ApiError::new(ApiErrorCode::BodyMalformed, rejection.body_text())
    }
}

/// A query string the API could not parse.
fn query_rejected(rejection: QueryRejection) -> ApiError {
    ApiError::new(ApiErrorCode::QueryMalformed, rejection.body_text())
}

/// The OpenAPI document of this API, generated from the handlers and types.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Credence node API",
        description = "A Credence validator's API: submit signed transactions, read the ledger with proofs against headers the validators signed, and follow its events. Errors are a JSON body with a stable `code` and a `message`."
    ),
    paths(
        submit, submit_batch, transactions::lookup, transactions::transaction, transactions::transaction_events, account, block, status,
        reads::latest_header, reads::epoch_transition, reads::raw, reads::institution, reads::subject, reads::record,
        reads::consent, reads::inquiry, reads::dispute, reads::asset, reads::loan,
        reads::subject_records, reads::subject_consents, reads::subject_inquiries,
        reads::subject_private_inquiries, file::subject_file, reads::subject_report_key,
        reads::subject_disputes, reads::subject_loans, reads::subject_assets, reads::loan_schedule,
        reads::loan_history, reads::institutions, reads::institution_loans,
        reads::institution_consents, reads::institution_disputes, reads::meta, reads::block_events, encode, events::stream,
    ),
    modifiers(&Exact),
    tags(
        (name = "transactions", description = "Submitting transactions and following them"),
        (name = "chain", description = "Blocks, headers and certificates"),
        (name = "state", description = "Entries of the ledger, with proofs on request"),
        (name = "events", description = "The chain's events, resumable"),
    )
)]
pub struct ApiDoc;

/// `GET /v1/openapi.json`.
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(<ApiDoc as utoipa::OpenApi>::openapi())
}

/// Any path the API does not serve.
async fn not_found() -> ApiError {
    ApiError::new(ApiErrorCode::RouteUnknown, "no such endpoint")
}

/// What the API needs from the node.
pub struct ApiState<E: commonware_storage::Context + commonware_runtime::Spawner> {
    /// The node.
    pub node: Arc<Node<E>>,
    /// The reader of finalisation certificates.
    pub finality: Finality<E>,
    /// The signers and events of the last committed blocks the per-transaction reads used.
    pub recent: recent::RecentBlocks,
}

type Shared<E> = Arc<ApiState<E>>;

/// The API's routes.
pub fn router<E>(state: ApiState<E>) -> Router
where
    E: commonware_storage::Context + commonware_runtime::Spawner + Send + Sync + 'static,
{
    Router::new()
        .route("/v1/transactions", post(submit::<E>))
        .route("/v1/transactions/batch", post(submit_batch::<E>))
        .route("/v1/transactions/encode", post(encode))
        .route("/v1/blocks/{height}", get(block::<E>))
        .route("/v1/blocks/{height}/events", get(reads::block_events::<E>))
        .route("/v1/meta", get(reads::meta::<E>))
        .route("/v1/accounts/{key}", get(account::<E>))
        .route("/v1/transactions/lookup", post(transactions::lookup::<E>))
        .route(
            "/v1/transactions/{hash}",
            get(transactions::transaction::<E>),
        )
        .route(
            "/v1/transactions/{hash}/events",
            get(transactions::transaction_events::<E>),
        )
        .route("/v1/status", get(status::<E>))
        .route("/v1/headers/latest", get(reads::latest_header::<E>))
        .route("/v1/epochs/{epoch}", get(reads::epoch_transition::<E>))
        .route("/v1/events", get(events::stream::<E>))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/state/{key}", get(reads::raw::<E>))
        .route("/v1/institutions/{id}", get(reads::institution::<E>))
        .route("/v1/subjects/{id}", get(reads::subject::<E>))
        .route(
            "/v1/subjects/{id}/records",
            get(reads::subject_records::<E>),
        )
        .route(
            "/v1/subjects/{id}/consents",
            get(reads::subject_consents::<E>),
        )
        .route(
            "/v1/subjects/{id}/inquiries",
            get(reads::subject_inquiries::<E>),
        )
        .route("/v1/subjects/{id}/file", get(file::subject_file::<E>))
        .route(
            "/v1/subjects/{id}/report-key",
            get(reads::subject_report_key::<E>),
        )
        .route(
            "/v1/subjects/{id}/private-inquiries",
            get(reads::subject_private_inquiries::<E>),
        )
        .route(
            "/v1/subjects/{id}/disputes",
            get(reads::subject_disputes::<E>),
        )
        .route("/v1/subjects/{id}/loans", get(reads::subject_loans::<E>))
        .route("/v1/subjects/{id}/assets", get(reads::subject_assets::<E>))
        .route("/v1/records/{id}", get(reads::record::<E>))
        .route("/v1/consents/{id}", get(reads::consent::<E>))
        .route("/v1/inquiries/{id}", get(reads::inquiry::<E>))
        .route("/v1/disputes/{id}", get(reads::dispute::<E>))
        .route("/v1/assets/{id}", get(reads::asset::<E>))
        .route("/v1/loans/{id}", get(reads::loan::<E>))
        .route("/v1/loans/{id}/schedule", get(reads::loan_schedule::<E>))
        .route("/v1/loans/{id}/history", get(reads::loan_history::<E>))
        .route("/v1/institutions", get(reads::institutions::<E>))
        .route(
            "/v1/institutions/{id}/loans",
            get(reads::institution_loans::<E>),
        )
        .route(
            "/v1/institutions/{id}/consents",
            get(reads::institution_consents::<E>),
        )
        .route(
            "/v1/institutions/{id}/disputes",
            get(reads::institution_disputes::<E>),
        )
        .fallback(not_found)
        .route("/health", get(health::<E>))
        // Hex doubles a transaction's size; leave room for the JSON around it.
        .layer(DefaultBodyLimit::max(BATCH_BYTES_MAX))
        .with_state(Arc::new(state))
}

/// Most transactions in one batch submission.
pub const BATCH_TRANSACTIONS_MAX: usize = 1_024;
/// Largest request body: a batch of hex-encoded transactions.
pub const BATCH_BYTES_MAX: usize = 8 << 20;

#[utoipa::path(post, path = "/v1/transactions", tag = "transactions",
    request_body(content = SubmitRequest, description = "A signed transaction, hex; or its raw bytes as application/octet-stream"),
    responses((status = 202, description = "Admitted to the mempool", body = Submitted),
        (status = 400, description = "The body is not the documented shape (not JSON, `transaction` not hex)", body = ErrorBody),
        (status = 409, description = "Duplicate; nonce taken, stale, or not the signer's next after its pending transactions", body = ErrorBody),
        (status = 422, description = "The bytes are not a signed transaction, name another chain, or the signature does not verify", body = ErrorBody),
        (status = 413, description = "Body or transaction too large", body = ErrorBody),
        (status = 429, description = "The node is busy: mempool full, the signer's institution holds its share of it, or the signer has as many transactions in flight as one may; retry after `Retry-After` seconds", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        (status = 503, description = "Node unavailable", body = ErrorBody)))]
async fn submit<E>(
    State(api): State<Shared<E>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Submitted>), ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let body = body.map_err(body_rejected)?;
    let binary = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/octet-stream"));
    let bytes = if binary {
        body.to_vec()
    } else {
        submit_from_json(&body)?
    };
    let hash = api
        .node
        .submit(&bytes)
        .await
        .map_err(|error| ApiError::refused(&api.node, error))?;
    Ok((StatusCode::ACCEPTED, Json(Submitted { hash })))
}

/// The transaction's bytes of a submit request's JSON body (`{"transaction": HEX}`): the
/// client's bytes, untrusted. The node decodes and checks the transaction itself.
pub fn submit_from_json(body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let parsed: SubmitRequest = serde_json::from_slice(body)
        .map_err(|e| ApiError::new(ApiErrorCode::BodyMalformed, e.to_string()))?;
    transaction_hex(&parsed.transaction).ok_or_else(|| {
        ApiError::new(
            ApiErrorCode::BodyMalformed,
            format!(
                "`transaction` is not hex of 1 to {} bytes",
                credence_types::limits::TRANSACTION_BYTES_MAX
            ),
        )
    })
}

#[utoipa::path(post, path = "/v1/transactions/encode", tag = "transactions",
    request_body(content = Transaction, description = "An unsigned transaction, as JSON"),
    responses((status = 200, description = "Its canonical encoding, to be signed", body = Encoded),
        (status = 400, description = "The body is not a transaction's JSON", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody)))]
/// `POST /v1/transactions/encode`: the canonical bytes of an unsigned transaction, for a
/// signer that holds its key elsewhere (the borrower portal signs in the browser). Encoding
/// reads no state; the node checks the signed transaction in full when it is submitted.
async fn encode(body: Result<Bytes, BytesRejection>) -> Result<Json<Encoded>, ApiError> {
    let body = body.map_err(body_rejected)?;
    let transaction = transaction_from_json(&body)?;
    Ok(Json(Encoded {
        signing_bytes: hex::encode(transaction.signing_bytes()),
    }))
}

/// The unsigned transaction an encode request's body describes, as JSON: the client's bytes,
/// untrusted. Whole numbers written as floats (`5.0`) are read as integers.
pub fn transaction_from_json(body: &[u8]) -> Result<Transaction, ApiError> {
    let malformed =
        |e: serde_json::Error| ApiError::new(ApiErrorCode::BodyMalformed, e.to_string());
    let mut json: serde_json::Value = serde_json::from_slice(body).map_err(malformed)?;
    whole_numbers(&mut json);
    serde_json::from_value(json).map_err(malformed)
}

/// A transaction's bytes from its hex in a request body, if the hex has the documented shape:
/// hex digits for 1 to `TRANSACTION_BYTES_MAX` bytes.
fn transaction_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.is_empty() || text.len() > 2 * credence_types::limits::TRANSACTION_BYTES_MAX {
        return None;
    }
    hex::decode(text).ok()
}

/// Writes every whole number in `value` as an integer: JSON (and the OpenAPI document) does
/// not distinguish `5` from `5.0`, but the typed decoder of a transaction does.
fn whole_numbers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) => {
            // `{:.0}` writes a whole float's exact digits, which parse as an integer when
            // they fit one.
            let integer = number
                .as_f64()
                .filter(|f| number.is_f64() && f.fract() == 0.0)
                .and_then(|f| format!("{f:.0}").parse::<serde_json::Number>().ok())
                .filter(|n| n.is_u64() || n.is_i64());
            if let Some(integer) = integer {
                *number = integer;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(object) => object.values_mut().for_each(whole_numbers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

#[utoipa::path(post, path = "/v1/transactions/batch", tag = "transactions",
    request_body = BatchRequest,
    responses((status = 200, description = "Each transaction admitted or refused, in order; with `Retry-After` when any was refused because the node is busy", body = Vec<BatchItem>,
            headers(("Retry-After" = Option<u64>, description = "Seconds to wait before resubmitting what was refused as busy"))),
        (status = 400, description = "The body is not the documented shape: not JSON, an item not hex, or more transactions than a batch holds", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody)))]
/// `POST /v1/transactions/batch`: up to [`BATCH_TRANSACTIONS_MAX`] hex-encoded transactions;
/// each is admitted or refused on its own, in order (for one signer, in nonce order; once one
/// of a signer's is refused, its later ones are refused as `nonce_gap`). Signatures are
/// verified as one batch, after the cheap checks.
async fn submit_batch<E>(
    State(api): State<Shared<E>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let body = body.map_err(body_rejected)?;
    let decoded = batch_from_json(&body)?;
    let mut busy = false;
    let results: Vec<BatchItem> = api
        .node
        .submit_all(&decoded)
        .await
        .into_iter()
        .map(|outcome| match outcome {
            Ok(hash) => BatchItem::Accepted { hash },
            Err(error) => {
                let error = ApiError::from(error);
                busy |= error.code.is_busy();
                BatchItem::Refused {
                    code: error.code.code().to_string(),
                    message: error.message,
                }
            }
        })
        .collect();
    Ok(if busy {
        (
            [(header::RETRY_AFTER, api.node.retry_after_secs())],
            Json(results),
        )
            .into_response()
    } else {
        Json(results).into_response()
    })
}

/// The transactions' bytes, in order, of a batch request's body: the client's bytes,
/// untrusted. The body's shape is checked whole before anything is admitted: a batch with
/// an item that is not hex is the client's malformed request, not a list of refusals.
pub fn batch_from_json(body: &[u8]) -> Result<Vec<Vec<u8>>, ApiError> {
    let parsed: BatchRequest = serde_json::from_slice(body)
        .map_err(|e| ApiError::new(ApiErrorCode::BodyMalformed, e.to_string()))?;
    if parsed.transactions.len() > BATCH_TRANSACTIONS_MAX {
        return Err(ApiError::new(
            ApiErrorCode::BatchTooLarge,
            format!("at most {BATCH_TRANSACTIONS_MAX} transactions per batch"),
        ));
    }
    parsed
        .transactions
        .iter()
        .enumerate()
        .map(|(index, text)| {
            transaction_hex(text).ok_or_else(|| {
                ApiError::new(
                    ApiErrorCode::BodyMalformed,
                    format!(
                        "transaction {index} of the batch is not hex of 1 to {} bytes",
                        credence_types::limits::TRANSACTION_BYTES_MAX
                    ),
                )
            })
        })
        .collect()
}

#[utoipa::path(get, path = "/v1/accounts/{key}", tag = "transactions",
    params(("key" = String, Path, description = "A signing key, hex")),
    responses((status = 200, body = AccountView), (status = 404, description = "The key has signed nothing", body = ErrorBody), (status = 400, description = "Malformed input", body = ErrorBody), (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
/// `GET /v1/accounts/{key}`: a signing key's owner and last nonce, so a client can resume
/// signing; 404 for a key that has signed nothing.
async fn account<E>(
    State(api): State<Shared<E>>,
    caller: Caller,
    Path(key): Path<String>,
) -> Result<Json<AccountView>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    caller.reader()?;
    let key: credence_types::PublicKey = key
        .parse()
        .map_err(|e: String| ApiError::new(ApiErrorCode::KeyMalformed, e))?;
    caller.key_holder(&key)?;
    let stored = read_state(&api, &StateKey::signer(&key)).await?;
    let bytes = stored
        .ok_or_else(|| ApiError::new(ApiErrorCode::AccountUnknown, "no account has this key"))?;
    let signer: credence_types::state::Signer = decode(&bytes).map_err(unavailable)?;
    Ok(Json(AccountView {
        principal: signer.principal,
        nonce: signer.nonce,
    }))
}

#[utoipa::path(get, path = "/v1/blocks/{height}", tag = "chain",
    params(("height" = u64, Path, description = "A block height")),
    responses((status = 200, body = BlockSummary), (status = 404, description = "No committed block has this height", body = ErrorBody), (status = 400, description = "Malformed input", body = ErrorBody), (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
/// `GET /v1/blocks/{height}`: a committed block: from memory for the last
/// [`crate::service::RECENT_BLOCKS_MAX`], else from the consensus archive.
async fn block<E>(
    State(api): State<Shared<E>>,
    caller: Caller,
    Path(height): Path<String>,
) -> Result<Json<BlockSummary>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    caller.chain_reader()?;
    let height: u64 = height
        .parse()
        .map_err(|_| ApiError::new(ApiErrorCode::HeightMalformed, "height must be a number"))?;
    if let Some(recent) = api.node.recent_block(Height(height)) {
        return Ok(Json(recent));
    }
    // Older blocks come from the consensus archive; only committed ones are served.
    let committed = api.node.chain.lock().await.tip().header.height.0;
    let archived = if height <= committed {
        api.finality.block(Height(height)).await
    } else {
        None
    };
    let block = archived.ok_or_else(|| {
        ApiError::new(
            ApiErrorCode::BlockUnknown,
            "no committed block has this height",
        )
    })?;
    Ok(Json(BlockSummary {
        digest: block.header.digest(),
        header: block.header,
        transactions: block
            .transactions
            .iter()
            .map(credence_types::SignedTransaction::hash)
            .collect(),
    }))
}

#[utoipa::path(get, path = "/v1/status", tag = "chain",
    responses((status = 200, body = Status)))]
async fn status<E>(State(api): State<Shared<E>>) -> Json<Status>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let tip = api.node.chain.lock().await.tip();
    Json(Status {
        chain_id: api.node.settings.chain_id.as_str().to_string(),
        height: tip.header.height,
        block: tip.digest,
        state_root: tip.header.state_root,
        time: tip.header.time,
        mempool: api.node.mempool_len(),
    })
}

async fn health<E>(State(api): State<Shared<E>>) -> (StatusCode, String)
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    match api.node.halted.borrow().as_ref() {
        None => (StatusCode::OK, "ok\n".to_string()),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("halted: {reason}\n"),
        ),
    }
}

/// The metrics listener's routes: `GET /metrics`, the Prometheus exposition of `runtime`'s
/// registry. Counters and timings of the node only; nothing about any subject.
pub fn metrics_router<E>(runtime: E) -> Router
where
    E: commonware_runtime::Metrics + Send + Sync + 'static,
{
    let runtime = Arc::new(runtime);
    Router::new().route(
        "/metrics",
        get(move || {
            let runtime = Arc::clone(&runtime);
            async move {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    runtime.encode(),
                )
            }
        }),
    )
}
