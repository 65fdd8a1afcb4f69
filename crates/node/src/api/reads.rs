//! State reads: one entry by its id, with a proof on request, and pages of a subject's
//! listings. Every read is taken at the node's latest committed block; a proof leads from the
//! value to that block's state root, and comes with the header and the validators'
//! certificate that finalised it.

use super::{
    ApiError, Shared,
    access::{Audience, Audited as _, Caller, permit},
    query_rejected, unavailable,
};
use crate::consensus::finality::Finality;
use axum::{
    Json,
    extract::{Path, Query, State, rejection::QueryRejection},
};
use commonware_codec::Encode as _;
use credence_store::StateProof;
use credence_types::{
    ApiErrorCode, AssetId, ConsentId, DisputeId, Height, InquiryId, InstitutionId, LoanId,
    RecordId, SubjectId,
    api::{
        CertifiedHeader, Entry, EntryProof, EpochTransition, ErrorBody, EventId, LoanSchedule,
        PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, Page, PageQuery, ProveQuery, ReportKeyView,
        ScheduledInstallment, StreamedEvent,
    },
    codec::{Read, decode},
    epoch::EpochRecord,
    lending::{Asset, Loan, LoanEvent},
    receipt::BlockEvent,
    state::{
        BlockEventsChunk, Consent, Dispute, EventsChunkError, Inquiry, Institution, Meta,
        OwnerCode, Record, StateKey, Subject,
    },
};
use std::str::FromStr;

/// What a read found, before its value is decoded.
struct Found {
    key: StateKey,
    tip: crate::chain::Tip,
    value: Option<Vec<u8>>,
    proof: Option<StateProof>,
}

/// Reads `key` at the latest committed block, with a proof when asked.
async fn find<E>(api: &Shared<E>, key: StateKey, prove: bool) -> Result<Found, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let chain = api.node.chain.lock().await;
    let tip = chain.tip();
    if prove {
        // Every proof fits its bound by design (the store holds no value too large to prove
        // beside); one the store cannot make anyway (a database failure, or
        // `StoreError::ProofTooLarge` from a store another version wrote) is the node's
        // fault, never the client's: `node_unavailable`, and the client asks again here or
        // at another node.
        let proof = chain.store().prove(&key).await.map_err(unavailable)?;
        let value = match &proof {
            StateProof::Present { value, .. } => Some(value.as_slice().to_vec()),
            StateProof::Absent { .. } => None,
        };
        Ok(Found {
            key,
            tip,
            value,
            proof: Some(proof),
        })
    } else {
        let value = chain.store().get(&key).await.map_err(unavailable)?;
        Ok(Found {
            key,
            tip,
            value,
            proof: None,
        })
    }
}

/// The certified header of the block at `tip`.
pub(super) async fn certified<E>(
    finality: &Finality<E>,
    tip: &crate::chain::Tip,
) -> Result<CertifiedHeader, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner + commonware_runtime::Metrics,
{
    let certificate = finality
        .certificate(tip.header.height)
        .await
        .ok_or_else(|| {
            ApiError::new(
                ApiErrorCode::CertificateUnavailable,
                format!(
                    "this node holds no certificate for height {} yet; retry",
                    tip.header.height.0
                ),
            )
        })?;
    Ok(CertifiedHeader {
        digest: tip.digest,
        header: tip.header,
        certificate: hex::encode(certificate),
    })
}

/// Turns what a read found into an entry, decoding the value with `decode_value`.
async fn entry<E, T>(
    api: &Shared<E>,
    found: Found,
    decode_value: impl FnOnce(&[u8]) -> Result<T, ApiError>,
) -> Result<Entry<T>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let value = found.value.as_deref().map(decode_value).transpose()?;
    let proof = match found.proof {
        None => None,
        Some(proof) => Some(EntryProof {
            proof: hex::encode(proof.encode()),
            header: certified(&api.finality, &found.tip).await?,
        }),
    };
    Ok(Entry {
        key: hex::encode(found.key.0),
        height: found.tip.header.height,
        value,
        proof,
    })
}

/// A stored value of type `T`; a value that does not decode is the node's fault.
fn stored<T: Read<Cfg = ()>>(bytes: &[u8]) -> Result<T, ApiError> {
    decode(bytes).map_err(unavailable)
}

/// Parses an id from the path; a malformed one is the client's mistake.
fn parse_id<T: FromStr>(text: &str, what: &'static str) -> Result<T, ApiError> {
    text.parse()
        .map_err(|_| ApiError::new(ApiErrorCode::IdMalformed, format!("not a valid {what} id")))
}

/// An entry that must exist: 404 with `code` if it does not.
fn present<T>(entry: Entry<T>, code: ApiErrorCode, what: &str) -> Result<Entry<T>, ApiError> {
    if entry.value.is_none() && entry.proof.is_none() {
        return Err(ApiError::new(code, format!("no {what} has this id")));
    }
    Ok(entry)
}

/// `GET /v1/headers/latest`: the latest committed header and its finalisation certificate.
#[utoipa::path(get, path = "/v1/headers/latest", tag = "chain",
    responses((status = 200, body = CertifiedHeader),
        (status = 503, description = "No certificate yet for the latest height; retry", body = ErrorBody)))]
pub async fn latest_header<E>(
    State(api): State<Shared<E>>,
) -> Result<Json<CertifiedHeader>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let tip = api.node.chain.lock().await.tip();
    Ok(Json(certified(&api.finality, &tip).await?))
}

/// `GET /v1/epochs/{epoch}`: how a light client learns epoch `epoch`'s validators from the
/// epoch before's: the record, its proof in the state of the last block of the epoch before,
/// and that block's certified header.
#[utoipa::path(get, path = "/v1/epochs/{epoch}", tag = "chain",
    params(("epoch" = u64, Path, description = "An epoch number, 1 or more")),
    responses((status = 200, body = EpochTransition),
        (status = 400, description = "Malformed epoch number", body = ErrorBody),
        (status = 404, description = "No such epoch yet, or epoch 0", body = ErrorBody),
        (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
pub async fn epoch_transition<E>(
    State(api): State<Shared<E>>,
    Path(epoch): Path<String>,
) -> Result<Json<EpochTransition>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner + commonware_runtime::Metrics,
{
    let epoch: u64 = parse_id(&epoch, "epoch")?;
    let unknown = || {
        ApiError::new(
            ApiErrorCode::EpochUnknown,
            "this node has not committed its way into this epoch (epoch 0's validators are in genesis)",
        )
    };
    let Some(previous) = epoch.checked_sub(1) else {
        return Err(unknown());
    };
    let Some(proof) = api.finality.epoch_proof(epoch).await.map_err(unavailable)? else {
        return Err(unknown());
    };
    let record: EpochRecord = match &proof {
        StateProof::Present { value, .. } => stored(value.as_slice())?,
        StateProof::Absent { .. } => {
            return Err(unavailable("an epoch's proof proves its record absent"));
        }
    };
    let last: EpochRecord =
        crate::consensus::epochs::committed(&api.node, StateKey::epoch(previous))
            .await
            .map_err(unavailable)?
            .ok_or_else(|| unavailable("the epoch before has no record"))?;
    let block = api
        .finality
        .block(last.last_height)
        .await
        .ok_or_else(|| unavailable("the epoch's last block is not in the archive"))?;
    let tip = crate::chain::Tip {
        digest: block.header.digest(),
        header: block.header,
    };
    Ok(Json(EpochTransition {
        epoch,
        record,
        header: certified(&api.finality, &tip).await?,
        proof: hex::encode(proof.encode()),
    }))
}

/// `GET /v1/state/{key}`: any state entry by its key (hex), the value as hex.
#[utoipa::path(get, path = "/v1/state/{key}", tag = "state",
    params(("key" = String, Path, description = "A state key, 96 hex characters"), ProveQuery),
    responses((status = 200, body = Entry<String>),
        (status = 400, description = "Malformed key or query", body = ErrorBody),
        (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
pub async fn raw<E>(
    State(api): State<Shared<E>>,
    caller: Caller,
    Path(key): Path<String>,
    query: Result<Query<ProveQuery>, QueryRejection>,
) -> Result<Json<Entry<String>>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    caller.chain_reader()?;
    let Query(query) = query.map_err(query_rejected)?;
    let mut bytes = [0u8; credence_types::state::KEY_LEN];
    hex::decode_to_slice(key.trim(), &mut bytes).map_err(|_| {
        ApiError::new(
            ApiErrorCode::KeyMalformed,
            format!(
                "a state key is {} hex characters",
                2 * credence_types::state::KEY_LEN
            ),
        )
    })?;
    let found = find(&api, StateKey(bytes), query.prove).await?;
    Ok(Json(entry(&api, found, |b| Ok(hex::encode(b))).await?))
}

/// `GET /v1/meta`: the network's parameters, audit key and counters.
#[utoipa::path(get, path = "/v1/meta", tag = "state",
    params(ProveQuery),
    responses((status = 200, body = Entry<Meta>),
        (status = 400, description = "Malformed query", body = ErrorBody),
        (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
pub async fn meta<E>(
    State(api): State<Shared<E>>,
    caller: Caller,
    query: Result<Query<ProveQuery>, QueryRejection>,
) -> Result<Json<Entry<Meta>>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    // The network's parameters, audit key and counters describe no subject; a key not bound
    // yet reads them too (a borrower's portal seals its registration to the audit key).
    caller.signed()?;
    let Query(query) = query.map_err(query_rejected)?;
    let found = find(&api, StateKey::meta(), query.prove).await?;
    Ok(Json(entry(&api, found, stored::<Meta>).await?))
}

/// `GET /v1/blocks/{height}/events`: the events a block caused, in order, each with the id
/// the event stream gives it (a block without events has none).
#[utoipa::path(get, path = "/v1/blocks/{height}/events", tag = "chain",
    params(("height" = u64, Path, description = "A block height")),
    responses((status = 200, body = Vec<StreamedEvent>),
        (status = 400, description = "Malformed height", body = ErrorBody),
        (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
pub async fn block_events<E>(
    State(api): State<Shared<E>>,
    caller: Caller,
    Path(height): Path<String>,
) -> Result<Json<Vec<StreamedEvent>>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    caller.chain_reader()?;
    let height: u64 = parse_id(&height, "height")?;
    Ok(Json(block_stream(&api, Height(height)).await?))
}

/// The events of the committed block at `height`, each with the id the event stream gives it.
pub(super) async fn block_stream<E>(
    api: &Shared<E>,
    height: Height,
) -> Result<Vec<StreamedEvent>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let events = {
        let chain = api.node.chain.lock().await;
        stored_events(chain.store(), height).await?
    };
    Ok(events
        .into_iter()
        .zip(0u32..)
        .map(|(sourced, index)| StreamedEvent {
            id: EventId { height, index },
            source: sourced.source,
            event: sourced.event,
        })
        .collect())
}

/// The events of the block at `height`, read from its chunks (none for a block without
/// events, or a height not committed yet). Chunks that do not join into one block's events
/// are the node's fault, never the client's.
pub(super) async fn stored_events<E>(
    store: &credence_store::Store<E>,
    height: Height,
) -> Result<Vec<BlockEvent>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    match store
        .get(&StateKey::block_events(height, 0))
        .await
        .map_err(unavailable)?
    {
        None => Ok(Vec::new()),
        Some(first) => events_from(store, height, &first).await,
    }
}

/// The events of the block at `height`, given its first chunk: reads the others.
pub(super) async fn events_from<E>(
    store: &credence_store::Store<E>,
    height: Height,
    first: &[u8],
) -> Result<Vec<BlockEvent>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let first: BlockEventsChunk = stored(first)?;
    let corrupt =
        |error: EventsChunkError| unavailable(format!("the events of block {}: {error}", height.0));
    let count = BlockEventsChunk::count(first.total).map_err(corrupt)?;
    let rest: Vec<StateKey> = (1..count)
        .map(|chunk| StateKey::block_events(height, chunk))
        .collect();
    let mut chunks = vec![first];
    for (bytes, chunk) in store
        .get_many(&rest)
        .await
        .map_err(unavailable)?
        .into_iter()
        .zip(1u32..)
    {
        let bytes = bytes.ok_or_else(|| corrupt(EventsChunkError::Inconsistent(chunk)))?;
        chunks.push(stored(&bytes)?);
    }
    BlockEventsChunk::join(chunks).map_err(corrupt)
}

/// Defines `GET /v1/{kind}/{id}` for an entry kind.
macro_rules! by_id {
    ($(#[$doc:meta])* $name:ident, $path:literal, $id:ty, $value:ty, $key:expr, $what:literal, $code:ident) => {
        $(#[$doc])*
        #[utoipa::path(get, path = $path, tag = "state",
            params(("id" = u64, Path, description = "The id (a subject's is its pseudonym)"), ProveQuery),
            responses((status = 200, description = "The entry; with `?prove=true`, its proof (an unknown id is then a proven absence)", body = Entry<$value>),
                (status = 400, description = "Malformed id or query", body = ErrorBody),
                (status = 404, description = "No entry has this id", body = ErrorBody),
                (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
        pub async fn $name<E>(
            State(api): State<Shared<E>>,
            caller: Caller,
            Path(id): Path<String>,
            query: Result<Query<ProveQuery>, QueryRejection>,
        ) -> Result<Json<Entry<$value>>, ApiError>
        where
            E: commonware_storage::Context + commonware_runtime::Spawner,
        {
            caller.reader()?;
            let Query(query) = query.map_err(query_rejected)?;
            let id: $id = parse_id(&id, $what)?;
            let key: fn(&$id) -> StateKey = $key;
            let found = find(&api, key(&id), query.prove).await?;
            let entry = entry(&api, found, stored::<$value>).await?;
            // An absent entry tells a signed reader only that the id is unused.
            if let Some(value) = &entry.value {
                permit(&api, &caller, &value.audience()).await?;
            }
            Ok(Json(present(entry, ApiErrorCode::$code, $what)?))
        }
    };
}

by_id!(
    /// `GET /v1/institutions/{id}`.
    institution, "/v1/institutions/{id}", InstitutionId, Institution, |id| StateKey::institution(*id), "institution", InstitutionUnknown
);
by_id!(
    /// `GET /v1/subjects/{pseudonym}`.
    subject, "/v1/subjects/{id}", SubjectId, Subject, StateKey::subject, "subject", SubjectUnknown
);
by_id!(
    /// `GET /v1/records/{id}`: a record's metadata and sealed payload.
    record, "/v1/records/{id}", RecordId, Record, |id| StateKey::record(*id), "record", RecordUnknown
);
by_id!(
    /// `GET /v1/consents/{id}`.
    consent, "/v1/consents/{id}", ConsentId, Consent, |id| StateKey::consent(*id), "consent", ConsentUnknown
);
by_id!(
    /// `GET /v1/inquiries/{id}`.
    inquiry, "/v1/inquiries/{id}", InquiryId, Inquiry, |id| StateKey::inquiry(*id), "inquiry", InquiryUnknown
);
by_id!(
    /// `GET /v1/disputes/{id}`.
    dispute, "/v1/disputes/{id}", DisputeId, Dispute, |id| StateKey::dispute(*id), "dispute", DisputeUnknown
);
by_id!(
    /// `GET /v1/assets/{id}`: an asset and its lock.
    asset, "/v1/assets/{id}", AssetId, Asset, |id| StateKey::asset(*id), "asset", AssetUnknown
);
by_id!(
    /// `GET /v1/loans/{id}`: a loan with its terms, balance and status.
    loan, "/v1/loans/{id}", LoanId, Loan, |id| StateKey::loan(*id), "loan", LoanUnknown
);

/// `GET /v1/subjects/{pseudonym}/report-key`: the subject's current report key and its epoch,
/// for a furnisher to seal a record to; the subject's entry itself is its file's.
#[utoipa::path(get, path = "/v1/subjects/{id}/report-key", tag = "state",
    params(("id" = String, Path, description = "The subject's pseudonym")),
    responses((status = 200, body = ReportKeyView),
        (status = 400, description = "Malformed pseudonym", body = ErrorBody),
        (status = 404, description = "No subject has this pseudonym", body = ErrorBody),
        (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
pub async fn subject_report_key<E>(
    State(api): State<Shared<E>>,
    caller: Caller,
    Path(pseudonym): Path<String>,
) -> Result<Json<ReportKeyView>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    caller.reader()?;
    let id: SubjectId = parse_id(&pseudonym, "subject")?;
    permit(&api, &caller, &Audience::report_key_of(id)).await?;
    let subject: Subject = match super::read_state(&api, &StateKey::subject(&id)).await? {
        Some(bytes) => stored(&bytes)?,
        None => {
            return Err(ApiError::new(
                ApiErrorCode::SubjectUnknown,
                "no subject has this id",
            ));
        }
    };
    Ok(Json(ReportKeyView {
        subject: subject.id,
        report_key: subject.report_key,
        epoch: subject.report_key_epoch,
    }))
}

/// The window a page query asks for, bounded.
fn window(query: PageQuery, total: u32) -> (u32, u32, Option<u32>) {
    let limit = query
        .limit
        .unwrap_or(PAGE_LIMIT_DEFAULT)
        .clamp(1, PAGE_LIMIT_MAX);
    let start = query.from.min(total);
    let end = start.saturating_add(limit).min(total);
    let next = (end < total).then_some(end);
    (start, end, next)
}

/// A page of a listing of `total` items: the listing's index keys hold ids, whose entries
/// hold the values.
async fn listed<E, Id, T>(
    store: &credence_store::Store<E>,
    query: PageQuery,
    total: u32,
    index: impl Fn(u32) -> StateKey,
    item: fn(Id) -> StateKey,
) -> Result<Json<Page<T>>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
    Id: Read<Cfg = ()>,
    T: Read<Cfg = ()>,
{
    let (start, end, next) = window(query, total);
    let keys: Vec<StateKey> = (start..end).map(index).collect();
    let ids = store.get_many(&keys).await.map_err(unavailable)?;
    let mut item_keys = Vec::with_capacity(ids.len());
    for bytes in ids.into_iter().flatten() {
        item_keys.push(item(stored::<Id>(&bytes)?));
    }
    let values = store.get_many(&item_keys).await.map_err(unavailable)?;
    let items = values
        .into_iter()
        .flatten()
        .map(|bytes| stored::<T>(&bytes))
        .collect::<Result<_, _>>()?;
    Ok(Json(Page { items, total, next }))
}

/// A page of one of an owner's listings (a subject's or an institution's): the owner's entry,
/// at `key`, gives the listing's length and its index keys; an absent owner is a 404 with
/// `code`.
#[allow(clippy::too_many_arguments)]
async fn owner_listing<E, O, Id, T>(
    api: &Shared<E>,
    key: StateKey,
    code: ApiErrorCode,
    message: &'static str,
    query: PageQuery,
    count: fn(&O) -> u32,
    index: impl Fn(&O, u32) -> StateKey,
    item: fn(Id) -> StateKey,
) -> Result<Json<Page<T>>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
    O: Read<Cfg = ()>,
    Id: Read<Cfg = ()>,
    T: Read<Cfg = ()>,
{
    let chain = api.node.chain.lock().await;
    let store = chain.store();
    let owner: O = match store.get(&key).await.map_err(unavailable)? {
        Some(bytes) => stored(&bytes)?,
        None => return Err(ApiError::new(code, message)),
    };
    listed(store, query, count(&owner), |seq| index(&owner, seq), item).await
}

/// A page of one of a subject's listings, for a caller `audience` admits.
#[allow(clippy::too_many_arguments)]
async fn listing<E, Id, T>(
    api: &Shared<E>,
    caller: &Caller,
    audience: fn(SubjectId) -> Audience,
    pseudonym: &str,
    query: PageQuery,
    count: fn(&Subject) -> u32,
    index: fn(u32, u32) -> StateKey,
    item: fn(Id) -> StateKey,
) -> Result<Json<Page<T>>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
    Id: Read<Cfg = ()>,
    T: Read<Cfg = ()>,
{
    caller.reader()?;
    let id: SubjectId = parse_id(pseudonym, "subject")?;
    permit(api, caller, &audience(id)).await?;
    owner_listing(
        api,
        StateKey::subject(&id),
        ApiErrorCode::SubjectUnknown,
        "no subject has this id",
        query,
        count,
        |subject: &Subject, seq| index(subject.number, seq),
        item,
    )
    .await
}

/// A page of one of an institution's listings.
async fn institution_listing<E, Id, T>(
    api: &Shared<E>,
    caller: &Caller,
    id: &str,
    query: PageQuery,
    count: fn(&Institution) -> u32,
    index: fn(InstitutionId, u32) -> StateKey,
    item: fn(Id) -> StateKey,
) -> Result<Json<Page<T>>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
    Id: Read<Cfg = ()>,
    T: Read<Cfg = ()>,
{
    caller.reader()?;
    let id: InstitutionId = parse_id(id, "institution")?;
    caller.institution_itself(id)?;
    owner_listing(
        api,
        StateKey::institution(id),
        ApiErrorCode::InstitutionUnknown,
        "no institution has this id",
        query,
        count,
        move |_: &Institution, seq| index(id, seq),
        item,
    )
    .await
}

/// Defines `GET /v1/institutions/{id}/{listing}`.
macro_rules! institution_listing {
    ($(#[$doc:meta])* $name:ident, $path:literal, $id:ty, $value:ty, $count:expr, $index:expr, $item:expr) => {
        $(#[$doc])*
        #[utoipa::path(get, path = $path, tag = "state",
            params(("id" = u64, Path, description = "The institution's id"), PageQuery),
            responses((status = 200, body = Page<$value>),
                (status = 400, description = "Malformed id or query", body = ErrorBody),
                (status = 404, description = "No institution has this id", body = ErrorBody),
                (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
        pub async fn $name<E>(
            State(api): State<Shared<E>>,
            caller: Caller,
            Path(id): Path<String>,
            query: Result<Query<PageQuery>, QueryRejection>,
        ) -> Result<Json<Page<$value>>, ApiError>
        where
            E: commonware_storage::Context + commonware_runtime::Spawner,
        {
            let Query(query) = query.map_err(query_rejected)?;
            institution_listing::<E, $id, $value>(&api, &caller, &id, query, $count, $index, $item).await
        }
    };
}

institution_listing!(
    /// `GET /v1/institutions/{id}/loans`: the loans an institution offered or made — its
    /// loan book.
    institution_loans, "/v1/institutions/{id}/loans", LoanId, Loan,
    |i| i.listings.loans_made, StateKey::lender_loan, StateKey::loan
);
institution_listing!(
    /// `GET /v1/institutions/{id}/disputes`: the disputes of records an institution
    /// furnished, oldest first — its queue to answer, each with its deadline.
    institution_disputes, "/v1/institutions/{id}/disputes", DisputeId, Dispute,
    |i| i.listings.disputes_received, StateKey::furnisher_dispute, StateKey::dispute
);
institution_listing!(
    /// `GET /v1/institutions/{id}/consents`: the consents granted to an institution.
    institution_consents, "/v1/institutions/{id}/consents", ConsentId, Consent,
    |i| i.consents_received, StateKey::lender_consent, StateKey::consent
);

/// Defines `GET /v1/subjects/{pseudonym}/{listing}`.
macro_rules! subject_listing {
    ($(#[$doc:meta])* $name:ident, $path:literal, $audience:expr, $id:ty, $value:ty, $count:ident, $index:expr, $item:expr) => {
        $(#[$doc])*
        #[utoipa::path(get, path = $path, tag = "state",
            params(("id" = String, Path, description = "The subject's pseudonym"), PageQuery),
            responses((status = 200, body = Page<$value>),
                (status = 400, description = "Malformed pseudonym or query", body = ErrorBody),
                (status = 404, description = "No subject has this pseudonym", body = ErrorBody),
                (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
        pub async fn $name<E>(
            State(api): State<Shared<E>>,
            caller: Caller,
            Path(pseudonym): Path<String>,
            query: Result<Query<PageQuery>, QueryRejection>,
        ) -> Result<Json<Page<$value>>, ApiError>
        where
            E: commonware_storage::Context + commonware_runtime::Spawner,
        {
            let Query(query) = query.map_err(query_rejected)?;
            listing::<E, $id, $value>(
                &api,
                &caller,
                $audience,
                &pseudonym,
                query,
                |s| s.listings.$count,
                $index,
                $item,
            )
            .await
        }
    };
}

subject_listing!(
    /// `GET /v1/subjects/{pseudonym}/records`: the records furnished about a subject.
    subject_records, "/v1/subjects/{id}/records", Audience::file_of, RecordId, Record, records, StateKey::subject_record, StateKey::record
);
subject_listing!(
    /// `GET /v1/subjects/{pseudonym}/consents`: the consents a subject granted.
    subject_consents, "/v1/subjects/{id}/consents", Audience::private_to, ConsentId, Consent, consents, StateKey::subject_consent, StateKey::consent
);
subject_listing!(
    /// `GET /v1/subjects/{pseudonym}/inquiries`: the hard inquiries on a subject's file,
    /// which every consenting lender sees.
    subject_inquiries, "/v1/subjects/{id}/inquiries", Audience::file_of, InquiryId, Inquiry, inquiries, StateKey::subject_inquiry, StateKey::inquiry
);
subject_listing!(
    /// `GET /v1/subjects/{pseudonym}/private-inquiries`: the soft and supervisory inquiries on
    /// a subject's file, for the subject and the regulator only (no lender's report reads
    /// them).
    subject_private_inquiries, "/v1/subjects/{id}/private-inquiries", Audience::private_to, InquiryId, Inquiry, private_inquiries, StateKey::subject_private_inquiry, StateKey::inquiry
);
subject_listing!(
    /// `GET /v1/subjects/{pseudonym}/disputes`: the disputes a subject opened.
    subject_disputes, "/v1/subjects/{id}/disputes", Audience::file_of, DisputeId, Dispute, disputes, StateKey::subject_dispute, StateKey::dispute
);

subject_listing!(
    /// `GET /v1/subjects/{pseudonym}/loans`: the loans a subject borrowed (offered to it,
    /// running, or closed).
    subject_loans, "/v1/subjects/{id}/loans", Audience::file_of, LoanId, Loan, loans,
    |number, sequence| StateKey::borrower_loan(OwnerCode::subject(number), sequence),
    StateKey::loan
);
subject_listing!(
    /// `GET /v1/subjects/{pseudonym}/assets`: the assets a subject owns (assets it passed
    /// on leave gaps: a page may hold fewer items than its window).
    subject_assets, "/v1/subjects/{id}/assets", Audience::file_of, AssetId, Asset, assets,
    |number, sequence| StateKey::owner_asset(OwnerCode::subject(number), sequence),
    StateKey::asset
);

/// Reads the loan `id` or answers 404.
async fn running_loan<E>(
    api: &Shared<E>,
    caller: &Caller,
    id: &str,
) -> Result<(Loan, crate::chain::Tip), ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    caller.reader()?;
    let id: LoanId = parse_id(id, "loan")?;
    let found = find(api, StateKey::loan(id), false).await?;
    let loan = found
        .value
        .as_deref()
        .map(stored::<Loan>)
        .transpose()?
        .ok_or_else(|| ApiError::new(ApiErrorCode::LoanUnknown, "no loan has this id"))?;
    permit(api, caller, &loan.audience()).await?;
    Ok((loan, found.tip))
}

/// `GET /v1/loans/{id}/schedule`: the payoff today and the installments still to come.
#[utoipa::path(get, path = "/v1/loans/{id}/schedule", tag = "state",
    params(("id" = u64, Path, description = "The loan's id")),
    responses((status = 200, body = LoanSchedule),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No loan has this id", body = ErrorBody),
        (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
pub async fn loan_schedule<E>(
    State(api): State<Shared<E>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<LoanSchedule>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let (loan, tip) = running_loan(&api, &caller, &id).await?;
    let on = tip.header.time.date();
    let overflow = || ApiError::new(ApiErrorCode::NodeUnavailable, "the loan's figures overflow");
    let payoff = credence_ledger::queries::payoff(&loan, on).ok_or_else(overflow)?;
    let installments = credence_ledger::queries::projected_schedule(&loan)
        .ok_or_else(overflow)?
        .into_iter()
        .map(|p| ScheduledInstallment {
            due: p.due,
            amount: p.amount,
            interest: p.interest,
            balance: p.balance,
        })
        .collect();
    Ok(Json(LoanSchedule {
        loan: loan.id,
        on,
        payoff,
        installments,
    }))
}

/// `GET /v1/loans/{id}/history`: what happened to a loan, oldest first.
#[utoipa::path(get, path = "/v1/loans/{id}/history", tag = "state",
    params(("id" = u64, Path, description = "The loan's id"), PageQuery),
    responses((status = 200, body = Page<LoanEvent>),
        (status = 400, description = "Malformed id or query", body = ErrorBody),
        (status = 404, description = "No loan has this id", body = ErrorBody),
        (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
pub async fn loan_history<E>(
    State(api): State<Shared<E>>,
    caller: Caller,
    Path(id): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<Page<LoanEvent>>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let Query(query) = query.map_err(query_rejected)?;
    let (loan, _) = running_loan(&api, &caller, &id).await?;
    let (start, end, next) = window(query, loan.history);
    let keys: Vec<StateKey> = (start..end)
        .map(|sequence| StateKey::loan_history(loan.id, sequence))
        .collect();
    let values = {
        let chain = api.node.chain.lock().await;
        chain.store().get_many(&keys).await.map_err(unavailable)?
    };
    let items = values
        .into_iter()
        .flatten()
        .map(|bytes| stored::<LoanEvent>(&bytes))
        .collect::<Result<_, _>>()?;
    Ok(Json(Page {
        items,
        total: loan.history,
        next,
    }))
}

/// `GET /v1/institutions`: the member institutions, by id.
#[utoipa::path(get, path = "/v1/institutions", tag = "state",
    params(PageQuery),
    responses((status = 200, body = Page<Institution>),
        (status = 400, description = "Malformed query", body = ErrorBody),
        (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
pub async fn institutions<E>(
    State(api): State<Shared<E>>,
    caller: Caller,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<Page<Institution>>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    // The member directory describes no subject; a borrower's portal reads it (to name
    // lenders) before its registration binds its key.
    caller.signed()?;
    let Query(query) = query.map_err(query_rejected)?;
    let chain = api.node.chain.lock().await;
    let store = chain.store();
    let meta: Meta = match store.get(&StateKey::meta()).await.map_err(unavailable)? {
        Some(bytes) => stored(&bytes)?,
        None => return Err(unavailable("the chain has no metadata")),
    };
    let total = u32::try_from(meta.counters.institution.0).unwrap_or(u32::MAX);
    let (start, end, next) = window(query, total);
    let keys: Vec<StateKey> = (start..end)
        .map(|id| StateKey::institution(InstitutionId(u64::from(id))))
        .collect();
    let items = store
        .get_many(&keys)
        .await
        .map_err(unavailable)?
        .into_iter()
        .flatten()
        .map(|bytes| stored::<Institution>(&bytes))
        .collect::<Result<_, _>>()?;
    Ok(Json(Page { items, total, next }))
}

#[cfg(test)]
mod tests {
    use super::window;
    use credence_types::api::{PAGE_LIMIT_MAX, PageQuery};

    #[test]
    fn pages_are_bounded_and_chain_to_the_end() {
        let page = |from, limit| window(PageQuery { from, limit }, 45);
        assert_eq!(page(0, None), (0, 20, Some(20)));
        assert_eq!(page(20, None), (20, 40, Some(40)));
        assert_eq!(page(40, None), (40, 45, None));
        assert_eq!(page(99, None), (45, 45, None));
        assert_eq!(page(0, Some(0)), (0, 1, Some(1)));
        assert_eq!(
            window(
                PageQuery {
                    from: 0,
                    limit: Some(u32::MAX)
                },
                1_000
            ),
            (0, PAGE_LIMIT_MAX, Some(PAGE_LIMIT_MAX))
        );
    }
}
