//! Finalisation certificates: the validators' signatures that make a block final, read from
//! marshal's archive for the API.
//!
//! A certificate is the engine's encoded `Finalization`: the finalised proposal (its round
//! and the block digest) and a quorum of ed25519 signatures over it. Light clients check it
//! with [`credence_light::certificate`], which reads the same bytes without the engine; the
//! test below pins that the two accept and refuse alike.

use super::{block::ChainBlock, transitions::Transitions};
use commonware_codec::Encode as _;
use commonware_consensus::{
    marshal::{core::Mailbox, standard::Standard},
    simplex::scheme::ed25519::Scheme,
    types::Height as EngineHeight,
};
pub use credence_light::certificate::CONSENSUS_NAMESPACE;
use credence_store::StateProof;
use credence_types::{Block, Height};

/// Reads finalised blocks and their certificates from this node's consensus archive, and
/// the proofs of the epochs' validator sets.
pub struct Finality<E: commonware_storage::Context> {
    marshal: Mailbox<Scheme, Standard<ChainBlock>>,
    transitions: Transitions<E>,
}

impl<E: commonware_storage::Context> Clone for Finality<E> {
    fn clone(&self) -> Self {
        Self {
            marshal: self.marshal.clone(),
            transitions: self.transitions.clone(),
        }
    }
}

impl<E> Finality<E>
where
    E: commonware_storage::Context + commonware_runtime::Spawner + commonware_runtime::Metrics,
{
    pub(super) fn new(
        marshal: Mailbox<Scheme, Standard<ChainBlock>>,
        transitions: Transitions<E>,
    ) -> Self {
        Self {
            marshal,
            transitions,
        }
    }

    /// The proof, against the last block of epoch `epoch - 1`, of epoch `epoch`'s record.
    pub async fn epoch_proof(&self, epoch: u64) -> Result<Option<StateProof>, String> {
        self.transitions.proof(epoch).await
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

    /// Epoch 0 of `keys`, heights 0 to 9.
    fn epoch_zero(keys: &[PublicKey]) -> credence_types::epoch::EpochRecord {
        use credence_types::epoch::{ConsensusSeat, EpochValidator, PeerAddress, ValidatorList};
        let validators = keys
            .iter()
            .zip(0u64..)
            .map(|(key, id)| EpochValidator {
                institution: credence_types::InstitutionId(id),
                seat: ConsensusSeat {
                    key: *key,
                    address: PeerAddress(([127, 0, 0, 1], 9_000).into()),
                },
            })
            .collect();
        credence_types::epoch::EpochRecord {
            epoch: 0,
            first_height: credence_types::Height(0),
            last_height: credence_types::Height(9),
            validators: ValidatorList::new(validators).unwrap(),
        }
    }

    /// A header at `height`, certified by the first three of `secrets` in `round`.
    fn certified_at(
        secrets: &[ed25519::PrivateKey],
        height: u64,
        round: (u64, u64),
    ) -> credence_types::api::CertifiedHeader {
        let header = credence_types::BlockHeader {
            parent: Digest([1; 32]),
            height: credence_types::Height(height),
            time: credence_types::TimestampMs(1),
            proposer: public(secrets)[0],
            transactions_root: Digest([2; 32]),
            transaction_count: 0,
            state_root: Digest([3; 32]),
        };
        let digest = header.digest();
        credence_types::api::CertifiedHeader {
            digest,
            header,
            certificate: hex::encode(finalization(secrets, 3, digest, round)),
        }
    }

    #[test]
    fn a_light_client_checks_each_certificate_against_its_own_epochs_set() {
        use credence_light::{LightError, validators::Validators};
        let secrets = secrets(4);
        let trusted = Validators::starting(epoch_zero(&public(&secrets)));
        trusted
            .verify_header(&certified_at(&secrets, 5, (0, 6)))
            .unwrap();

        // A set that never existed: four keys the chain never named, signing for epoch 0.
        let strangers: Vec<ed25519::PrivateKey> =
            (100..104).map(ed25519::PrivateKey::from_seed).collect();
        assert_eq!(
            trusted.verify_header(&certified_at(&strangers, 6, (0, 7))),
            Err(LightError::Certificate(CertificateError::NotAQuorum))
        );
        // The right keys, but an epoch the client has not followed: it must learn the
        // epoch's set first, from the chain.
        assert_eq!(
            trusted.verify_header(&certified_at(&secrets, 12, (1, 2))),
            Err(LightError::EpochUnknown { epoch: 1, known: 0 })
        );
        // The right keys and epoch, for a height outside the epoch: a set that no longer
        // votes cannot certify what came after it.
        assert_eq!(
            trusted.verify_header(&certified_at(&secrets, 10, (0, 11))),
            Err(LightError::OutsideEpoch {
                height: 10,
                epoch: 0
            })
        );
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
