//! A signer and its nonce.

use credence_crypto::SigningKey;
use credence_types::{
    Payload, PublicKey, SignedTransaction, genesis::ChainId, transaction::Transaction,
};

/// Someone who signs transactions on one chain, counting its nonces.
#[derive(Clone, Debug)]
pub struct Account {
    key: SigningKey,
    chain: ChainId,
    nonce: u64,
}

impl Account {
    /// An account whose last accepted nonce is `nonce` (0 for a new key).
    pub fn new(key: SigningKey, chain: ChainId, nonce: u64) -> Self {
        Self { key, chain, nonce }
    }

    /// The signing key's public half.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// The last nonce used.
    pub fn nonce(&self) -> u64 {
        self.nonce
    }

    /// Signs `payload` with the next nonce.
    pub fn sign(&mut self, payload: Payload) -> SignedTransaction {
        self.nonce += 1;
        self.key.sign_transaction(Transaction {
            chain_id: self.chain.clone(),
            signer: self.key.public_key(),
            nonce: self.nonce,
            payload,
        })
    }
}
