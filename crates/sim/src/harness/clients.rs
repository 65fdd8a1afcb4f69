//! Clients: transactions submitted through the API path (`Node::submit`), each signer's to
//! one running honest validator, every answer journaled; and a retrying client that
//! resubmits what is in no committed block.

use super::Simulation;
use crate::journal::{Sent, Submission};
use credence_node::service::SubmitError;
use credence_types::{Digest, SignedTransaction, encode};
use std::{collections::BTreeSet, time::Duration};

impl Simulation {
    /// The validator a signer's transactions go to: the first running honest one from a
    /// place its key picks. Each signer keeps to one validator while it runs, as a client
    /// should: a validator refuses a transaction whose predecessor it has not seen
    /// (`nonce_gap`), and a signer's transactions spread over validators would race their
    /// gossip.
    fn target(&self, signer: &credence_types::PublicKey) -> Option<usize> {
        let size = self.size();
        let start = usize::from(signer.0[0]) % size.max(1);
        (0..size)
            .map(|step| (start + step) % size)
            .find(|&index| self.is_honest(index) && self.node(index).is_some())
    }

    /// Submits `transactions`, in order, through the API path (`Node::submit`: decode,
    /// admit, gossip), each to its signer's validator (see `target`), and journals
    /// the answers.
    pub async fn submit(&mut self, transactions: &[SignedTransaction]) {
        for transaction in transactions {
            self.submit_one(transaction, false).await;
        }
    }

    async fn submit_one(&mut self, transaction: &SignedTransaction, resubmission: bool) {
        let hash = transaction.hash();
        let sent = Sent {
            signer: transaction.transaction.signer,
            nonce: transaction.transaction.nonce,
            at: credence_node::service::now(&self.context),
        };
        let answer = match self.target(&transaction.transaction.signer) {
            None => Submission::Refused("no validator is running".to_string()),
            Some(index) => match self.node(index).cloned() {
                None => Submission::Refused("no validator is running".to_string()),
                Some(node) => match node.submit(&encode(transaction)).await {
                    Ok(_) => Submission::Accepted(index),
                    Err(error) => Submission::Refused(error.to_string()),
                },
            },
        };
        self.journal.submitted(hash, sent, answer, resubmission);
    }

    /// Submits `transactions` as one batch to validator `index` through the API's batch path
    /// (`Node::submit_all`), journals the answers and returns them, typed.
    pub async fn submit_batch_to(
        &mut self,
        index: usize,
        transactions: &[SignedTransaction],
    ) -> Vec<Result<Digest, SubmitError>> {
        let Some(node) = self.node(index).cloned() else {
            return transactions
                .iter()
                .map(|_| Err(SubmitError::Unavailable("not running".to_string())))
                .collect();
        };
        let encoded: Vec<Vec<u8>> = transactions.iter().map(encode).collect();
        let answers = node.submit_all(&encoded).await;
        let at = credence_node::service::now(&self.context);
        for (transaction, answer) in transactions.iter().zip(&answers) {
            let sent = Sent {
                signer: transaction.transaction.signer,
                nonce: transaction.transaction.nonce,
                at,
            };
            let journaled = match answer {
                Ok(_) => Submission::Accepted(index),
                Err(error) => Submission::Refused(error.to_string()),
            };
            self.journal
                .submitted(transaction.hash(), sent, journaled, false);
        }
        answers
    }

    /// Submits `transactions` in chunks of `chunk`, one chunk every `interval`.
    pub async fn submit_paced(
        &mut self,
        transactions: &[SignedTransaction],
        chunk: usize,
        interval: Duration,
    ) {
        for batch in transactions.chunks(chunk.max(1)) {
            self.submit(batch).await;
            self.sleep(interval).await;
        }
    }

    /// As a retrying client: submits again, in order, every transaction of `transactions`
    /// that is in no committed block — accepted before (its mempool may have died in a
    /// crash) or never answered (the client may have crashed too). Returns how many were
    /// submitted.
    pub async fn resubmit_unfinalized(&mut self, transactions: &[SignedTransaction]) -> usize {
        let (answered, committed) = self.journal.read(|o| {
            let committed: BTreeSet<Digest> = o
                .nodes
                .iter()
                .flat_map(|log| log.commits.values())
                .flat_map(|record| record.transactions.iter().copied())
                .collect();
            (
                o.submissions.keys().copied().collect::<BTreeSet<_>>(),
                committed,
            )
        });
        let mut count = 0;
        for transaction in transactions {
            let hash = transaction.hash();
            if !committed.contains(&hash) {
                self.submit_one(transaction, answered.contains(&hash)).await;
                count += 1;
            }
        }
        count
    }
}
