//! `GET /v1/events`: the chain's events as Server-Sent Events, resumable.
//!
//! Every event has the id `height:index` (its block, its place among the block's events).
//! The stream reads the events of each committed block from the state (where every block's
//! events are stored under its height, in chunks), so a client that reconnects with `Last-Event-ID` —
//! to this node after a restart, or to another node — gets every event after that id, in
//! order, with no gap and no duplicate. Once caught up, it waits for the next commit.

use super::{ApiError, Shared, access::Caller, query_rejected, unavailable};
use axum::{
    extract::{Query, State, rejection::QueryRejection},
    http::HeaderMap,
    response::sse::{Event as SseEvent, KeepAlive, Sse},
};
use credence_types::{
    ApiErrorCode, ConsentId, Height, InstitutionId, SubjectId,
    api::{EventId, EventsQuery, StreamedEvent},
    codec::decode,
    receipt::Event,
    state::{Consent, StateKey, Subject},
    transaction::Purpose,
};
use futures::Stream;
use std::{collections::VecDeque, convert::Infallible, time::Duration};

/// Blocks read from the store in one step of a stream that is catching up.
const HEIGHTS_PER_READ: u64 = 256;
/// Most kinds a filter may name.
const KINDS_MAX: usize = super::openapi::EVENT_KINDS_MAX;

/// What a stream keeps.
#[derive(Clone, Debug, Default)]
struct Filter {
    kinds: Option<Vec<String>>,
    subject: Option<SubjectId>,
    watcher: Option<InstitutionId>,
}

impl Filter {
    fn parse(query: &EventsQuery) -> Result<Self, ApiError> {
        let kinds = match &query.kinds {
            None => None,
            Some(text) => {
                let kinds: Vec<String> = text
                    .split(',')
                    .map(str::trim)
                    .filter(|kind| !kind.is_empty())
                    .map(str::to_string)
                    .collect();
                if kinds.len() > KINDS_MAX {
                    return Err(ApiError::new(
                        ApiErrorCode::QueryMalformed,
                        format!("at most {KINDS_MAX} kinds"),
                    ));
                }
                Some(kinds)
            }
        };
        Ok(Self {
            kinds,
            subject: query.subject,
            watcher: query.watcher,
        })
    }

    /// Whether `event` passes the filters that need no state.
    fn passes(&self, event: &Event) -> bool {
        if let Some(kinds) = &self.kinds
            && !kinds.iter().any(|kind| kind == event.kind())
        {
            return false;
        }
        if let Some(subject) = &self.subject
            && event.subject().as_ref() != Some(subject)
        {
            return false;
        }
        if self.watcher.is_some() && !matches!(event, Event::Adverse { .. }) {
            return false;
        }
        true
    }
}

/// Where a stream is: the next height to read, and how many of its events were already sent.
#[derive(Clone, Copy, Debug)]
struct Cursor {
    height: u64,
    skip: u32,
}

impl Cursor {
    fn after(id: EventId) -> Self {
        Self {
            height: id.height.0,
            skip: id.index.saturating_add(1),
        }
    }

    fn at(height: u64) -> Self {
        Self { height, skip: 0 }
    }
}

/// `GET /v1/events`.
#[utoipa::path(get, path = "/v1/events", tag = "events",
    params(EventsQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id (`height:index`)")),
    responses((status = 200, description = "Server-Sent Events: `id` is `height:index`, `event` the kind, `data` a StreamedEvent", content_type = "text/event-stream", body = StreamedEvent),
        (status = 400, description = "Malformed query or Last-Event-ID", body = credence_types::api::ErrorBody)))]
pub async fn stream<E>(
    State(api): State<Shared<E>>,
    caller: Caller,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner + Send + Sync + 'static,
{
    let Query(query) = query.map_err(query_rejected)?;
    // A lender follows its own risk feed, a subject its own events; the whole stream is the
    // validators' and the regulator's.
    match (query.watcher, query.subject) {
        (Some(watcher), _) => caller.institution_itself(watcher)?,
        (None, Some(subject)) => {
            if caller.reader()?.subject() != Some(subject) {
                caller.chain_reader()?;
            }
        }
        (None, None) => {
            caller.chain_reader()?;
        }
    }
    let filter = Filter::parse(&query)?;
    let resume = match headers.get("last-event-id") {
        None => query.after,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|text| text.parse::<EventId>().ok())
                .ok_or_else(|| {
                    ApiError::new(
                        ApiErrorCode::EventIdMalformed,
                        "Last-Event-ID is `height:index`",
                    )
                })?,
        ),
    };
    // Subscribe before reading the tip, so no commit between the two goes unnoticed.
    let commits = api.node.commits.subscribe();
    let tip = api.node.chain.lock().await.tip().header.height.0;
    let cursor = match (resume, query.from) {
        (Some(id), _) => Cursor::after(id),
        (None, Some(Height(height))) => Cursor::at(height.max(1)),
        (None, None) => Cursor::at(tip.saturating_add(1)),
    };
    let state = Streaming {
        api,
        filter,
        cursor,
        pending: VecDeque::new(),
        commits,
    };
    let events = futures::stream::unfold(state, |mut state| async move {
        let event = state.next().await?;
        Some((Ok(event), state))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

struct Streaming<E: commonware_storage::Context + commonware_runtime::Spawner> {
    api: Shared<E>,
    filter: Filter,
    cursor: Cursor,
    pending: VecDeque<StreamedEvent>,
    commits: tokio::sync::broadcast::Receiver<std::sync::Arc<crate::chain::Committed>>,
}

impl<E: commonware_storage::Context + commonware_runtime::Spawner> Streaming<E> {
    /// The next event to send; `None` ends the stream (the node is stopping or cannot read
    /// its state; the client resumes from its last id).
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                let data = serde_json::to_string(&event).ok()?;
                return Some(
                    SseEvent::default()
                        .id(event.id.to_string())
                        .event(event.event.kind())
                        .data(data),
                );
            }
            match self.read().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(code = error.code.code(), "event stream ended");
                    return None;
                }
            }
            // Caught up: wait for the next commit (a lagging receiver just reads again).
            match self.commits.recv().await {
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// Reads the events of the next committed blocks into `pending`; `false` when there is
    /// no committed block left to read.
    async fn read(&mut self) -> Result<bool, ApiError> {
        let chain = self.api.node.chain.lock().await;
        let tip = chain.tip();
        let tip_height = tip.header.height.0;
        if self.cursor.height > tip_height {
            return Ok(false);
        }
        let end = tip_height.min(self.cursor.height.saturating_add(HEIGHTS_PER_READ - 1));
        let store = chain.store();
        // Each block's first chunk, in one read; a block without events has none.
        let heights: Vec<u64> = (self.cursor.height..=end).collect();
        let firsts: Vec<StateKey> = heights
            .iter()
            .map(|height| StateKey::block_events(Height(*height), 0))
            .collect();
        let firsts = store.get_many(&firsts).await.map_err(unavailable)?;
        let mut found = Vec::new();
        for (height, first) in heights.into_iter().zip(firsts) {
            let Some(first) = first else { continue };
            let events = super::reads::events_from(store, Height(height), &first).await?;
            let skip = if height == self.cursor.height {
                self.cursor.skip
            } else {
                0
            };
            for (sourced, index) in events.into_iter().zip(0u32..) {
                if index < skip || !self.filter.passes(&sourced.event) {
                    continue;
                }
                found.push((height, index, sourced));
            }
        }
        for (height, index, sourced) in found {
            if let Some(watcher) = self.filter.watcher
                && !watching(store, watcher, &sourced.event, Height(height)).await?
            {
                continue;
            }
            self.pending.push_back(StreamedEvent {
                id: EventId {
                    height: Height(height),
                    index,
                },
                source: sourced.source,
                event: sourced.event,
            });
        }
        self.cursor = Cursor::at(end.saturating_add(1));
        Ok(true)
    }
}

/// Whether `watcher` held an account-review consent on the subject of `event` that was in
/// force in the block at `height`, the event's own. The answer depends only on that height,
/// never on the node's tip, so a stream replayed from any node, at any time, delivers the
/// same events.
async fn watching<E>(
    store: &credence_store::Store<E>,
    watcher: InstitutionId,
    event: &Event,
    height: Height,
) -> Result<bool, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let Some(subject) = event.subject() else {
        return Ok(false);
    };
    let Some(bytes) = store
        .get(&StateKey::subject(&subject))
        .await
        .map_err(unavailable)?
    else {
        return Ok(false);
    };
    let subject: Subject = decode(&bytes).map_err(unavailable)?;
    // Every consent the subject ever granted, ended ones too: one may have been in force
    // at this height.
    let index: Vec<StateKey> = (0..subject.listings.consents)
        .map(|sequence| StateKey::subject_consent(subject.number, sequence))
        .collect();
    let ids = store.get_many(&index).await.map_err(unavailable)?;
    let mut keys = Vec::with_capacity(ids.len());
    for bytes in ids.into_iter().flatten() {
        let id: ConsentId = decode(&bytes).map_err(unavailable)?;
        keys.push(StateKey::consent(id));
    }
    for bytes in store
        .get_many(&keys)
        .await
        .map_err(unavailable)?
        .into_iter()
        .flatten()
    {
        let consent: Consent = decode(&bytes).map_err(unavailable)?;
        if consent.lender == watcher
            && consent.purpose == Purpose::AccountReview
            && consent.was_active_in(height)
        {
            return Ok(true);
        }
    }
    Ok(false)
}
