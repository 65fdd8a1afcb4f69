//! The node API over HTTP.

use crate::{
    events::EventStream,
    light::{LightError, Validators, expect_key},
};
use credence_types::{
    Digest, Height, SignedTransaction,
    api::{
        AccountView, BatchItem, BatchRequest, BlockSummary, ErrorBody, Status, SubmitRequest,
        Submitted, TransactionStatus,
    },
    codec::encode,
};
use credence_types::{
    api::{CertifiedHeader, Entry, EpochTransition, EventId, EventsQuery, Page, StreamedEvent},
    codec::{Read, decode},
    state::StateKey,
};
use std::time::Duration;

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

/// A client of one node's API.
#[derive(Clone, Debug)]
pub struct NodeClient {
    http: reqwest::Client,
    /// For event streams, which stay open: no overall timeout.
    streams: reqwest::Client,
    base: String,
}

impl NodeClient {
    /// A client of the node at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(16)
            .build()
            .expect("a client with these settings always builds");
        let streams = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .expect("a client with these settings always builds");
        Self {
            http,
            streams,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    /// The node's base URL.
    pub fn base(&self) -> &str {
        &self.base
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
            .http
            .post(format!("{}/v1/transactions", self.base))
            .json(&body)
            .send()
            .await?;
        Ok(Self::read::<Submitted>(response).await?.hash)
    }

    /// Submits up to a batch's worth of transactions; each is admitted or refused on its own.
    pub async fn submit_batch(
        &self,
        transactions: &[SignedTransaction],
    ) -> Result<Vec<BatchItem>, ClientError> {
        let body = BatchRequest {
            transactions: transactions
                .iter()
                .map(|t| hex::encode(encode(t)))
                .collect(),
        };
        let response = self
            .http
            .post(format!("{}/v1/transactions/batch", self.base))
            .json(&body)
            .send()
            .await?;
        Self::read(response).await
    }

    /// A transaction's status.
    pub async fn transaction(&self, hash: &Digest) -> Result<TransactionStatus, ClientError> {
        let response = self
            .http
            .get(format!("{}/v1/transactions/{hash}", self.base))
            .send()
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
            .http
            .get(format!("{}/v1/accounts/{key}", self.base))
            .send()
            .await?;
        match Self::read(response).await {
            Ok(view) => Ok(Some(view)),
            Err(ClientError::Refused { status: 404, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// A recently committed block.
    pub async fn block(&self, height: Height) -> Result<BlockSummary, ClientError> {
        let response = self
            .http
            .get(format!("{}/v1/blocks/{}", self.base, height.0))
            .send()
            .await?;
        Self::read(response).await
    }

    /// The events a committed block caused, in order, each with its stream id.
    pub async fn block_events(&self, height: Height) -> Result<Vec<StreamedEvent>, ClientError> {
        self.get(&format!("blocks/{}/events", height.0)).await
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let response = self
            .http
            .get(format!("{}/v1/{path}", self.base))
            .send()
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
        let response = request.send().await?;
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
            .http
            .get(format!("{}/v1/{path}?prove=true", self.base))
            .send()
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
