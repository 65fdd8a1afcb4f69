//! Finalisation certificates: the validators' signatures that make a block final, read from
//! marshal's archive for the API.
//!
//! A certificate is the engine's encoded `Finalization`: the finalised proposal (its round
//! and the block digest) and a quorum of ed25519 signatures over it. Light clients check it
//! with [`credence_light::certificate`], which reads the same bytes without the engine; the
//! test below pins that the two accept and refuse alike.

use super::block::ChainBlock;
use commonware_codec::Encode as _;
use commonware_consensus::{
    marshal::{core::Mailbox, standard::Standard},
    simplex::scheme::ed25519::Scheme,
    types::Height as EngineHeight,
};
pub use credence_light::certificate::CONSENSUS_NAMESPACE;
use credence_types::{Block, Height};

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

#[cfg(test)]
mod tests {
    //! The light client reads certificates without the engine; these tests pin that it
    //! accepts exactly what the engine accepts, on real certificates and tampered ones.
    use super::CONSENSUS_NAMESPACE;
    use crate::consensus::block::{from_engine, to_engine};
    use commonware_codec::{Copying, Decode as _, Encode as _};
    use commonware_consensus::{
        simplex::{
            scheme::ed25519::Scheme,
            types::{Finalization, Finalize, Proposal},
        },
        types::{Epoch, Round, View},
    };
    use commonware_cryptography::{Signer as _, certificate::Verifier as _, ed25519, sha256};
    use commonware_parallel::Sequential;
    use commonware_utils::{iter::NonEmpty, ordered::Set};
    use credence_light::certificate::{CertificateError, verify_certificate};
    use credence_types::{Digest, PublicKey};
    use proptest::prelude::*;

    type EngineFinalization = Finalization<Scheme, sha256::Digest>;

    fn secrets(n: u64) -> Vec<ed25519::PrivateKey> {
        (0..n).map(ed25519::PrivateKey::from_seed).collect()
    }

    fn public(secrets: &[ed25519::PrivateKey]) -> Vec<PublicKey> {
        secrets
            .iter()
            .map(|s| {
                let mut key = [0u8; 32];
                key.copy_from_slice(&s.public_key().encode());
                PublicKey(key)
            })
            .collect()
    }

    fn participants(keys: &[PublicKey]) -> Set<ed25519::PublicKey> {
        Set::from_iter_dedup(
            keys.iter()
                .map(|k| crate::consensus::engine_key(k).unwrap()),
        )
    }

    /// A finalisation of `block` in `round`, signed by the first `signers` validators.
    fn finalization(
        secrets: &[ed25519::PrivateKey],
        signers: usize,
        block: Digest,
        round: (u64, u64),
    ) -> Vec<u8> {
        let keys = public(secrets);
        let proposal = Proposal::new(
            Round::new(Epoch::new(round.0), View::new(round.1)),
            View::new(round.1.saturating_sub(1)),
            to_engine(&block),
        );
        let votes = secrets[..signers].iter().map(|secret| {
            let scheme =
                Scheme::signer(CONSENSUS_NAMESPACE, participants(&keys), secret.clone()).unwrap();
            Finalize::sign(&scheme, proposal.clone()).unwrap()
        });
        let verifier = Scheme::verifier(CONSENSUS_NAMESPACE, participants(&keys));
        // Assembly refuses fewer than a quorum; such a certificate is made by assembling a
        // quorum and dropping signatures from the encoding below instead.
        EngineFinalization::from_owned_finalizes(
            &verifier,
            NonEmpty::try_new(votes).unwrap(),
            &Sequential,
        )
        .unwrap()
        .encode()
        .to_vec()
    }

    /// The engine's own verdict on `certificate` for `block` under `validators`.
    fn engine_accepts(validators: &[PublicKey], block: &Digest, certificate: &[u8]) -> bool {
        let scheme = Scheme::verifier(CONSENSUS_NAMESPACE, participants(validators));
        let Ok(finalization) = EngineFinalization::decode_cfg(
            Copying(certificate),
            &scheme.certificate_codec_config(),
        ) else {
            return false;
        };
        from_engine(&finalization.proposal.payload) == *block
            && finalization.verify(
                &mut rand_core::UnwrapErr(getrandom::SysRng),
                &scheme,
                &Sequential,
            )
    }

    fn light_accepts(validators: &[PublicKey], block: &Digest, certificate: &[u8]) -> bool {
        verify_certificate(validators, block, certificate).is_ok()
    }

    #[test]
    fn the_light_client_accepts_the_engines_certificates() {
        for n in [1, 4, 7] {
            let secrets = secrets(n);
            let keys = public(&secrets);
            let block = Digest([7; 32]);
            let quorum = usize::try_from(n - (n - 1) / 3).unwrap();
            let certificate = finalization(&secrets, quorum, block, (3, 41));
            assert!(engine_accepts(&keys, &block, &certificate));
            let finalized = verify_certificate(&keys, &block, &certificate).unwrap();
            assert_eq!((finalized.epoch, finalized.view), (3, 41));
            assert_eq!(finalized.block, block);
        }
    }

    #[test]
    fn both_refuse_another_block_another_set_and_a_short_quorum() {
        let secrets = secrets(4);
        let keys = public(&secrets);
        let block = Digest([1; 32]);
        let certificate = finalization(&secrets, 3, block, (0, 9));

        let other = Digest([2; 32]);
        assert!(!engine_accepts(&keys, &other, &certificate));
        assert_eq!(
            verify_certificate(&keys, &other, &certificate),
            Err(CertificateError::OtherBlock(block))
        );

        let mut strangers = keys.clone();
        strangers[0] = public(&[ed25519::PrivateKey::from_seed(99)])[0];
        assert!(!engine_accepts(&strangers, &block, &certificate));
        assert!(!light_accepts(&strangers, &block, &certificate));

        // Seven validators: three signatures are not a quorum (five are).
        let seven = self::secrets(7);
        let seven_keys = public(&seven);
        let three_of_four = finalization(&seven[..4], 3, block, (0, 9));
        assert!(!engine_accepts(&seven_keys, &block, &three_of_four));
        assert!(!light_accepts(&seven_keys, &block, &three_of_four));

        let mut trailing = certificate.clone();
        trailing.push(0);
        assert!(!engine_accepts(&keys, &block, &trailing));
        assert!(!light_accepts(&keys, &block, &trailing));
        for cut in 0..certificate.len() {
            assert!(!light_accepts(&keys, &block, &certificate[..cut]));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Flip any bit of a valid certificate: the light client and the engine agree.
        #[test]
        fn both_agree_on_every_flipped_bit(position in 0usize..4096, bit in 0u8..8) {
            let secrets = secrets(4);
            let keys = public(&secrets);
            let block = Digest([5; 32]);
            let mut certificate = finalization(&secrets, 3, block, (2, 17));
            let position = position % certificate.len();
            certificate[position] ^= 1 << bit;
            prop_assert_eq!(
                light_accepts(&keys, &block, &certificate),
                engine_accepts(&keys, &block, &certificate)
            );
        }
    }
}
