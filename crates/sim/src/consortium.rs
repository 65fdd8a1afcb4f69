//! The simulated network's members and the transactions its clients send.
//!
//! Validators are institutions of the testkit consortium, with deterministic keys: the first
//! two validators also furnish and lend, the third lends, the rest only validate; a regulator
//! and a registrar complete the consortium. Transactions come from the testkit's realistic
//! [`Workload`], generated up front against an in-memory [`Reference`] chain built from the
//! same genesis, so every transaction is well-formed and signed with the right nonce.

use credence_crypto::{SigningKey, VerifiedTransaction};
use credence_ledger::testkit::{self, Workload};
use credence_types::{PublicKey, Role, SignedTransaction, TimestampMs, genesis::Genesis};

/// The in-memory chain transactions are generated against.
pub type Reference = testkit::Chain;

/// Roles of a validator that furnishes and lends (the workload's two banks).
const BANK: &[Role] = &[Role::Validator, Role::Furnisher, Role::Lender];
/// Roles of a validator that lends (the workload's lender).
const LENDER: &[Role] = &[Role::Validator, Role::Lender];
/// Roles of any other validator.
const VALIDATOR: &[Role] = &[Role::Validator];

/// The workload needs two banks and a lender, all validators here.
pub const VALIDATORS_MIN: usize = 3;

/// Why a consortium cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum ConsortiumError {
    /// Too few validators for the workload's members.
    #[error("the workload needs at least {VALIDATORS_MIN} validators, got {0}")]
    TooFewValidators(usize),
}

/// The network's genesis and the validators' consensus keys.
#[derive(Clone, Debug)]
pub struct Consortium {
    /// The genesis document every validator starts from.
    pub genesis: Genesis,
    /// The validators' consensus keys (their identities on the network), in member order:
    /// the first [`Self::founders`] are seated in genesis (validator `i` is member `i`); the
    /// rest are joiners, seated later by governance ([`Self::joiner_seat`]).
    pub keys: Vec<SigningKey>,
    /// How many validators genesis seats.
    pub founders: usize,
}

impl Consortium {
    /// A consortium of `validators` validators, and the reference chain that shares its
    /// genesis and keys.
    pub fn new(validators: usize) -> Result<(Self, Reference), ConsortiumError> {
        if validators < VALIDATORS_MIN {
            return Err(ConsortiumError::TooFewValidators(validators));
        }
        let names: Vec<String> = (0..validators).map(|i| format!("validator-{i}")).collect();
        let mut members: Vec<(&str, &[Role])> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let roles = match i {
                    0 | 1 => BANK,
                    2 => LENDER,
                    _ => VALIDATOR,
                };
                (name.as_str(), roles)
            })
            .collect();
        members.push(("regulator", &[Role::Regulator]));
        members.push(("registry", &[Role::Registrar]));
        let reference = Reference::with_members(&members);
        let keys = (0..validators)
            .map(|i| testkit::consensus_key(i as u64))
            .collect();
        Ok((
            Self {
                genesis: reference.genesis.clone(),
                keys,
                founders: validators,
            },
            reference,
        ))
    }

    /// The same consortium with epochs of `blocks` blocks from genesis.
    #[must_use]
    pub fn with_epoch_length(mut self, blocks: u64) -> Self {
        self.genesis.parameters.epoch_length_blocks = blocks;
        self
    }

    /// The same consortium with `joiners` more validators, not in genesis: each starts
    /// only when a test launches it, and votes only once governance seats it
    /// ([`Self::joiner_seat`]) and its epoch begins.
    #[must_use]
    pub fn with_joiners(mut self, joiners: usize) -> Self {
        let first = self.keys.len();
        self.keys
            .extend((first..first + joiners).map(|i| testkit::consensus_key(i as u64)));
        self
    }

    /// The consensus seat of validator `index` (founder or joiner), for a governance action
    /// that seats it.
    pub fn joiner_seat(&self, index: usize) -> credence_types::epoch::ConsensusSeat {
        testkit::consensus_seat(index as u64)
    }

    /// A fresh consensus key for validator `index`, for a test that rotates it: never any
    /// validator's seat before.
    pub fn rotated_key(index: usize) -> SigningKey {
        testkit::Signer::from_seed(20_000 + index as u64).key
    }

    /// The same consortium with its genesis at `time`. A network must start with genesis at
    /// the runtime's current time, or block pacing waits on a clock far behind genesis.
    #[must_use]
    pub fn with_genesis_time(mut self, time: TimestampMs) -> Self {
        self.genesis.genesis_time = time;
        self
    }

    /// The founding validators' consensus keys: epoch 0's set.
    pub fn validators(&self) -> Vec<PublicKey> {
        self.keys[..self.founders]
            .iter()
            .map(SigningKey::public_key)
            .collect()
    }
}

/// A workload of about `count` transactions (after registering `subjects` subjects), in the
/// order a client would send them, generated with `seed` against `reference`.
pub fn transactions(
    reference: &mut Reference,
    seed: u64,
    subjects: usize,
    count: usize,
) -> Vec<SignedTransaction> {
    const PER_BLOCK: usize = 8;
    let mut workload = Workload::new(seed, subjects.max(1));
    let mut transactions: Vec<SignedTransaction> = Vec::with_capacity(count + subjects);
    let mut take = |block: testkit::RecordedBlock| {
        transactions.extend(
            block
                .transactions
                .into_iter()
                .map(VerifiedTransaction::into_signed),
        );
    };
    for block in workload.register_all(reference, PER_BLOCK) {
        take(block);
    }
    // A lending market, so the mix includes the registry and loan contracts.
    for block in workload.open_market(reference, PER_BLOCK) {
        take(block);
    }
    let mut generated = 0;
    while generated < count {
        let size = PER_BLOCK.min(count - generated);
        take(workload.block(reference, size, 1_000));
        generated += size;
    }
    transactions
}
