//! Byzantine proposers: validators that run the node, vote like honest ones, but rewrite
//! every block they propose as leader, each in one way named after the attack.
//!
//! A [`ByzantineProposer`] is installed on a node through the node's only injection point for
//! this (`credence_node::tamper`, feature `byzantine`), so it sits behind the consensus
//! adapter: the engine broadcasts exactly what it makes of the block the node built. It
//! asks the node to reseal the block consistently wherever it can (transactions root and
//! count, and the state root its transactions give on the parent), so each block is wrong in
//! exactly the one way its [`Attack`] names — the strongest version of the attack.
//!
//! The transactions it adds are its own, signed by keys it made up ("sybils", never
//! registered, so their nonce on every chain is 0): a Byzantine member can sign anything with
//! keys of its own, and keeps every transaction it saw committed, to replay.

use credence_crypto::SigningKey;
use credence_node::{
    chain::Committed,
    tamper::{Proposal, Reseal, Tamper},
};
use credence_types::{
    BlockHeader, Digest, Payload, ProposalId, SignedTransaction, TimestampMs, Transaction,
    block::MAX_TIME_STEP_MS, genesis::ChainId,
};
use std::sync::Mutex;

/// What a Byzantine leader proposes instead of its honest block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attack {
    /// The honest block with a state root no execution gives.
    WrongRoot,
    /// A transaction whose signature does not verify.
    ForgedSignature,
    /// A time before its parent's.
    TimeBeforeParent,
    /// A time further after its parent's than any block may step (`MAX_TIME_STEP_MS`).
    TimeFarAhead,
    /// One transaction more than the network's block bound, `transactions_max`.
    Oversized {
        /// The network's bound on transactions per block.
        transactions_max: usize,
    },
    /// A transaction signed for another network's chain id.
    AnotherChainsTransaction,
    /// The same transaction twice.
    DuplicateInBlock,
    /// A transaction it saw committed, again. Until it has seen one, it proposes honestly.
    ReplayFinalised,
    /// A transaction whose nonce skips its signer's next.
    NonceGap,
}

/// A leader that proposes blocks rewritten by its [`Attack`], and remembers their digests.
pub struct ByzantineProposer {
    attack: Attack,
    chain_id: ChainId,
    sybils: Vec<SigningKey>,
    proposed: Mutex<Vec<Digest>>,
    seen: Mutex<Option<SignedTransaction>>,
}

/// The chain id the [`Attack::AnotherChainsTransaction`] transaction is signed for.
pub const ANOTHER_CHAIN: &str = "another-network";

impl ByzantineProposer {
    /// A proposer running `attack` on the network of `chain_id`.
    pub fn new(attack: Attack, chain_id: ChainId) -> Self {
        let sybils = match attack {
            Attack::Oversized { transactions_max } => transactions_max.saturating_add(1),
            _ => 1,
        };
        Self {
            attack,
            chain_id,
            sybils: (0..sybils).map(sybil).collect(),
            proposed: Mutex::new(Vec::new()),
            seen: Mutex::new(None),
        }
    }

    /// Its attack.
    pub fn attack(&self) -> Attack {
        self.attack
    }

    /// The digests of the tampered blocks it proposed, in order.
    pub fn proposed(&self) -> Vec<Digest> {
        self.proposed
            .lock()
            .expect("the proposer's lock is never poisoned")
            .clone()
    }

    /// A transaction of sybil `index` for `chain_id` with `nonce`.
    fn signed(&self, index: usize, chain_id: &ChainId, nonce: u64) -> SignedTransaction {
        let key = &self.sybils[index];
        key.sign_transaction(Transaction {
            chain_id: chain_id.clone(),
            signer: key.public_key(),
            nonce,
            payload: Payload::ApproveGovernance(ProposalId(nonce)),
        })
    }
}

/// The key of sybil `index`.
fn sybil(index: usize) -> SigningKey {
    let mut seed = [0xb9; 32];
    seed[..8].copy_from_slice(&u64::try_from(index).unwrap_or(u64::MAX).to_le_bytes());
    SigningKey::from_seed(&seed)
}

impl Tamper for ByzantineProposer {
    fn tamper(&self, proposal: &mut Proposal) -> Option<Reseal> {
        let chain_id = self.chain_id.clone();
        match self.attack {
            Attack::WrongRoot => {
                proposal.header.state_root.0[0] ^= 1;
                return Some(Reseal::AsIs);
            }
            Attack::ForgedSignature => {
                let mut forged = self.signed(0, &chain_id, 1);
                forged.signature.0[0] ^= 1;
                proposal.transactions.push(forged);
            }
            Attack::TimeBeforeParent => {
                proposal.header.time = TimestampMs(proposal.parent.time.0.saturating_sub(1));
            }
            Attack::TimeFarAhead => {
                proposal.header.time = TimestampMs(
                    proposal
                        .parent
                        .time
                        .0
                        .saturating_add(MAX_TIME_STEP_MS)
                        .saturating_add(1),
                );
            }
            Attack::Oversized { transactions_max } => {
                let missing = transactions_max
                    .saturating_add(1)
                    .saturating_sub(proposal.transactions.len());
                for index in 0..missing {
                    proposal.transactions.push(self.signed(index, &chain_id, 1));
                }
            }
            Attack::AnotherChainsTransaction => {
                let another = ChainId::new(ANOTHER_CHAIN).expect("the other chain id is valid");
                proposal.transactions.push(self.signed(0, &another, 1));
            }
            Attack::DuplicateInBlock => {
                let transaction = self.signed(0, &chain_id, 1);
                proposal.transactions.push(transaction.clone());
                proposal.transactions.push(transaction);
            }
            Attack::ReplayFinalised => {
                let seen = self
                    .seen
                    .lock()
                    .expect("the proposer's lock is never poisoned")
                    .clone();
                proposal.transactions.push(seen?);
            }
            Attack::NonceGap => {
                // A sybil's nonce is 0: its next is 1.
                proposal.transactions.push(self.signed(0, &chain_id, 2));
            }
        }
        Some(Reseal::Consistent)
    }

    fn proposed(&self, digest: Digest, header: &BlockHeader) {
        tracing::info!(attack = ?self.attack, height = header.height.0, %digest, "tampered proposal");
        self.proposed
            .lock()
            .expect("the proposer's lock is never poisoned")
            .push(digest);
    }

    fn observe(&self, committed: &Committed) {
        if let Some(transaction) = committed.transactions.last() {
            *self
                .seen
                .lock()
                .expect("the proposer's lock is never poisoned") =
                Some(transaction.signed().clone());
        }
    }
}
