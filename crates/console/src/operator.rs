//! The lender console's endpoints: what the institution's staff do with the institution's
//! key, which never leaves this process. Each request carries the operator token
//! (`Authorization: Bearer …`); a wrong or missing token is a 401 and nothing is done, nor
//! any of the request's body read ([`router`]).
//!
//! - `GET /console/api/session`: who the token acts for;
//! - `POST /console/api/reports/{subject}`: records an inquiry under the institution's
//!   consent, then returns the opened and scored credit report;
//! - `POST /console/api/records`: furnishes a Metro 2 record, sealed here to the subject;
//! - `POST /console/api/transactions`: signs any other payload (a loan offer, a repayment
//!   confirmation) as the institution, submits it and waits for finality;
//! - `POST /console/api/imports` and `GET /console/api/imports/{id}`: a Metro 2 file imported
//!   as the institution, and its progress ([`crate::imports`]).

use super::Console;
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use credence_client::{ClientError, SessionError, report::CreditReport};
use credence_types::{
    ApiErrorCode, Digest, InstitutionId, Payload, SubjectId, api::ErrorBody, metro2::Tradeline,
    receipt::Event,
};
use std::{path::Path as FilePath, sync::Arc};

/// Largest request body the operator endpoints read.
const BODY_BYTES_MAX: usize = 256 << 10;
/// Shortest operator token accepted in a configuration.
const TOKEN_CHARS_MIN: usize = 32;

/// Why the operator token could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file could not be read.
    #[error("reading the operator token file {path}: {source}")]
    Unreadable {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The token is too short to resist guessing.
    #[error("the operator token in {0} is shorter than {TOKEN_CHARS_MIN} characters")]
    TooShort(std::path::PathBuf),
}

/// The operator token, kept as its hash: comparing hashes takes the same time whatever the
/// guess, and the token itself is not held in memory after start-up.
pub struct OperatorToken(Digest);

impl OperatorToken {
    /// Reads the token from its file (surrounding whitespace ignored).
    pub fn read(path: &FilePath) -> Result<Self, TokenError> {
        let text = std::fs::read_to_string(path).map_err(|source| TokenError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        let token = text.trim();
        if token.chars().count() < TOKEN_CHARS_MIN {
            return Err(TokenError::TooShort(path.to_path_buf()));
        }
        Ok(Self(Self::hash(token)))
    }

    fn hash(token: &str) -> Digest {
        Digest::of("credence/operator-token", &[token.as_bytes()])
    }

    fn admits(&self, presented: &str) -> bool {
        Self::hash(presented) == self.0
    }
}

/// A refusal, in the API's error shape: one of the documented API errors, a transaction's
/// rejection (422 with the rule's code), or the node's own 4xx passed through.
pub(crate) struct Refusal {
    status: StatusCode,
    code: String,
    message: String,
}

impl Refusal {
    pub(crate) fn new(code: ApiErrorCode, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(code.status())
                .expect("every API error has a valid status"),
            code: code.code().to_string(),
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                code: self.code,
                message: self.message,
            }),
        )
            .into_response()
    }
}

impl From<SessionError> for Refusal {
    /// What went wrong acting on the ledger: a refusal the caller can act on keeps its code
    /// and a 4xx; the node failing to answer as it should is a 502.
    fn from(error: SessionError) -> Self {
        let message = error.to_string();
        let code = match &error {
            SessionError::Rejected { code, .. } => {
                return Self {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: code.code().to_string(),
                    message,
                };
            }
            SessionError::Client(ClientError::Refused { status, code, .. })
                if (400..500).contains(status) =>
            {
                return Self {
                    status: StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST),
                    code: code.clone(),
                    message,
                };
            }
            // The same refusal the ledger would give the correction.
            SessionError::CorrectionOfAnotherAccount(_) => {
                return Self {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: credence_types::Rejection::CorrectionMismatch
                        .code()
                        .to_string(),
                    message,
                };
            }
            SessionError::DisputeUnknown(_) => ApiErrorCode::DisputeUnknown,
            SessionError::SubjectUnknown(_) => ApiErrorCode::SubjectUnknown,
            SessionError::InstitutionUnknown(_) => ApiErrorCode::InstitutionUnknown,
            SessionError::LoanUnknown(_) => ApiErrorCode::LoanUnknown,
            SessionError::LoanNotRunning(_) => ApiErrorCode::LoanNotRunning,
            SessionError::NoConsent { .. } => ApiErrorCode::ConsentMissing,
            SessionError::Client(_)
            | SessionError::NetworkFileUnreadable { .. }
            | SessionError::NetworkFileInvalid { .. }
            | SessionError::ConsentMissing(_)
            | SessionError::NotAnInstitution
            | SessionError::ReportKeyMismatch
            | SessionError::EventMissing(_)
            | SessionError::Malformed(_)
            | SessionError::Build(_)
            | SessionError::Report(_)
            | SessionError::Clock => {
                tracing::warn!(error = %error, "console: the node did not answer as it should");
                ApiErrorCode::NodeUnreachable
            }
        };
        Self::new(code, message)
    }
}

pub(crate) type Shared = Arc<Console>;

/// The operator endpoints, every one behind the operator token: the token is checked by a
/// layer before the handler's extractors run, so a request without it is refused before its
/// body (a Metro 2 upload may be 128 MiB) is read at all.
pub fn router(console: Console) -> Router {
    let console = Arc::new(console);
    Router::new()
        .route("/console/api/session", get(session))
        .route("/console/api/reports/{subject}", post(report))
        .route("/console/api/records", post(furnish))
        .route("/console/api/disputes/{id}/answer", post(answer))
        .route("/console/api/transactions", post(transact))
        .route(
            "/console/api/imports",
            post(crate::imports::upload).layer(axum::extract::DefaultBodyLimit::max(
                crate::imports::UPLOAD_BYTES_MAX,
            )),
        )
        .route("/console/api/imports/{id}", get(crate::imports::status))
        .route("/console/api/v1/{*rest}", get(read))
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&console),
            operator_only,
        ))
        .with_state(console)
}

/// Refuses a request without the operator token before anything else of it is read.
async fn operator_only(
    State(console): State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match authorize(&console, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refusal) => refusal.into_response(),
    }
}

/// Checks the operator token of a request.
fn authorize(console: &Console, headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(token) = &console.token else {
        return Err(Refusal::new(
            ApiErrorCode::ConsoleLocked,
            "this node has no operator token configured; the lender console is off",
        ));
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match presented {
        Some(presented) if token.admits(presented.trim()) => Ok(()),
        _ => Err(Refusal::new(
            ApiErrorCode::OperatorTokenInvalid,
            "the operator token is missing or wrong",
        )),
    }
}

/// A body axum could not read: too large (413), or cut short (400).
pub(crate) fn unread(rejection: BytesRejection) -> Refusal {
    let code = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiErrorCode::BodyTooLarge
    } else {
        ApiErrorCode::BodyMalformed
    };
    Refusal::new(code, rejection.body_text())
}

/// A JSON body, bounded; a malformed one is a 400 naming the problem.
fn body<T: serde::de::DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, Refusal> {
    let body = body.map_err(unread)?;
    if body.len() > BODY_BYTES_MAX {
        return Err(Refusal::new(
            ApiErrorCode::BodyTooLarge,
            format!("bodies are at most {BODY_BYTES_MAX} bytes"),
        ));
    }
    // serde's messages can quote the offending value, which here may be a consumer's
    // name or national id: say where and what kind of problem, never the value.
    serde_json::from_slice(&body).map_err(|e| {
        Refusal::new(
            ApiErrorCode::BodyMalformed,
            format!(
                "the body is not the expected JSON ({:?} error at line {}, column {})",
                e.classify(),
                e.line(),
                e.column()
            ),
        )
    })
}

fn subject(pseudonym: &str) -> Result<SubjectId, Refusal> {
    pseudonym.parse().map_err(|_| {
        Refusal::new(
            ApiErrorCode::SubjectMalformed,
            "a subject pseudonym is 64 hex digits",
        )
    })
}

/// `GET /console/api/v1/{rest}`: the node's `GET /v1/{rest}` (query included), read as this
/// node's institution for its signed-in staff, streamed back as it comes (the event stream
/// too). The staff's browser never holds the institution's key: the node signs.
async fn read(
    State(console): State<Shared>,
    uri: axum::http::Uri,
) -> Result<axum::response::Response, Refusal> {
    let rest = uri
        .path_and_query()
        .map_or_else(|| uri.path(), |p| p.as_str())
        .strip_prefix("/console/api/v1/")
        .unwrap_or_default()
        .to_string();
    let forwarded = console
        .session
        .node
        .forward(&rest)
        .await
        .map_err(|error| Refusal::new(ApiErrorCode::NodeUnreachable, error.to_string()))?;
    let status = StatusCode::from_u16(forwarded.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = forwarded.content_type.clone();
    let body = futures::stream::unfold(forwarded, |mut forwarded| async move {
        match forwarded.chunk().await {
            Ok(Some(chunk)) => Some((Ok(chunk), forwarded)),
            Ok(None) => None,
            Err(error) => Some((Err(std::io::Error::other(error.to_string())), forwarded)),
        }
    });
    let mut response = axum::response::Response::new(axum::body::Body::from_stream(body));
    *response.status_mut() = status;
    if let Some(value) = content_type.and_then(|c| axum::http::HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    Ok(response)
}

/// Who the operator acts for.
#[derive(serde::Serialize)]
struct Session {
    institution: InstitutionId,
    name: String,
}

async fn session(State(console): State<Shared>) -> Result<Json<Session>, Refusal> {
    let institution = console.session.institution_of(&console.keys).await?;
    let name = console
        .session
        .institution(institution)
        .await?
        .name
        .to_string();
    Ok(Json(Session { institution, name }))
}

async fn report(
    State(console): State<Shared>,
    Path(pseudonym): Path<String>,
) -> Result<Json<CreditReport>, Refusal> {
    let subject = subject(&pseudonym)?;
    let report = console.session.report(&console.keys, &subject).await?;
    Ok(Json(report))
}

/// `POST /console/api/records`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Furnish {
    subject: String,
    tradeline: Tradeline,
    /// The record this one corrects or updates.
    #[serde(default)]
    supersedes: Option<credence_types::RecordId>,
}

/// What a transaction the console signed caused.
#[derive(serde::Serialize)]
struct Done {
    events: Vec<Event>,
}

async fn furnish(
    State(console): State<Shared>,
    request: Result<Bytes, BytesRejection>,
) -> Result<Json<Done>, Refusal> {
    let request: Furnish = body(request)?;
    let subject = subject(&request.subject)?;
    let done = console
        .session
        .furnish(
            &console.keys,
            &subject,
            request.tradeline,
            request.supersedes,
        )
        .await?;
    Ok(Json(Done {
        events: done.events,
    }))
}

/// `POST /console/api/disputes/{id}/answer`: `{"answer": "verified"}`, `{"answer":
/// "deleted"}`, or `{"answer": "corrected", "tradeline": {...}}`.
#[derive(serde::Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case", deny_unknown_fields)]
enum AnswerRequest {
    Verified,
    Deleted,
    Corrected { tradeline: Box<Tradeline> },
}

async fn answer(
    State(console): State<Shared>,
    Path(id): Path<String>,
    request: Result<Bytes, BytesRejection>,
) -> Result<Json<Done>, Refusal> {
    use credence_client::disputes::Answer;
    let id: credence_types::DisputeId = id.parse().map_err(|_| {
        Refusal::new(
            ApiErrorCode::IdMalformed,
            "a dispute id is a decimal number",
        )
    })?;
    let answer = match body(request)? {
        AnswerRequest::Verified => Answer::Verified,
        AnswerRequest::Deleted => Answer::Deleted,
        AnswerRequest::Corrected { tradeline } => Answer::Corrected(tradeline),
    };
    let done = console
        .session
        .answer_dispute(&console.keys, id, answer)
        .await?;
    Ok(Json(Done {
        events: done.events,
    }))
}

/// `POST /console/api/transactions`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Transact {
    payload: Payload,
}

async fn transact(
    State(console): State<Shared>,
    request: Result<Bytes, BytesRejection>,
) -> Result<Json<Done>, Refusal> {
    let request: Transact = body(request)?;
    let done = console
        .session
        .transact(&console.keys, request.payload)
        .await?;
    Ok(Json(Done {
        events: done.events,
    }))
}
