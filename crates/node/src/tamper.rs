//! Test support (feature `byzantine`): the one place a node can be made a Byzantine
//! proposer. The simulation installs a [`Tamper`] on a node before consensus starts; when that
//! node leads a view, the consensus adapter hands it the block the node built honestly, and
//! broadcasts whatever it makes of it. Honest nodes have no tamper, and their code paths do
//! not change; the production binary is built without this module.
//!
//! A tamper changes the proposal, then asks the node to [`Reseal`] it — to leave the header
//! as it is, or to make it commit consistently to the tampered transactions (their root and
//! count, and the state root their execution gives) — so that a test can make a block wrong
//! in exactly one way.

use crate::{chain::Committed, service::Node};
use credence_crypto::{VerifiedTransaction, verify_one};
use credence_types::{
    Block, BlockHeader, Digest, SignedTransaction, block::transactions_root, codec::BoundedVec,
    limits::BLOCK_TRANSACTIONS_MAX,
};
use std::sync::Arc;

/// A block a Byzantine leader is about to propose, for its [`Tamper`] to rewrite.
#[derive(Clone, Debug)]
pub struct Proposal {
    /// The parent's header.
    pub parent: BlockHeader,
    /// The header the node built (with its executed state root).
    pub header: BlockHeader,
    /// The transactions the node selected.
    pub transactions: Vec<SignedTransaction>,
}

/// How the node finishes a tampered proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reseal {
    /// Propose the header exactly as the tamper left it.
    AsIs,
    /// Set the header's transaction count and root to the tampered transactions and, if all
    /// their signatures verify, its state root to what executing them on the parent at the
    /// header's time gives: the block is then wrong only in what the tamper changed.
    Consistent,
}

/// What a Byzantine leader does to its proposals. Implemented by the simulation's Byzantine
/// proposers (`credence_sim::proposers`).
pub trait Tamper: Send + Sync {
    /// Rewrites `proposal`, returning how to reseal it, or `None` to propose it honestly.
    fn tamper(&self, proposal: &mut Proposal) -> Option<Reseal>;

    /// The digest of the tampered block that was proposed.
    fn proposed(&self, digest: Digest, header: &BlockHeader);

    /// A block this node committed: an attacker keeps every byte it saw.
    fn observe(&self, committed: &Committed);
}

impl<E: commonware_storage::Context + commonware_runtime::Spawner> Node<E> {
    /// Makes this node a Byzantine proposer. Call once, before consensus starts.
    ///
    /// # Panics
    ///
    /// If a tamper is already installed.
    pub fn install_tamper(&self, tamper: Arc<dyn Tamper>) {
        assert!(
            self.tamper.set(tamper).is_ok(),
            "a node must have at most one tamper"
        );
    }

    /// The block to propose instead of `block` (built on `parent`): `block` itself unless a
    /// tamper is installed and rewrites it.
    pub(crate) async fn tamper_proposal(&self, parent: &BlockHeader, block: Block) -> Block {
        let Some(tamper) = self.tamper.get() else {
            return block;
        };
        let mut proposal = Proposal {
            parent: *parent,
            header: block.header,
            transactions: block.transactions.as_slice().to_vec(),
        };
        let Some(reseal) = tamper.tamper(&mut proposal) else {
            return block;
        };
        let Proposal {
            mut header,
            transactions,
            ..
        } = proposal;
        if reseal == Reseal::Consistent {
            header.transactions_root = transactions_root(transactions.iter().map(|t| t.hash()));
            header.transaction_count = u32::try_from(transactions.len()).unwrap_or(u32::MAX);
            let verified: Result<Vec<VerifiedTransaction>, _> =
                transactions.iter().cloned().map(verify_one).collect();
            if let Ok(verified) = verified {
                let chain = self.chain.lock().await;
                match chain.execute(&header, &verified).await {
                    Ok(executed) => header.state_root = executed.header.state_root,
                    Err(error) => tracing::warn!(%error, "could not execute a tampered proposal"),
                }
            }
        }
        let Some(transactions) =
            BoundedVec::<SignedTransaction, BLOCK_TRANSACTIONS_MAX>::new(transactions)
        else {
            tracing::warn!("a tampered proposal exceeds the encodable bound; proposing honestly");
            return block;
        };
        tamper.proposed(header.digest(), &header);
        tracing::warn!(height = header.height.0, "proposing a tampered block");
        Block {
            header,
            transactions,
        }
    }
}
