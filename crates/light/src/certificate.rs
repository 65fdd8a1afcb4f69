//! Finalisation certificates, checked without the consensus engine.
//!
//! A certificate is the engine's encoded finalisation: the finalised proposal — its round
//! (epoch and view, each a varint), its parent's view (a varint) and the block's 32-byte
//! digest — followed by the signers and their ed25519 signatures. Each signer signed the
//! encoded proposal under the namespace [`CONSENSUS_NAMESPACE`] with the engine's
//! `_FINALIZE` suffix. A header whose digest is the proposal's block is final once more than
//! two thirds of the validators have signed.
//!
//! The engine's own types are not used here, so a light client does not build the engine.
//! The signature scheme is the engine's (`commonware-cryptography`'s certificate scheme over
//! ed25519), given the one subject a light client checks: a finalisation. The node's
//! consensus adapter pins, in its tests, that this module accepts exactly the certificates
//! the engine accepts.

use bytes::Bytes;
use commonware_codec::{Copying, Read as _, ReadExt as _, varint::UInt};
use commonware_cryptography::{
    Digest as EngineDigest,
    certificate::{self, Verifier as _},
    ed25519,
};
use commonware_parallel::Sequential;
use commonware_utils::ordered::Set;
use credence_types::{Digest, PublicKey};
use std::marker::PhantomData;

/// Namespace of consensus signatures (distinct from the p2p and transaction ones): the same
/// on every validator and every client that checks a certificate.
pub const CONSENSUS_NAMESPACE: &[u8] = b"credence/consensus";

/// The suffix the engine appends to the namespace of finalisation votes.
const FINALIZE_SUFFIX: &[u8] = b"_FINALIZE";

/// Largest encoded certificate a client accepts: a proposal and one signature per validator
/// of the largest consortium, with room to spare.
pub const CERTIFICATE_BYTES_MAX: usize = 64 * 1024;

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

/// What a valid certificate finalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finalized {
    /// The consensus epoch of the round.
    pub epoch: u64,
    /// The view of the round.
    pub view: u64,
    /// The finalised block.
    pub block: Digest,
}

/// The finalisation vote's subject: the encoded proposal, under the finalise namespace.
#[derive(Clone, Debug)]
pub struct FinalizeSubject<'a, D> {
    proposal: &'a [u8],
    digest: PhantomData<D>,
}

/// The finalise namespace derived from the base namespace.
#[derive(Clone, Debug)]
pub struct FinalizeNamespace(Vec<u8>);

impl certificate::Namespace for FinalizeNamespace {
    fn derive(namespace: &[u8]) -> Self {
        Self(commonware_utils::union(namespace, FINALIZE_SUFFIX))
    }
}

impl<D: EngineDigest> certificate::Subject for FinalizeSubject<'_, D> {
    type Namespace = FinalizeNamespace;

    fn namespace<'b>(&self, derived: &'b Self::Namespace) -> &'b [u8] {
        &derived.0
    }

    fn message(&self) -> Bytes {
        Bytes::copy_from_slice(self.proposal)
    }
}

mod scheme {
    //! The engine's ed25519 certificate scheme, for finalisations only.
    use super::{FinalizeNamespace, FinalizeSubject};
    use commonware_cryptography::impl_certificate_ed25519;
    use commonware_utils::N3f1;

    impl_certificate_ed25519!(FinalizeSubject<'a, D>, FinalizeNamespace, N3f1);
}

/// The proposal at the head of a certificate: its fields and its encoded bytes.
struct Proposal<'a> {
    epoch: u64,
    view: u64,
    block: Digest,
    bytes: &'a [u8],
}

/// Splits an encoded finalisation into its proposal and the rest (the signatures).
fn split(certificate: &[u8]) -> Result<(Proposal<'_>, &[u8]), CertificateError> {
    let mut rest = Copying(certificate);
    let malformed = |_| CertificateError::Malformed;
    let epoch = UInt::<u64>::read(&mut rest).map_err(malformed)?.0;
    let view = UInt::<u64>::read(&mut rest).map_err(malformed)?.0;
    let _parent = UInt::<u64>::read(&mut rest).map_err(malformed)?.0;
    let digest = <[u8; 32]>::read(&mut rest).map_err(malformed)?;
    let length = certificate.len() - rest.0.len();
    Ok((
        Proposal {
            epoch,
            view,
            block: Digest(digest),
            bytes: &certificate[..length],
        },
        rest.0,
    ))
}

/// The epoch `certificate` claims to be of, read without checking a signature: which
/// validator set a client must check it against.
pub fn certificate_epoch(certificate: &[u8]) -> Result<u64, CertificateError> {
    if certificate.len() > CERTIFICATE_BYTES_MAX {
        return Err(CertificateError::Malformed);
    }
    split(certificate).map(|(proposal, _)| proposal.epoch)
}

/// Checks that `certificate` holds the signatures of a quorum (more than two thirds) of
/// `validators` finalising the block whose digest is `block`; returns what it finalised.
pub fn verify_certificate(
    validators: &[PublicKey],
    block: &Digest,
    certificate: &[u8],
) -> Result<Finalized, CertificateError> {
    if certificate.len() > CERTIFICATE_BYTES_MAX {
        return Err(CertificateError::Malformed);
    }
    let keys = validators
        .iter()
        .map(engine_key)
        .collect::<Option<Vec<_>>>()
        .ok_or(CertificateError::Validators)?;
    let count = keys.len();
    let participants = Set::from_iter_dedup(keys);
    if count == 0 || participants.len() != count {
        return Err(CertificateError::Validators);
    }
    let scheme = scheme::Scheme::verifier(CONSENSUS_NAMESPACE, participants);
    let (proposal, signatures) = split(certificate)?;
    let mut signatures = Copying(signatures);
    let signed = ed25519::certificate::Certificate::read_cfg(
        &mut signatures,
        &scheme.certificate_codec_config(),
    )
    .map_err(|_| CertificateError::Malformed)?;
    if !signatures.0.is_empty() {
        return Err(CertificateError::Malformed);
    }
    if proposal.block != *block {
        return Err(CertificateError::OtherBlock(proposal.block));
    }
    let subject = FinalizeSubject::<commonware_cryptography::sha256::Digest> {
        proposal: proposal.bytes,
        digest: PhantomData,
    };
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    if !scheme.verify_certificate::<_, commonware_cryptography::sha256::Digest>(
        &mut rng,
        subject,
        &signed,
        &Sequential,
    ) {
        return Err(CertificateError::NotAQuorum);
    }
    Ok(Finalized {
        epoch: proposal.epoch,
        view: proposal.view,
        block: proposal.block,
    })
}

/// The engine's form of a Credence public key; `None` if it is not a valid point encoding.
pub(crate) fn engine_key(key: &PublicKey) -> Option<ed25519::PublicKey> {
    use commonware_codec::DecodeExt as _;
    ed25519::PublicKey::decode(commonware_codec::Copying(&key.0[..])).ok()
}
