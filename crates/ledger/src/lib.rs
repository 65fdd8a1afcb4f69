//! Credence's state machine.
//!
//! [`apply_block`] takes committed state (read-only), a block's context and its verified
//! transactions, and returns the block's [`ChangeSet`], a [`Receipt`] per transaction and the
//! events emitted — nothing else. It reads no clock (time is the block's), draws no
//! randomness, starts no threads, does no I/O of its own (state is read through
//! [`StateRead`]), iterates no hash map and uses no floating point, so every node that
//! applies the same block to the same state gets the same result.
//!
//! Execution order within a block: the begin-block step (deadlines, expiries, purges), then
//! each transaction in block order. A transaction is checked in this order:
//! chain id → signer and nonce → authorisation → its rule. A wrong chain id or nonce
//! changes nothing at all; any later rejection consumes the nonce (so the transaction can
//! never be replayed) and changes nothing else.
#![deny(clippy::float_arithmetic)]

pub mod auth;
pub mod checks;
pub mod epochs;
mod exec;
pub mod file;
pub mod genesis;
pub mod interest;
pub mod queries;
mod rules;
pub mod state;
#[cfg(feature = "testkit")]
pub mod testkit;

use credence_crypto::VerifiedTransaction;
use credence_types::{
    BlockContext, Rejection,
    codec::encode,
    receipt::{BlockEvent, DeadlineQueue, EventSource, Outcome, Receipt},
    state::{BlockEventsChunk, Meta, Signer, StateKey, TransactionReceipt},
};
use exec::{Exec, Fail};
pub use state::{ChangeSet, StateError, StateRead, apply_changes};

/// What executing a block produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockOutcome {
    /// The writes to commit, atomically with the block: the rules' writes, each
    /// transaction's receipt, and the block's events.
    pub changes: ChangeSet,
    /// One receipt per transaction, in block order.
    pub receipts: Vec<Receipt>,
    /// Every event, in the order emitted.
    pub events: Vec<BlockEvent>,
}

/// Applies a block to `state` in one call.
///
/// Fails only when state cannot be read or is corrupt — never because of what a
/// transaction contains: a bad transaction gets a rejection receipt.
pub fn apply_block<S: StateRead + ?Sized>(
    state: &S,
    context: &BlockContext,
    transactions: &[VerifiedTransaction],
) -> Result<BlockOutcome, StateError> {
    let mut executor = BlockExecutor::new(state, *context)?;
    executor.begin_block()?;
    for transaction in transactions {
        executor.apply_transaction(transaction)?;
    }
    executor.end_block()?;
    executor.finish()
}

/// Executes a block one step at a time: the begin-block step, each transaction, then the
/// end-block step.
///
/// Every step either completes or leaves no trace, so a step that fails with a
/// [`StateError`] can simply be run again — which is how a store that loads state on demand
/// drives execution: on [`StateError::NotLoaded`] it loads the key and repeats the step.
pub struct BlockExecutor<'s, S: StateRead + ?Sized> {
    exec: Exec<'s, S>,
    meta: Meta,
    receipts: Vec<Receipt>,
    /// How far the begin-block step got, so that resuming it (after a
    /// [`StateError::NotLoaded`]) runs exactly the entries a run straight through would.
    deadlines: DeadlineCursor,
}

/// Where the begin-block step is: the queue it is on, the entries of that queue that were
/// due when it started the queue, and the next of them to run.
#[derive(Default)]
struct DeadlineCursor {
    queue: usize,
    due: Option<Vec<(StateKey, u64)>>,
    next: usize,
}

impl<'s, S: StateRead + ?Sized> BlockExecutor<'s, S> {
    /// Starts a block on top of `state`.
    pub fn new(state: &'s S, context: BlockContext) -> Result<Self, StateError> {
        let exec = Exec::new(state, context);
        let meta = exec.meta()?;
        Ok(Self {
            exec,
            meta,
            receipts: Vec::new(),
            deadlines: DeadlineCursor::default(),
        })
    }

    /// Runs the time-driven rules due at the block's time: each due entry of each queue as
    /// a step of its own, at most [`DEADLINES_PER_BLOCK_MAX`] a queue. Call before any
    /// transaction; after a [`StateError::NotLoaded`], call again: it carries on from the
    /// first entry not yet run.
    ///
    /// An entry whose rule breaks a rule is taken off its queue and reported with a
    /// `deadline_failed` event, its own writes dropped; the others run. A broken invariant
    /// (corrupt state) stops the block.
    pub fn begin_block(&mut self) -> Result<(), StateError> {
        let now = self.exec.now();
        while let Some(&queue) = DeadlineQueue::ALL.get(self.deadlines.queue) {
            // The entries due when the queue's turn comes, each run once: one a rule moves to
            // a later due time waits for the next block.
            let due = match self.deadlines.due.take() {
                Some(due) => due,
                None => rules::deadlines::due(&self.exec, queue, now)?,
            };
            while let Some(&(key, id)) = due.get(self.deadlines.next) {
                self.exec.remove(key);
                match rules::deadlines::run(&mut self.exec, queue, id) {
                    Ok(()) => {}
                    Err(Fail::State(error)) => {
                        self.exec.rollback_step();
                        self.deadlines.due = Some(due);
                        return Err(error);
                    }
                    Err(Fail::Reject(code)) => {
                        self.exec.rollback_step();
                        self.exec.remove(key);
                        rules::deadlines::failed(&mut self.exec, queue, id, code);
                    }
                }
                self.exec.commit_step(EventSource::BeginBlock);
                self.deadlines.next += 1;
            }
            self.deadlines.queue += 1;
            self.deadlines.next = 0;
        }
        Ok(())
    }

    /// Applies the next transaction of the block and returns its outcome.
    pub fn apply_transaction(
        &mut self,
        verified: &VerifiedTransaction,
    ) -> Result<Outcome, StateError> {
        let index =
            u32::try_from(self.receipts.len()).expect("blocks hold fewer than 2^32 transactions");
        let source = EventSource::Transaction(index);
        let outcome = match transaction(&mut self.exec, &self.meta, verified) {
            Ok(outcome) => outcome,
            Err(error) => {
                self.exec.rollback_step();
                return Err(error);
            }
        };
        // Record where the transaction landed, unless an earlier copy of it already did (a
        // replay is rejected, and must not overwrite the original's receipt), or it did not
        // use up its nonce (then it changed nothing, and may still apply in a later block).
        let receipt_key = StateKey::transaction(&verified.hash());
        let exists = if outcome.consumes_nonce() {
            self.exec.exists(&receipt_key)
        } else {
            Ok(true)
        };
        match exists {
            Ok(true) => {}
            Ok(false) => self.exec.store(
                receipt_key,
                &TransactionReceipt {
                    height: self.exec.height(),
                    index,
                    outcome,
                },
            ),
            Err(error) => {
                self.exec.rollback_step();
                return Err(error);
            }
        }
        self.exec.commit_step(source);
        self.receipts.push(Receipt {
            transaction: verified.hash(),
            outcome,
        });
        Ok(outcome)
    }

    /// The end-block step: at the last block of an epoch, writes the next epoch's record
    /// (see [`epochs`]). Call after the last transaction and before [`Self::finish`]; after a
    /// [`StateError::NotLoaded`], call again.
    pub fn end_block(&mut self) -> Result<(), StateError> {
        match epochs::end_block(&mut self.exec) {
            Ok(()) => {
                self.exec.commit_quiet_step();
                Ok(())
            }
            Err(error) => {
                self.exec.rollback_step();
                Err(error)
            }
        }
    }

    /// Ends the block: stores its events and returns what it produced.
    pub fn finish(self) -> Result<BlockOutcome, StateError> {
        let height = self.exec.height();
        let (mut changes, events) = self.exec.finish();
        // In chunks, so that no stored value grows with the block (see `BlockEventsChunk`).
        // A block's transactions and deadlines are bounded, and so are its events.
        let chunks = BlockEventsChunk::split(&events)
            .map_err(|_| StateError::Invariant("a block's events fit the events bound"))?;
        for (chunk, number) in chunks.iter().zip(0u32..) {
            changes.insert(StateKey::block_events(height, number), Some(encode(chunk)));
        }
        Ok(BlockOutcome {
            changes,
            receipts: self.receipts,
            events,
        })
    }
}

/// Checks and applies one transaction, leaving its writes in the executor's current step.
fn transaction<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    meta: &Meta,
    verified: &VerifiedTransaction,
) -> Result<Outcome, StateError> {
    let transaction = verified.transaction();
    if transaction.chain_id != meta.chain_id {
        return Ok(Outcome::Rejected(Rejection::ChainIdMismatch));
    }

    // Replay protection: the nonce must be the signer's next. A key not yet registered may
    // only register, with nonce 1.
    let signer_key = StateKey::signer(&transaction.signer);
    let signer: Option<Signer> = exec.load(&signer_key)?;
    let last_nonce = signer.map_or(0, |s| s.nonce);
    if last_nonce.checked_add(1) != Some(transaction.nonce) {
        return Ok(Outcome::Rejected(Rejection::NonceNotNext));
    }

    let result = auth::authorize(
        exec,
        &transaction.signer,
        signer.map(|s| s.principal),
        transaction.payload.kind(),
    )
    .and_then(|actor| rules::dispatch(exec, actor, transaction.nonce, &transaction.payload));
    let outcome = match result {
        Ok(()) => Outcome::Applied,
        Err(Fail::Reject(rejection)) => {
            exec.rollback_step();
            Outcome::Rejected(rejection)
        }
        Err(Fail::State(error)) => return Err(error),
    };
    // The nonce is consumed whatever the outcome, so the transaction can never be replayed.
    // (A new key's signer entry is written by its registration.)
    if let Some(mut signer) = signer {
        signer.nonce = transaction.nonce;
        exec.store(signer_key, &signer);
    }
    Ok(outcome)
}

/// The keys a transaction will likely read, for a store that loads state on demand to fetch
/// in one batch before executing. A hint only: execution still asks for anything missed.
pub fn prefetch_keys(transaction: &VerifiedTransaction) -> Vec<StateKey> {
    use credence_types::{Payload, SubjectId, transaction::DisputeAnswer};
    let tx = transaction.transaction();
    let mut keys = vec![
        StateKey::signer(&tx.signer),
        StateKey::transaction(&transaction.hash()),
        // Subjects sign with the key their pseudonym derives from.
        StateKey::subject(&SubjectId::from_key(&tx.signer)),
    ];
    match &tx.payload {
        Payload::RegisterSubject(_) | Payload::RotateReportKey(_) => {}
        Payload::AttestKyc(body) => keys.push(StateKey::subject(&body.subject)),
        Payload::FurnishRecord(f) => {
            keys.push(StateKey::subject(&f.subject));
            keys.extend(f.supersedes.map(StateKey::record));
        }
        Payload::GrantConsent(body) => keys.push(StateKey::institution(body.lender)),
        Payload::RevokeConsent(body) => keys.push(StateKey::consent(body.consent)),
        Payload::RecordInquiry(body) => keys.push(StateKey::consent(body.consent)),
        Payload::OpenDispute(body) => keys.push(StateKey::record(body.record)),
        Payload::AnswerDispute(body) => {
            keys.push(StateKey::dispute(body.dispute));
            if let DisputeAnswer::Corrected(f) = &body.answer {
                keys.push(StateKey::subject(&f.subject));
            }
        }
        Payload::ProposeGovernance(_) => {}
        Payload::ApproveGovernance(proposal) => keys.push(StateKey::proposal(*proposal)),
        Payload::RecordAuditAccess(body) => keys.push(StateKey::subject(&body.subject)),
        Payload::DefineAssetClass(_) | Payload::IssueCurrency(_) => {}
        Payload::RegisterAsset(body) => {
            keys.push(StateKey::asset_class(body.class));
            keys.push(StateKey::asset_identity(&body.identity));
        }
        Payload::RevalueAsset(body) => keys.push(StateKey::asset(body.asset)),
        Payload::TransferAsset(body) => keys.push(StateKey::asset(body.asset)),
        Payload::AppointAppraiser(body) => keys.push(StateKey::asset(body.asset)),
        Payload::MintFunds(body) | Payload::TransferFunds(body) => {
            keys.push(StateKey::currency(body.currency));
        }
        Payload::RedeemFunds(body) => keys.push(StateKey::currency(body.currency)),
        Payload::OfferLoan(_) => {}
        Payload::AcceptLoan(loan) | Payload::WithdrawOffer(loan) => {
            keys.push(StateKey::loan(*loan))
        }
        Payload::RepayLoan(payment) | Payload::ConfirmRepayment(payment) => {
            keys.push(StateKey::loan(payment.loan));
        }
        Payload::CompleteLiquidation(body) => keys.push(StateKey::loan(body.loan)),
    }
    keys
}
