//! The consortium's members and their keys: deterministic signing keys with nonce counters,
//! and the indices of the founding members of [`Chain::new`](super::Chain::new).

use credence_crypto::{EncryptionSecret, SigningKey, VerifiedTransaction, verify_one};
use credence_types::{InstitutionId, Payload, Roles, genesis::ChainId, transaction::Transaction};

/// Someone who signs transactions, with its own nonce counter.
#[derive(Clone, Debug)]
pub struct Signer {
    pub key: SigningKey,
    pub nonce: u64,
}

impl Signer {
    pub fn from_seed(seed: u64) -> Self {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_be_bytes());
        bytes[31] = 0x5e;
        Self {
            key: SigningKey::from_seed(&bytes),
            nonce: 0,
        }
    }

    /// Signs `payload` with the next nonce.
    pub fn sign(&mut self, chain: &ChainId, payload: Payload) -> VerifiedTransaction {
        self.nonce += 1;
        self.sign_with_nonce(chain, self.nonce, payload)
    }

    /// Signs `payload` with an explicit nonce (for replay tests).
    pub fn sign_with_nonce(
        &self,
        chain: &ChainId,
        nonce: u64,
        payload: Payload,
    ) -> VerifiedTransaction {
        let signed = self.key.sign_transaction(Transaction {
            chain_id: chain.clone(),
            signer: self.key.public_key(),
            nonce,
            payload,
        });
        verify_one(signed).unwrap()
    }
}

/// A member institution's keys.
#[derive(Clone, Debug)]
pub struct Member {
    pub id: InstitutionId,
    pub name: String,
    pub roles: Roles,
    pub signer: Signer,
    pub encryption: EncryptionSecret,
}

/// The founding members of the test consortium, in id order.
pub const BANK_A: usize = 0;
pub const BANK_B: usize = 1;
pub const LENDER_C: usize = 2;
pub const REGULATOR: usize = 3;
pub const REGISTRAR: usize = 4;
