//! The execution context the rules run in: typed reads and writes over the overlay, the
//! block's context, the events emitted so far, and id allocation.

use crate::state::{ChangeSet, Overlay, StateError, StateRead};
use commonware_codec::Read;
use credence_types::{
    BlockContext, Rejection, TimestampMs,
    codec::{EncodeSize, Write, encode},
    receipt::{BlockEvent, Event, EventSource},
    state::{Meta, StateKey},
};

/// Why a rule did not apply: the transaction broke a rule (a receipt), or state could not be
/// read (the block cannot be executed at all).
#[derive(Debug)]
pub(crate) enum Fail {
    /// The transaction broke a rule.
    Reject(Rejection),
    /// State could not be read.
    State(StateError),
}

impl From<Rejection> for Fail {
    fn from(rejection: Rejection) -> Self {
        Self::Reject(rejection)
    }
}

impl From<StateError> for Fail {
    fn from(error: StateError) -> Self {
        Self::State(error)
    }
}

/// The result of a rule.
pub(crate) type RuleResult<T = ()> = Result<T, Fail>;

/// Rejects with `rejection` unless `condition` holds.
pub(crate) fn ensure(condition: bool, rejection: Rejection) -> RuleResult {
    if condition {
        Ok(())
    } else {
        Err(Fail::Reject(rejection))
    }
}

/// State, the block's context and its output, for the rules to work on.
pub(crate) struct Exec<'s, S: StateRead + ?Sized> {
    overlay: Overlay<'s, S>,
    context: BlockContext,
    events: Vec<BlockEvent>,
    pending_events: Vec<Event>,
}

impl<'s, S: StateRead + ?Sized> Exec<'s, S> {
    pub(crate) fn new(state: &'s S, context: BlockContext) -> Self {
        Self {
            overlay: Overlay::new(state),
            context,
            events: Vec::new(),
            pending_events: Vec::new(),
        }
    }

    /// The block's time.
    pub(crate) fn now(&self) -> TimestampMs {
        self.context.time
    }

    /// The block's height.
    pub(crate) fn height(&self) -> credence_types::Height {
        self.context.height
    }

    /// Reads and decodes the object under `key`.
    pub(crate) fn load<T: Read<Cfg = ()>>(&self, key: &StateKey) -> Result<Option<T>, StateError> {
        crate::state::load(&self.overlay, key)
    }

    /// Reads the object under `key`, rejecting with `missing` when there is none.
    pub(crate) fn require<T: Read<Cfg = ()>>(
        &self,
        key: &StateKey,
        missing: Rejection,
    ) -> RuleResult<T> {
        self.load(key)?.ok_or(Fail::Reject(missing))
    }

    /// Whether anything is stored under `key`.
    pub(crate) fn exists(&self, key: &StateKey) -> Result<bool, StateError> {
        self.overlay.read(key, |stored| stored.is_some())
    }

    /// Stores `value` under `key`.
    pub(crate) fn store<T: Write + EncodeSize>(&mut self, key: StateKey, value: &T) {
        self.overlay.put(key, encode(value));
    }

    /// Marks `key` present with no value (index and queue entries).
    pub(crate) fn mark(&mut self, key: StateKey) {
        self.overlay.put(key, Vec::new());
    }

    /// Deletes `key`.
    pub(crate) fn remove(&mut self, key: StateKey) {
        self.overlay.delete(key);
    }

    /// Keys (and values) with `start <= key < end`, at most `limit`, in order.
    pub(crate) fn scan(
        &self,
        start: &StateKey,
        end: &StateKey,
        limit: usize,
    ) -> Result<Vec<(StateKey, Vec<u8>)>, StateError> {
        self.overlay.range(start, end, limit)
    }

    /// The network's singleton state. Genesis wrote it, so its absence is corruption.
    pub(crate) fn meta(&self) -> Result<Meta, StateError> {
        self.load(&StateKey::meta())?.ok_or(StateError::Corrupt {
            key: StateKey::meta(),
        })
    }

    /// Replaces the network's singleton state.
    pub(crate) fn store_meta(&mut self, meta: &Meta) {
        self.store(StateKey::meta(), meta);
    }

    /// Hands out the next id from the counter `field` selects.
    pub(crate) fn next_id<T: Copy>(
        &mut self,
        field: impl FnOnce(&mut credence_types::state::Counters) -> &mut T,
        next: impl FnOnce(T) -> Option<T>,
    ) -> RuleResult<T> {
        let mut meta = self.meta()?;
        let counter = field(&mut meta.counters);
        let id = *counter;
        *counter = next(id).ok_or(Fail::Reject(Rejection::IdsExhausted))?;
        self.store_meta(&meta);
        Ok(id)
    }

    /// Emits an event from the current step; it is kept only if the step applies.
    pub(crate) fn emit(&mut self, event: Event) {
        self.pending_events.push(event);
    }

    /// Keeps the current step's writes and events, attributing the events to `source`.
    pub(crate) fn commit_step(&mut self, source: EventSource) {
        self.overlay.commit_transaction();
        self.events.extend(
            self.pending_events
                .drain(..)
                .map(|event| BlockEvent { source, event }),
        );
    }

    /// Keeps the current step's writes; for steps that emit no events.
    pub(crate) fn commit_quiet_step(&mut self) {
        debug_assert!(self.pending_events.is_empty(), "a quiet step emits nothing");
        self.overlay.commit_transaction();
    }

    /// Drops the current step's writes and events.
    pub(crate) fn rollback_step(&mut self) {
        self.overlay.rollback_transaction();
        self.pending_events.clear();
    }

    pub(crate) fn finish(self) -> (ChangeSet, Vec<BlockEvent>) {
        debug_assert!(
            self.pending_events.is_empty(),
            "every step must be committed or rolled back"
        );
        (self.overlay.into_changes(), self.events)
    }
}
