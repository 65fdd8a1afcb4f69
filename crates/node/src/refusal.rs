//! Why this node refused to vote for a proposed block: a value named after the rule the
//! block broke, logged with its code and counted ([`Refusals`]).
//!
//! Every rule is decided from the block, its parent's header and the state after the parent
//! alone — never from this node's clock or configuration beyond the network's block bounds —
//! so every honest validator reaches the same verdict on the same block. (A block whose time
//! is ahead of this node's clock is not refused: the verifier waits until its clock passes
//! it, so that validity never depends on whose clock is right.)

use credence_types::{Outcome, Rejection};
use std::{collections::BTreeMap, sync::Mutex};

/// A rule a proposed block broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Refusal {
    /// The header does not name the parent it is proposed on.
    ParentMismatch,
    /// The height is not the parent's plus one.
    HeightNotNext,
    /// The time is not after the parent's.
    TimeNotAfterParent,
    /// The time is more than `MAX_TIME_STEP_MS` after the parent's.
    TimeStepTooLarge,
    /// The header names another proposer than the view's leader.
    ProposerNotLeader,
    /// More transactions than the network's block bound.
    TooManyTransactions,
    /// More bytes than the network's block bound.
    BlockTooLarge,
    /// The same transaction twice in the block.
    DuplicateTransaction,
    /// The header's transaction count or root does not match the transactions.
    TransactionsRootMismatch,
    /// A transaction's signature does not verify.
    SignatureInvalid,
    /// A transaction names another network's chain id: it could never apply here.
    TransactionForAnotherChain,
    /// A transaction's nonce is not its signer's next, in the state before it: a nonce gap,
    /// or a nonce already used (a replay of a finalised transaction). It would change
    /// nothing, and the same bytes could land again in a later block.
    NonceNotNext,
    /// Executing the block on its parent gives another state root than its header's.
    StateRootMismatch,
}

impl Refusal {
    /// Every refusal, in declaration order.
    pub const ALL: [Self; 13] = [
        Self::ParentMismatch,
        Self::HeightNotNext,
        Self::TimeNotAfterParent,
        Self::TimeStepTooLarge,
        Self::ProposerNotLeader,
        Self::TooManyTransactions,
        Self::BlockTooLarge,
        Self::DuplicateTransaction,
        Self::TransactionsRootMismatch,
        Self::SignatureInvalid,
        Self::TransactionForAnotherChain,
        Self::NonceNotNext,
        Self::StateRootMismatch,
    ];

    /// The stable code, for logs and metrics.
    pub fn code(self) -> &'static str {
        match self {
            Self::ParentMismatch => "parent_mismatch",
            Self::HeightNotNext => "height_not_next",
            Self::TimeNotAfterParent => "time_not_after_parent",
            Self::TimeStepTooLarge => "time_step_too_large",
            Self::ProposerNotLeader => "proposer_not_leader",
            Self::TooManyTransactions => "too_many_transactions",
            Self::BlockTooLarge => "block_too_large",
            Self::DuplicateTransaction => "duplicate_transaction",
            Self::TransactionsRootMismatch => "transactions_root_mismatch",
            Self::SignatureInvalid => "signature_invalid",
            Self::TransactionForAnotherChain => "transaction_for_another_chain",
            Self::NonceNotNext => "nonce_not_next",
            Self::StateRootMismatch => "state_root_mismatch",
        }
    }

    /// What the rule is, in one sentence.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::ParentMismatch => "The header does not name the parent the block is proposed on.",
            Self::HeightNotNext => "The height is not the parent's plus one.",
            Self::TimeNotAfterParent => "The block's time is not after its parent's.",
            Self::TimeStepTooLarge => {
                "The block's time is more than `MAX_TIME_STEP_MS` (10 minutes) after its parent's."
            }
            Self::ProposerNotLeader => "The header names another proposer than the view's leader.",
            Self::TooManyTransactions => "More transactions than the network's block bound.",
            Self::BlockTooLarge => "More bytes than the network's block bound.",
            Self::DuplicateTransaction => "The same transaction appears twice in the block.",
            Self::TransactionsRootMismatch => {
                "The header's transaction count or root does not match the block's transactions."
            }
            Self::SignatureInvalid => "A transaction's signature does not verify.",
            Self::TransactionForAnotherChain => {
                "A transaction names another network's chain id, so it could never apply here."
            }
            Self::NonceNotNext => {
                "A transaction's nonce is not its signer's next in the state before it: a gap, or a nonce already used (a replayed transaction)."
            }
            Self::StateRootMismatch => {
                "Executing the block on its parent gives another state root than its header's."
            }
        }
    }

    /// The rule a transaction broke if its outcome means it cannot be in a block: it used up
    /// no nonce, so it changed nothing (not even its receipt) and could apply later. An
    /// honest proposer leaves such a transaction out ([`crate::service::Node::propose`]).
    pub fn of_outcome(outcome: Outcome) -> Option<Self> {
        match outcome {
            Outcome::Applied => None,
            Outcome::Rejected(Rejection::ChainIdMismatch) => Some(Self::TransactionForAnotherChain),
            Outcome::Rejected(Rejection::NonceNotNext) => Some(Self::NonceNotNext),
            // Every other rejection uses up the nonce: the transaction's receipt records it
            // and it can never apply again.
            Outcome::Rejected(rejection) => {
                debug_assert!(Outcome::Rejected(rejection).consumes_nonce());
                None
            }
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// How many proposals this node refused, by rule. Bounded: one counter per [`Refusal`].
#[derive(Debug, Default)]
pub struct Refusals(Mutex<BTreeMap<Refusal, u64>>);

impl Refusals {
    /// The counts, locked. Taken over if poisoned: each update is one saturating add.
    fn counts(&self) -> std::sync::MutexGuard<'_, BTreeMap<Refusal, u64>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts one refusal.
    pub fn count(&self, refusal: Refusal) {
        let mut counts = self.counts();
        let count = counts.entry(refusal).or_default();
        *count = count.saturating_add(1);
    }

    /// The counts so far.
    pub fn snapshot(&self) -> BTreeMap<Refusal, u64> {
        self.counts().clone()
    }
}

/// The reference page of refusals, `docs/reference/block-refusals.md`.
pub fn reference_page() -> String {
    let mut page = String::from(
        "# Block refusals\n\n\
         Why a validator refused to vote for a proposed block. Each rule is decided from the\n\
         block, its parent's header and the state after the parent alone, so every honest\n\
         validator reaches the same verdict on the same block; the validator logs the code\n\
         (`proposal refused`, field `reason`) and counts it. A block whose time is ahead of\n\
         the validator's clock is not refused: the validator waits until its clock passes it.\n\
         A block larger than the network's bounds does not even decode, so it is never verified.\n\n\
         This page is generated from `crates/node/src/refusal.rs`; the test\n\
         `refusal_reference_is_current` fails when the two differ. Regenerate with\n\
         `CREDENCE_BLESS=1 cargo test -p credence-node refusal_reference_is_current`.\n\n\
         | code | meaning |\n|---|---|\n",
    );
    for refusal in Refusal::ALL {
        page.push_str(&format!(
            "| `{}` | {} |\n",
            refusal.code(),
            refusal.meaning()
        ));
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn refusal_reference_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/reference/block-refusals.md"
        );
        let page = reference_page();
        if std::env::var_os("CREDENCE_BLESS").is_some() {
            std::fs::write(path, &page).expect("the reference page is writable");
        }
        let current = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            current == page,
            "docs/reference/block-refusals.md is stale; regenerate it with CREDENCE_BLESS=1"
        );
    }

    #[test]
    fn every_refusal_has_its_own_code() {
        let codes: BTreeSet<&str> = Refusal::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), Refusal::ALL.len());
    }

    #[test]
    fn only_outcomes_that_change_nothing_refuse_a_block() {
        assert_eq!(Refusal::of_outcome(Outcome::Applied), None);
        assert_eq!(
            Refusal::of_outcome(Outcome::Rejected(Rejection::NonceNotNext)),
            Some(Refusal::NonceNotNext)
        );
        assert_eq!(
            Refusal::of_outcome(Outcome::Rejected(Rejection::ChainIdMismatch)),
            Some(Refusal::TransactionForAnotherChain)
        );
        for &rejection in Rejection::ALL {
            let outcome = Outcome::Rejected(rejection);
            assert_eq!(
                Refusal::of_outcome(outcome).is_some(),
                !outcome.consumes_nonce(),
                "{rejection:?}"
            );
        }
    }
}
