//! The node API over HTTP.

use crate::{
    events::EventStream,
    light::{LightError, Validators, expect_key},
};
use credence_crypto::SigningKey;
use credence_types::access::{
    BODY_DIGEST_QUERY, KEY_HEADER, READ_NAMESPACE, SIGNATURE_HEADER, TIME_HEADER, body_digest,
    request_message,
};
use credence_types::{
    Digest, Height, SignedTransaction,
    api::{
        AccountView, BatchItem, BatchRequest, BlockSummary, ErrorBody, Status, SubmitRequest,
        Submitted, TransactionLookup, TransactionStatus,
    },
    codec::encode,
};
use credence_types::{
    api::{CertifiedHeader, Entry, EpochTransition, EventId, EventsQuery, Page, StreamedEvent},
    codec::{Read, decode},
    state::StateKey,
};
use std::{sync::Arc, time::Duration};

/// A request to a node failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node could not be reached, or answered with something that is not the API.
    #[error("talking to the node: {0}")]
    Transport(#[from] reqwest::Error),
    /// The node refused the request.
    #[error("the node answered {status}: {code}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The stable error code.
        code: String,
        /// Why.
        message: String,
    },
    /// The transaction did not finalise in time.
    #[error("transaction {0} was not finalised in time")]
    Timeout(Digest),
    /// An event stream sent something that is not an event.
    #[error("event stream: {0}")]
    Stream(String),
    /// The node did not reach a height in time.
    #[error("{node} did not reach height {height} in time")]
    NotLive {
        /// The node's base URL.
        node: String,
        /// The height awaited.
        height: u64,
    },
    /// The node's answer did not verify against the validators.
    #[error("the answer did not verify: {0}")]
    Unverified(#[from] LightError),
}

/// A node's answer to a batch submission.
#[derive(Clone, Debug)]
pub struct BatchAnswer {
    /// Each transaction admitted or refused, in order.
    pub items: Vec<BatchItem>,
    /// How long the node asked to wait before resubmitting what it refused as busy.
    pub retry_after: Option<std::time::Duration>,
}

/// A client of one node's API: anonymous, or signing every request as one reader (an
/// institution or a subject) so that the node answers what that reader may read.
#[derive(Clone, Debug)]
pub struct NodeClient {
    http: reqwest::Client,
    /// For event streams, which stay open: no overall timeout.
    streams: reqwest::Client,
    base: String,
    reader: Option<Arc<RequestSigner>>,
}

/// An answer of the node passed on as it streams: see [`NodeClient::forward`].
#[derive(Debug)]
pub struct Forwarded {
    /// The HTTP status.
    pub status: u16,
    /// Its content type, if it named one.
    pub content_type: Option<String>,
    response: reqwest::Response,
}

impl Forwarded {
    /// The next piece of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, ClientError> {
        Ok(self.response.chunk().await?)
    }
}

/// Who signs a client's requests, and the chain they are signed for.
#[derive(Debug)]
struct RequestSigner {
    key: SigningKey,
    /// The chain id every signature names: given, or learnt once from the node's status.
    chain_id: tokio::sync::OnceCell<String>,
}

impl NodeClient {
    /// A client of the node at `base` (e.g. `http://127.0.0.1:8080` or
    /// `https://node.bank-a.example:8443`), trusting the platform's certificate authorities
    /// for HTTPS.
    pub fn new(base: &str) -> Self {
        Self::build(base, None).expect("a client without extra roots always builds")
    }

    /// A client of the node at `base` over HTTPS, trusting only the certificates (or the
    /// certificate authority) in `pem`: a consortium's own CA, or a node's self-signed
    /// certificate.
    pub fn with_tls_roots(base: &str, pem: &[u8]) -> Result<Self, ClientError> {
        let roots = reqwest::Certificate::from_pem_bundle(pem)?;
        Self::build(base, Some(roots))
    }

    fn build(base: &str, roots: Option<Vec<reqwest::Certificate>>) -> Result<Self, ClientError> {
        let builder = || {
            let builder = reqwest::Client::builder().https_only(base.starts_with("https:"));
            match &roots {
                Some(roots) => builder.tls_certs_only(roots.iter().cloned()),
                None => builder,
            }
        };
        let http = builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(16)
            .build()?;
        let streams = builder().connect_timeout(Duration::from_secs(10)).build()?;
        Ok(Self {
            http,
            streams,
            base: base.trim_end_matches('/').to_string(),
            reader: None,
        })
    }

    /// This client, signing every request with `key`: an institution's or a subject's
    /// signing key. The chain id the signatures name is learnt from the node's status on the
    /// first request; [`NodeClient::signed_for`] gives it instead.
    pub fn signed_by(self, key: SigningKey) -> Self {
        self.with_reader(key, tokio::sync::OnceCell::new())
    }

    /// This client, signing every request with `key` for the chain `chain_id` (from the
    /// network file the reader trusts).
    pub fn signed_for(self, key: SigningKey, chain_id: &str) -> Self {
        self.with_reader(
            key,
            tokio::sync::OnceCell::new_with(Some(chain_id.to_string())),
        )
    }

    fn with_reader(mut self, key: SigningKey, chain_id: tokio::sync::OnceCell<String>) -> Self {
        self.reader = Some(Arc::new(RequestSigner { key, chain_id }));
        self
    }

    /// This client without its signer: anonymous.
    pub fn anonymous(mut self) -> Self {
        self.reader = None;
        self
    }

    /// Whether this client signs its requests with `key`.
    pub fn signs_as(&self, key: &credence_types::PublicKey) -> bool {
        self.reader
            .as_ref()
            .is_some_and(|reader| reader.key.public_key() == *key)
    }

    /// The node's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends a request built on `client`, signed when this client has a reader: the signature
    /// covers the chain id, the method, and the path and query exactly as sent.
    async fn send(
        &self,
        client: &reqwest::Client,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClientError> {
        let mut request = request.build()?;
        if let Some(reader) = &self.reader {
            let chain_id = reader
                .chain_id
                .get_or_try_init(|| async { Ok::<_, ClientError>(self.status().await?.chain_id) })
                .await?;
            let url = request.url();
            let path = match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_string(),
            };
            let time_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
            let message = request_message(chain_id, request.method().as_str(), &path, time_ms);
            let signature = reader.key.sign(READ_NAMESPACE, &message);
            let headers = request.headers_mut();
            for (name, value) in [
                (KEY_HEADER, reader.key.public_key().to_string()),
                (TIME_HEADER, time_ms.to_string()),
                (SIGNATURE_HEADER, hex::encode(signature.0)),
            ] {
                headers.insert(
                    name,
                    reqwest::header::HeaderValue::from_str(&value)
                        .expect("hex and digits are valid header values"),
                );
            }
        }
        Ok(client.execute(request).await?)
    }

    async fn read<T: serde::de::DeserializeOwned>(
        response: reqwest::Response,
    ) -> Result<T, ClientError> {
        let status = response.status();
        if status.is_success() {
            return Ok(response.json().await?);
        }
        let body: ErrorBody = response.json().await.unwrap_or(ErrorBody {
            code: "unknown".to_string(),
            message: status.to_string(),
        });
        Err(ClientError::Refused {
            status: status.as_u16(),
            code: body.code,
            message: body.message,
        })
    }

    /// Submits a signed transaction; returns its hash once admitted to the mempool.
    pub async fn submit(&self, transaction: &SignedTransaction) -> Result<Digest, ClientError> {
        let body = SubmitRequest {
            transaction: hex::encode(encode(transaction)),
        };
        let response = self
            .send(
                &self.http,
                self.http
                    .post(format!("{}/v1/transactions", self.base))
                    .json(&body),
            )
            .await?;
        Ok(Self::read::<Submitted>(response).await?.hash)
    }

    /// Submits up to a batch's worth of transactions; each is admitted or refused on its own.
    /// A busy node's `Retry-After` comes with the answers. (To submit through a busy node,
    /// use [`crate::submission::submit_all`], which retries.)
    pub async fn submit_batch(
        &self,
        transactions: &[SignedTransaction],
    ) -> Result<BatchAnswer, ClientError> {
        let body = BatchRequest {
            transactions: transactions
                .iter()
                .map(|t| hex::encode(encode(t)))
                .collect(),
        };
        let response = self
            .send(
                &self.http,
                self.http
                    .post(format!("{}/v1/transactions/batch", self.base))
                    .json(&body),
            )
            .await?;
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(std::time::Duration::from_secs);
        Ok(BatchAnswer {
            items: Self::read(response).await?,
            retry_after,
        })
    }

    /// A transaction's status.
    pub async fn transaction(&self, hash: &Digest) -> Result<TransactionStatus, ClientError> {
        let response = self
            .send(
                &self.http,
                self.http
                    .get(format!("{}/v1/transactions/{hash}", self.base)),
            )
            .await?;
        Self::read(response).await
    }

    /// `GET /v1/{path_and_query}` as it comes, for a proxy: the status, the content type and
    /// the body as it streams (an event stream stays open). Signed when this client is.
    pub async fn forward(&self, path_and_query: &str) -> Result<Forwarded, ClientError> {
        let response = self
            .send(
                &self.streams,
                self.streams
                    .get(format!("{}/v1/{path_and_query}", self.base)),
            )
            .await?;
        Ok(Forwarded {
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string),
            response,
        })
    }

    /// The events a finalised transaction caused: for its signer, validators and the
    /// regulator.
    pub async fn transaction_events(
        &self,
        hash: &Digest,
    ) -> Result<Vec<StreamedEvent>, ClientError> {
        self.get(&format!("transactions/{hash}/events")).await
    }

    /// `POST /v1/transactions/lookup`: what the node knows of each of `hashes` (at most
    /// [`credence_types::api::LOOKUP_HASHES_MAX`]), in order, with a finalised one's events. The body's digest
    /// goes in the query, so the request's signature covers it.
    pub async fn lookup(&self, hashes: &[Digest]) -> Result<Vec<TransactionLookup>, ClientError> {
        // `LookupRequest` as JSON: hashes are hex, so nothing in it needs escaping.
        let quoted: Vec<String> = hashes.iter().map(|hash| format!("\"{hash}\"")).collect();
        let body = format!("{{\"hashes\":[{}]}}", quoted.join(",")).into_bytes();
        let digest = body_digest(&body);
        let response = self
            .send(
                &self.http,
                self.http
                    .post(format!(
                        "{}/v1/transactions/lookup?{BODY_DIGEST_QUERY}={digest}",
                        self.base
                    ))
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body),
            )
            .await?;
        Self::read(response).await
    }

    /// Waits until a transaction is finalised, polling every `interval`, for at most
    /// `timeout`.
    pub async fn wait_finalized(
        &self,
        hash: &Digest,
        interval: Duration,
        timeout: Duration,
    ) -> Result<TransactionStatus, ClientError> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            match self.transaction(hash).await {
                Ok(status @ TransactionStatus::Finalized { .. }) => return Ok(status),
                Ok(TransactionStatus::Pending) => {}
                Err(ClientError::Refused { status: 404, .. }) => {}
                Err(error) => return Err(error),
            }
            if std::time::Instant::now() >= deadline {
                return Err(ClientError::Timeout(*hash));
            }
            tokio_sleep(interval).await;
        }
    }

    /// The node's status.
    pub async fn status(&self) -> Result<Status, ClientError> {
        // Public, and how a signer learns the chain id: never signed.
        let response = self
            .http
            .get(format!("{}/v1/status", self.base))
            .send()
            .await?;
        Self::read(response).await
    }

    /// Waits until the node has committed `height`, asking every 200 ms for at most
    /// `timeout`; an unreachable node counts as not there yet.
    pub async fn wait_for_height(&self, height: u64, timeout: Duration) -> Result<(), ClientError> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if self.status().await.is_ok_and(|s| s.height.0 >= height) {
                return Ok(());
            }
            if std::time::Instant::now() >= deadline {
                return Err(ClientError::NotLive {
                    node: self.base.clone(),
                    height,
                });
            }
            tokio_sleep(Duration::from_millis(200)).await;
        }
    }

    /// A signing key's account: owner and last nonce; `None` if it has signed nothing.
    pub async fn account(
        &self,
        key: &credence_types::PublicKey,
    ) -> Result<Option<AccountView>, ClientError> {
        let response = self
            .send(
                &self.http,
                self.http.get(format!("{}/v1/accounts/{key}", self.base)),
            )
            .await?;
        match Self::read(response).await {
            Ok(view) => Ok(Some(view)),
            Err(ClientError::Refused { status: 404, .. }) => Ok(None),
            // A key asking for its own account before its first transaction: the ledger
            // binds it to nobody yet, so it has signed nothing.
            Err(ClientError::Refused { code, .. })
                if code == "signer_unknown" && self.signs_as(key) =>
            {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// A recently committed block.
    pub async fn block(&self, height: Height) -> Result<BlockSummary, ClientError> {
        let response = self
            .send(
                &self.http,
                self.http
                    .get(format!("{}/v1/blocks/{}", self.base, height.0)),
            )
            .await?;
        Self::read(response).await
    }

    /// The events a committed block caused, in order, each with its stream id.
    pub async fn block_events(&self, height: Height) -> Result<Vec<StreamedEvent>, ClientError> {
        self.get(&format!("blocks/{}/events", height.0)).await
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let response = self
            .send(
                &self.http,
                self.http.get(format!("{}/v1/{path}", self.base)),
            )
            .await?;
        Self::read(response).await
    }

    /// Opens the event stream: after `resume` (the last event id a previous stream returned)
    /// when given, else as `query` says.
    pub async fn events(
        &self,
        query: &EventsQuery,
        resume: Option<EventId>,
    ) -> Result<EventStream, ClientError> {
        let mut request = self
            .streams
            .get(format!("{}/v1/events", self.base))
            .query(query);
        if let Some(id) = resume {
            request = request.header("last-event-id", id.to_string());
        }
        let response = self.send(&self.streams, request).await?;
        if !response.status().is_success() {
            return Err(Self::read::<()>(response)
                .await
                .err()
                .unwrap_or(ClientError::Stream(
                    "the node refused the stream".to_string(),
                )));
        }
        Ok(EventStream::new(response, resume.or(query.after)))
    }

    /// The latest committed header with its finalisation certificate, as this node says.
    pub async fn latest_header(&self) -> Result<CertifiedHeader, ClientError> {
        self.get("headers/latest").await
    }

    /// The latest committed header, checked against `validators`.
    pub async fn verified_header(
        &self,
        validators: &Validators,
    ) -> Result<CertifiedHeader, ClientError> {
        let header = self.latest_header().await?;
        self.follow_epochs(validators, &header).await?;
        validators.verify_header(&header)?;
        Ok(header)
    }

    /// Has `validators` follow the chain, epoch by epoch, up to the epoch `certified`'s
    /// certificate names, with the transitions this node serves: each one is checked against
    /// the epoch before, so a node can delay the client but never make it trust a set the
    /// chain did not name.
    pub async fn follow_epochs(
        &self,
        validators: &Validators,
        certified: &CertifiedHeader,
    ) -> Result<(), ClientError> {
        // A certificate that does not even name its epoch is refused by the check that
        // follows, as what it is.
        let Ok(epoch) = Validators::epoch_of(certified) else {
            return Ok(());
        };
        while validators.newest_epoch() < epoch {
            let next = validators.newest_epoch() + 1;
            let transition: EpochTransition = self.get(&format!("epochs/{next}")).await?;
            validators.advance(&transition)?;
        }
        Ok(())
    }

    /// Any `GET` of the API under `/v1/` (e.g. `loans/3/schedule`), as JSON.
    pub async fn json(&self, path: &str) -> Result<serde_json::Value, ClientError> {
        self.get(path).await
    }

    /// An entry as this node says it is (e.g. `loans/3`), trusting the node.
    pub async fn entry<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Entry<T>, ClientError> {
        self.get(path).await
    }

    /// A subject's credit file with every entry proven (the reading lender's `consent`
    /// included), as this node answers it: check it with
    /// [`Validators::verify_file`](crate::light::Validators::verify_file).
    pub async fn file(
        &self,
        subject: &credence_types::SubjectId,
        consent: Option<credence_types::ConsentId>,
    ) -> Result<credence_types::api::ProvenFile, ClientError> {
        let query = consent.map_or_else(String::new, |c| format!("?consent={}", c.0));
        self.get(&format!("subjects/{subject}/file{query}")).await
    }

    /// A page of a listing (e.g. `subjects/{pseudonym}/records`) from `from`.
    pub async fn page<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        from: u32,
        limit: u32,
    ) -> Result<Page<T>, ClientError> {
        self.get(&format!("{path}?from={from}&limit={limit}")).await
    }

    /// The entry under `key` (read at `path`, e.g. `loans/3`), proven: the value comes from
    /// the state proof, checked against a header finalised by a quorum of `validators`, not
    /// from the node's word. `None` is a proven absence.
    pub async fn proven<T: Read<Cfg = ()>>(
        &self,
        path: &str,
        key: &StateKey,
        validators: &Validators,
    ) -> Result<Option<T>, ClientError> {
        let response = self
            .send(
                &self.http,
                self.http.get(format!("{}/v1/{path}?prove=true", self.base)),
            )
            .await?;
        let entry: Entry<serde_json::Value> = if response.status().as_u16() == 404 {
            // Unknown ids are 404 without a proof; ask the raw state for the proven absence.
            self.get(&format!("state/{}?prove=true", hex::encode(key.0)))
                .await?
        } else {
            Self::read(response).await?
        };
        expect_key(key, &entry.key)?;
        if let Some(proof) = &entry.proof {
            self.follow_epochs(validators, &proof.header).await?;
        }
        let value = validators.verify_entry(&entry.key, entry.proof.as_ref())?;
        value
            .map(|bytes| decode(&bytes).map_err(|_| LightError::Malformed("value").into()))
            .transpose()
    }
}

async fn tokio_sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}
