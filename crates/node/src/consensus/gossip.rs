//! Mempool gossip: transactions admitted by one validator are sent to all the others, so
//! whoever leads next can include them.
//!
//! Transactions are batched (by count, bytes and a short delay). A peer that sends bytes that
//! do not decode, or transactions whose signatures do not verify, is blocked.

use crate::service::Node;
use commonware_codec::Encode as _;
use commonware_p2p::{Blocker, Receiver, Recipients, Sender};
use commonware_runtime::{Clock, Spawner};
use credence_crypto::VerifiedTransaction;
use credence_types::{SignedTransaction, codec::BoundedVec, codec::EncodeSize as _};
use futures::{FutureExt as _, StreamExt as _, channel::mpsc};
use std::{sync::Arc, time::Duration};

/// Most transactions in one gossip message.
pub const GOSSIP_BATCH_MAX: usize = 1_024;
/// Most bytes of transactions in one gossip message.
pub const GOSSIP_BATCH_BYTES_MAX: usize = 1 << 20;
/// Longest a transaction waits to fill a batch.
const GOSSIP_DELAY: Duration = Duration::from_millis(10);

/// A gossip message: transactions, encoded as a bounded list.
pub type Batch = BoundedVec<SignedTransaction, GOSSIP_BATCH_MAX>;

/// Starts sending admitted transactions to peers and admitting theirs.
pub fn start<E, S, R, B>(
    runtime: E,
    node: Arc<Node<E>>,
    mut admitted: mpsc::UnboundedReceiver<VerifiedTransaction>,
    (mut sender, mut receiver): (S, R),
    mut blocker: B,
) where
    E: commonware_storage::Context + Spawner + Clock,
    S: Sender<PublicKey = commonware_cryptography::ed25519::PublicKey>,
    R: Receiver<PublicKey = commonware_cryptography::ed25519::PublicKey>,
    B: Blocker<PublicKey = commonware_cryptography::ed25519::PublicKey>,
{
    runtime.child("send").spawn(move |clock| async move {
        while let Some(first) = admitted.next().await {
            let mut batch = vec![first.into_signed()];
            let mut bytes = batch[0].encode_size();
            let deadline = clock.current() + GOSSIP_DELAY;
            while batch.len() < GOSSIP_BATCH_MAX {
                // Biased, not random: a choice the runtime's seed does not make would make
                // simulations impossible to replay.
                let next = futures::select_biased! {
                    next = admitted.next().fuse() => next,
                    () = clock.sleep_until(deadline).fuse() => None,
                };
                let Some(next) = next else { break };
                let next = next.into_signed();
                bytes = bytes.saturating_add(next.encode_size());
                batch.push(next);
                if bytes >= GOSSIP_BATCH_BYTES_MAX {
                    break;
                }
            }
            let batch = Batch::new(batch)
                .expect("the loop above stops at GOSSIP_BATCH_MAX, the batch's own bound");
            sender.send(Recipients::All, batch.encode(), false);
        }
    });
    runtime.child("receive").spawn(move |_| async move {
        while let Ok((peer, message)) = receiver.recv().await {
            let honest = match credence_types::decode::<Batch>(message.as_ref()) {
                Ok(batch) => node.admit_gossip(batch.into_inner()),
                Err(_) => false,
            };
            if !honest {
                tracing::warn!(?peer, "peer gossiped invalid transactions; blocking it");
                blocker.block(peer);
            }
        }
    });
}
