//! Finalisation certificates: the validators' signatures that make a block final, read from
//! marshal's archive for the API and checked by anyone who holds the validator set.
//!
//! A certificate is the engine's encoded `Finalization`: the finalised proposal (its view and
//! the block digest) and a quorum of ed25519 signatures over it. A header whose digest is the
//! proposal's payload is final; its state root commits to every value of the state after the
//! block, so a client that checks a certificate and a state proof trusts no single node.

use super::block::{ChainBlock, from_engine};
use commonware_codec::{Copying, Decode as _, Encode as _};
use commonware_consensus::{
    marshal::{core::Mailbox, standard::Standard},
    simplex::{scheme::ed25519::Scheme, types::Finalization},
    types::Height as EngineHeight,
};
use commonware_cryptography::{certificate::Verifier as _, sha256};
use commonware_parallel::Sequential;
use commonware_utils::ordered::Set;
use credence_types::{Block, Digest, Height, PublicKey};

/// Namespace of consensus signatures (distinct from the p2p and transaction ones): the same
/// on every validator and every client that checks a certificate.
pub const CONSENSUS_NAMESPACE: &[u8] = b"credence/consensus";

/// Largest encoded certificate a client accepts: a proposal and one signature per validator
/// of the largest consortium, with room to spare.
pub const CERTIFICATE_BYTES_MAX: usize = 64 * 1024;

type EngineFinalization = Finalization<Scheme, sha256::Digest>;

/// Reads finalised blocks and their certificates from this node's consensus archive.
#[derive(Clone)]
pub struct Finality {
    marshal: Mailbox<Scheme, Standard<ChainBlock>>,
}

impl Finality {
    pub(super) fn new(marshal: Mailbox<Scheme, Standard<ChainBlock>>) -> Self {
        Self { marshal }
    }

    /// The encoded certificate that finalised the block at `height`, if this node holds it.
    pub async fn certificate(&self, height: Height) -> Option<Vec<u8>> {
        let finalization = self
            .marshal
            .get_finalization(EngineHeight::new(height.0))
            .await?;
        Some(finalization.encode().to_vec())
    }

    /// The finalised block at `height`, if this node's archive holds it.
    pub async fn block(&self, height: Height) -> Option<Block> {
        let block = self.marshal.get_block(EngineHeight::new(height.0)).await?;
        Some(block.inner().block().clone())
    }
}

/// Why a certificate does not prove a block final.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CertificateError {
    /// The validator set is empty, repeats a key, or holds a key that is not a point.
    #[error("the validator set is not valid")]
    Validators,
    /// The bytes are not a certificate for this validator set.
    #[error("the certificate is malformed")]
    Malformed,
    /// The certificate finalises another block.
    #[error("the certificate finalises block {0}, not this one")]
    OtherBlock(Digest),
    /// The signatures are not a quorum of the validators over the block.
    #[error("the certificate's signatures are not a quorum of the validators")]
    NotAQuorum,
}

/// Checks that `certificate` holds the signatures of a quorum (more than two thirds) of
/// `validators` finalising the block whose digest is `block`.
pub fn verify_certificate(
    validators: &[PublicKey],
    block: &Digest,
    certificate: &[u8],
) -> Result<(), CertificateError> {
    if certificate.len() > CERTIFICATE_BYTES_MAX {
        return Err(CertificateError::Malformed);
    }
    let keys = validators
        .iter()
        .map(super::engine_key)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| CertificateError::Validators)?;
    let count = keys.len();
    let participants = Set::from_iter_dedup(keys);
    if count == 0 || participants.len() != count {
        return Err(CertificateError::Validators);
    }
    let scheme = Scheme::verifier(CONSENSUS_NAMESPACE, participants);
    let finalization =
        EngineFinalization::decode_cfg(Copying(certificate), &scheme.certificate_codec_config())
            .map_err(|_| CertificateError::Malformed)?;
    let finalised = from_engine(&finalization.proposal.payload);
    if finalised != *block {
        return Err(CertificateError::OtherBlock(finalised));
    }
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    if !finalization.verify(&mut rng, &scheme, &Sequential) {
        return Err(CertificateError::NotAQuorum);
    }
    Ok(())
}
