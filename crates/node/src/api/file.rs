//! `GET /v1/subjects/{pseudonym}/file`: a subject's credit file, every entry proven against
//! one certified header.
//!
//! The node walks the file with the ledger's own walk ([`credence_ledger::file`]), loading
//! each key the walk asks for, and proves every key it read, all under the chain lock, so
//! every proof leads to the same state root. The lender's client walks the same function
//! over the proven values alone: a key left out fails its walk, a value altered fails its
//! proof, so a node can neither omit nor invent an entry of the file.

use super::{
    ApiError, Shared,
    access::{Audience, Caller, permit},
    query_rejected,
    reads::certified,
    unavailable,
};
use axum::{
    Json,
    extract::{Path, Query, State, rejection::QueryRejection},
};
use commonware_codec::Encode as _;
use credence_ledger::{
    StateError,
    file::{KnownState, credit_file},
};
use credence_types::{
    ApiErrorCode, SubjectId,
    api::{ErrorBody, FILE_ENTRIES_MAX, FileQuery, ProvenEntry, ProvenFile},
};

/// `GET /v1/subjects/{pseudonym}/file`.
#[utoipa::path(get, path = "/v1/subjects/{id}/file", tag = "state",
    params(("id" = String, Path, description = "The subject's pseudonym"), FileQuery),
    responses((status = 200, description = "The file's entries with their proofs; an unknown subject is a proven absence", body = ProvenFile),
        (status = 400, description = "Malformed pseudonym or query", body = ErrorBody),
        (status = 422, description = "The file is larger than one answer carries", body = ErrorBody),
        (status = 503, description = "The node cannot answer now; retry", body = ErrorBody)))]
pub async fn subject_file<E>(
    State(api): State<Shared<E>>,
    caller: Caller,
    Path(pseudonym): Path<String>,
    query: Result<Query<FileQuery>, QueryRejection>,
) -> Result<Json<ProvenFile>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    caller.reader()?;
    let Query(query) = query.map_err(query_rejected)?;
    let subject: SubjectId = pseudonym.parse().map_err(|_| {
        ApiError::new(
            ApiErrorCode::SubjectMalformed,
            "a subject pseudonym is 64 hex digits",
        )
    })?;
    permit(&api, &caller, &Audience::file_of(subject)).await?;
    let chain = api.node.chain.lock().await;
    let tip = chain.tip();
    let store = chain.store();
    let mut read = KnownState::default();
    loop {
        match credit_file(&read, &subject, query.consent) {
            Ok(_) => break,
            Err(StateError::NotLoaded(key)) => {
                if read.len() >= FILE_ENTRIES_MAX {
                    return Err(ApiError::new(
                        ApiErrorCode::FileTooLarge,
                        format!("the file holds more than {FILE_ENTRIES_MAX} entries"),
                    ));
                }
                read.insert(key, store.get(&key).await.map_err(unavailable)?);
            }
            Err(error) => return Err(unavailable(error)),
        }
    }
    let mut entries = Vec::with_capacity(read.len());
    for key in read.keys() {
        let proof = store.prove(key).await.map_err(unavailable)?;
        entries.push(ProvenEntry {
            key: hex::encode(key.0),
            proof: hex::encode(proof.encode()),
        });
    }
    drop(chain);
    Ok(Json(ProvenFile {
        header: certified(&api.finality, &tip).await?,
        entries,
    }))
}
