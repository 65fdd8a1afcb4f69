//! Executing a block against the store.
//!
//! The state machine is synchronous and pure; the store is asynchronous. The driver here
//! bridges them without giving up either: it loads the keys the block will likely read in one
//! batch, then runs the executor step by step; a step that asks for state not yet loaded
//! fails with [`StateError::NotLoaded`] having changed nothing, the driver loads that key and
//! runs the step again. The outcome is exactly `apply_block` over the same state.

use crate::{
    db::{Store, StoreError},
    view::Loaded,
};
use commonware_runtime::Spawner;
use credence_crypto::VerifiedTransaction;
use credence_ledger::{BlockExecutor, BlockOutcome, ChangeSet, StateError, prefetch_keys};
use credence_types::{BlockContext, state::StateKey};

/// Most times one step may ask for more state before the driver gives up: far more than any
/// rule reads, so reaching it means a bug, not a big transaction.
const LOADS_PER_STEP_MAX: usize = 10_000;

/// Executes a block on top of the store's committed state and `pending` blocks (oldest
/// first) not yet committed beneath it.
pub async fn execute<E: commonware_storage::Context + Spawner>(
    store: &Store<E>,
    pending: &[&ChangeSet],
    context: BlockContext,
    transactions: &[VerifiedTransaction],
) -> Result<BlockOutcome, StoreError> {
    let view = Loaded::default();
    let mut hints = vec![StateKey::meta()];
    hints.extend(transactions.iter().flat_map(prefetch_keys));
    view.load(store, pending, hints).await?;

    let mut loads = 0;
    let mut executor = loop {
        match BlockExecutor::new(&view, context) {
            Ok(executor) => break executor,
            Err(error) => load(&view, store, pending, error, &mut loads).await?,
        }
    };
    loads = 0;
    while let Err(error) = executor.begin_block() {
        load(&view, store, pending, error, &mut loads).await?;
    }
    for transaction in transactions {
        loads = 0;
        while let Err(error) = executor.apply_transaction(transaction) {
            load(&view, store, pending, error, &mut loads).await?;
        }
    }
    loads = 0;
    while let Err(error) = executor.end_block() {
        load(&view, store, pending, error, &mut loads).await?;
    }
    Ok(executor.finish()?)
}

/// Loads what a failed step asked for, or returns the failure if it was not a load.
async fn load<E: commonware_storage::Context + Spawner>(
    view: &Loaded,
    store: &Store<E>,
    pending: &[&ChangeSet],
    error: StateError,
    loads: &mut usize,
) -> Result<(), StoreError> {
    *loads += 1;
    if *loads > LOADS_PER_STEP_MAX {
        return Err(StoreError::State(error));
    }
    match error {
        StateError::NotLoaded(key) => view.load(store, pending, [key]).await,
        StateError::RangeNotLoaded { start, end, limit } => {
            view.load_range(store, pending, (start, end, limit)).await
        }
        other => Err(StoreError::State(other)),
    }
}
