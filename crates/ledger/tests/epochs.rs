//! Epochs in state: governance changes the roster at once, consensus sees the change only in
//! the next epoch's record, written by the last block of the epoch before; a consensus key is
//! its own key, seated once.
#![allow(clippy::unwrap_used)]

use credence_ledger::testkit::{
    BANK_A, BANK_B, Chain, LENDER_C, REGISTRAR, REGULATOR, Signer, consensus_seat,
};
use credence_types::{
    Height, InstitutionId, Payload, ProposalId, PublicKey, Rejection, Role, Roles, TimestampMs,
    codec::Name,
    epoch::{ConsensusSeat, EpochRecord, Roster},
    governance::{GovernanceAction, KeyChange, NewInstitution, Parameters, SeatChange},
    receipt::Outcome,
    state::{Meta, StateKey},
    transaction::ProposeGovernance,
};

const EPOCH: u64 = 8;

fn record(chain: &Chain, epoch: u64) -> Option<EpochRecord> {
    chain.get(&StateKey::epoch(epoch))
}

fn keys(record: &EpochRecord) -> Vec<PublicKey> {
    record.keys()
}

fn seat_keys(indices: &[u64]) -> Vec<PublicKey> {
    let mut keys: Vec<PublicKey> = indices.iter().map(|&i| consensus_seat(i).key).collect();
    keys.sort();
    keys
}

/// Runs `action` through governance: proposed by bank A, approved by the others in turn
/// until enacted. Returns the proposal's outcome if it was refused at the door.
fn enact(chain: &mut Chain, action: GovernanceAction) -> Result<(), Rejection> {
    let id = ProposalId(
        chain
            .get::<Meta>(&StateKey::meta())
            .unwrap()
            .counters
            .proposal
            .0,
    );
    let propose = Payload::ProposeGovernance(ProposeGovernance {
        action,
        expires_at: TimestampMs(chain.time.0 + 7 * 86_400_000),
    });
    let tx = chain.member_tx(BANK_A, propose);
    if let Outcome::Rejected(rejection) = chain.apply(tx) {
        return Err(rejection);
    }
    for member in [BANK_B, LENDER_C, REGULATOR, REGISTRAR] {
        let tx = chain.member_tx(member, Payload::ApproveGovernance(id));
        // Approvals past the threshold find the proposal closed; that is fine here.
        chain.apply(tx);
    }
    Ok(())
}

/// Applies empty blocks until the chain's height is `height`.
fn run_to(chain: &mut Chain, height: u64) {
    while chain.height.0 < height {
        chain.block(1_000, &[]);
    }
}

fn new_validator(seed: u64, seat: Option<ConsensusSeat>) -> GovernanceAction {
    GovernanceAction::AddInstitution(NewInstitution {
        name: Name::new(&format!("bank-{seed}")).unwrap(),
        roles: Roles::of(&[Role::Validator, Role::Lender]),
        signing_key: Signer::from_seed(seed).key.public_key(),
        encryption_key: Default::default(),
        consensus: seat,
    })
}

#[test]
fn genesis_writes_epoch_zero_from_the_seated_validators() {
    let chain = Chain::new().with_epoch_length(EPOCH);
    let zero = record(&chain, 0).unwrap();
    assert_eq!(zero.first_height, Height(0));
    assert_eq!(zero.last_height, Height(EPOCH - 1));
    // The three validators, by their consensus keys, never their signing keys.
    assert_eq!(keys(&zero), seat_keys(&[0, 1, 2]));
    let signing: Vec<PublicKey> = chain
        .members
        .iter()
        .map(|m| m.signer.key.public_key())
        .collect();
    assert!(keys(&zero).iter().all(|k| !signing.contains(k)));
    let meta: Meta = chain.get(&StateKey::meta()).unwrap();
    assert_eq!(
        (meta.epoch.number, meta.epoch.last_height),
        (0, Height(EPOCH - 1))
    );
    assert!(record(&chain, 1).is_none());
}

#[test]
fn the_last_block_of_an_epoch_writes_the_next_and_no_record_ever_changes() {
    let mut chain = Chain::new().with_epoch_length(EPOCH);
    let mut seen: Vec<EpochRecord> = vec![record(&chain, 0).unwrap()];
    for height in 1..=5 * EPOCH {
        chain.block(1_000, &[]);
        let meta: Meta = chain.get(&StateKey::meta()).unwrap();
        // The record of the next epoch appears exactly at the last block of the current one.
        let expected_epochs = (height + 1) / EPOCH + 1;
        assert_eq!(meta.epoch.number + 1, expected_epochs, "at height {height}");
        if let Some(next) = record(&chain, meta.epoch.number)
            && seen.len() < usize::try_from(expected_epochs).unwrap()
        {
            assert_eq!(next.first_height, Height(height + 1));
            assert_eq!(next.last_height, Height(height + EPOCH));
            assert_eq!(next.epoch, meta.epoch.number);
            seen.push(next);
        }
        for (number, earlier) in seen.iter().enumerate() {
            assert_eq!(&record(&chain, number as u64).unwrap(), earlier);
        }
    }
    assert_eq!(seen.len(), 6);
}

#[test]
fn an_admitted_validator_votes_from_the_next_epoch() {
    let mut chain = Chain::new().with_epoch_length(EPOCH);
    enact(&mut chain, new_validator(90, Some(consensus_seat(5)))).unwrap();
    assert!(chain.height.0 < EPOCH - 1, "enacted within epoch 0");
    // In the roster at once; in no record until the boundary.
    let roster: Roster = chain.get(&StateKey::roster()).unwrap();
    assert_eq!(roster.validators.len(), 4);
    assert_eq!(keys(&record(&chain, 0).unwrap()), seat_keys(&[0, 1, 2]));
    run_to(&mut chain, EPOCH - 1);
    let one = record(&chain, 1).unwrap();
    assert_eq!(keys(&one), seat_keys(&[0, 1, 2, 5]));
    let newcomer = one
        .validators
        .iter()
        .find(|v| v.seat.key == consensus_seat(5).key)
        .unwrap();
    assert_eq!(newcomer.institution, InstitutionId(5));
    assert_eq!(newcomer.seat.address, consensus_seat(5).address);
}

#[test]
fn a_suspended_or_demoted_validator_stops_counting_from_the_next_epoch() {
    let mut chain = Chain::new().with_epoch_length(EPOCH);
    enact(
        &mut chain,
        GovernanceAction::SuspendInstitution(InstitutionId(LENDER_C as u64)),
    )
    .unwrap();
    run_to(&mut chain, EPOCH - 1);
    assert_eq!(keys(&record(&chain, 1).unwrap()), seat_keys(&[0, 1]));

    enact(
        &mut chain,
        GovernanceAction::SetRoles(credence_types::governance::RoleChange {
            institution: InstitutionId(BANK_B as u64),
            roles: Roles::of(&[Role::Lender]),
        }),
    )
    .unwrap();
    run_to(&mut chain, 2 * EPOCH - 1);
    assert_eq!(keys(&record(&chain, 2).unwrap()), seat_keys(&[0]));
    // The last one stays: governance refuses to empty the set.
    assert_eq!(
        enact(
            &mut chain,
            GovernanceAction::SuspendInstitution(InstitutionId(BANK_A as u64))
        ),
        Err(Rejection::ValidatorSetEmpty)
    );
}

#[test]
fn a_rotated_consensus_key_takes_over_at_the_boundary_and_is_never_reused() {
    let mut chain = Chain::new().with_epoch_length(EPOCH);
    let fresh = ConsensusSeat {
        key: Signer::from_seed(4_242).key.public_key(),
        address: consensus_seat(1).address,
    };
    enact(
        &mut chain,
        GovernanceAction::SetConsensusSeat(SeatChange {
            institution: InstitutionId(BANK_B as u64),
            seat: fresh,
        }),
    )
    .unwrap();
    assert!(keys(&record(&chain, 0).unwrap()).contains(&consensus_seat(1).key));
    run_to(&mut chain, EPOCH - 1);
    let one = record(&chain, 1).unwrap();
    assert!(one.keys().contains(&fresh.key));
    assert!(!one.keys().contains(&consensus_seat(1).key));

    // The retired key cannot be seated again, by anyone.
    let reuse = GovernanceAction::SetConsensusSeat(SeatChange {
        institution: InstitutionId(LENDER_C as u64),
        seat: consensus_seat(1),
    });
    assert_eq!(enact(&mut chain, reuse), Err(Rejection::ConsensusKeyInUse));
    // A signing key is never a consensus key, nor the other way round.
    let signing = chain.members[BANK_A].signer.key.public_key();
    let crossed = GovernanceAction::SetConsensusSeat(SeatChange {
        institution: InstitutionId(LENDER_C as u64),
        seat: ConsensusSeat {
            key: signing,
            address: consensus_seat(2).address,
        },
    });
    assert_eq!(
        enact(&mut chain, crossed),
        Err(Rejection::ConsensusKeyInUse)
    );
    let crossed = GovernanceAction::RotateInstitutionKeys(KeyChange {
        institution: InstitutionId(LENDER_C as u64),
        signing_key: consensus_seat(0).key,
        encryption_key: Default::default(),
    });
    assert_eq!(enact(&mut chain, crossed), Err(Rejection::SigningKeyInUse));
}

#[test]
fn rekeying_an_institution_leaves_its_consensus_seat_alone() {
    let mut chain = Chain::new().with_epoch_length(EPOCH);
    let new_key = Signer::from_seed(600);
    let rotate = GovernanceAction::RotateInstitutionKeys(KeyChange {
        institution: InstitutionId(BANK_B as u64),
        signing_key: new_key.key.public_key(),
        encryption_key: chain.members[BANK_B].encryption.public_key(),
    });
    enact(&mut chain, rotate).unwrap();
    chain.members[BANK_B].signer = new_key;
    run_to(&mut chain, EPOCH - 1);
    assert_eq!(keys(&record(&chain, 1).unwrap()), seat_keys(&[0, 1, 2]));
}

#[test]
fn a_new_epoch_length_applies_from_the_next_epoch() {
    let mut chain = Chain::new().with_epoch_length(EPOCH);
    let longer = GovernanceAction::SetParameters(Parameters {
        epoch_length_blocks: 20,
        ..chain.genesis.parameters.clone()
    });
    enact(&mut chain, longer).unwrap();
    run_to(&mut chain, EPOCH - 1);
    let one = record(&chain, 1).unwrap();
    assert_eq!(
        (one.first_height, one.last_height),
        (Height(EPOCH), Height(EPOCH + 19))
    );
    run_to(&mut chain, EPOCH + 19);
    let two = record(&chain, 2).unwrap();
    assert_eq!(two.first_height, Height(EPOCH + 20));
    // Out of range: too short an epoch is refused.
    let short = GovernanceAction::SetParameters(Parameters {
        epoch_length_blocks: 2,
        ..chain.genesis.parameters.clone()
    });
    assert_eq!(enact(&mut chain, short), Err(Rejection::ParametersInvalid));
}

#[test]
fn seats_go_with_the_validator_role_and_nothing_else() {
    let mut chain = Chain::new().with_epoch_length(EPOCH);
    assert_eq!(
        enact(&mut chain, new_validator(91, None)),
        Err(Rejection::ConsensusSeatMissing)
    );
    let lender_with_seat = GovernanceAction::AddInstitution(NewInstitution {
        name: Name::new("lender-e").unwrap(),
        roles: Roles::of(&[Role::Lender]),
        signing_key: Signer::from_seed(92).key.public_key(),
        encryption_key: Default::default(),
        consensus: Some(consensus_seat(7)),
    });
    assert_eq!(
        enact(&mut chain, lender_with_seat),
        Err(Rejection::ConsensusSeatWithoutRole)
    );
    let regulator_seat = GovernanceAction::SetConsensusSeat(SeatChange {
        institution: InstitutionId(REGULATOR as u64),
        seat: consensus_seat(8),
    });
    assert_eq!(
        enact(&mut chain, regulator_seat),
        Err(Rejection::ConsensusSeatWithoutRole)
    );
    // The registrar has no seat, so it cannot be made a validator without one.
    let promote = GovernanceAction::SetRoles(credence_types::governance::RoleChange {
        institution: InstitutionId(REGISTRAR as u64),
        roles: Roles::of(&[Role::Validator, Role::Registrar]),
    });
    assert_eq!(
        enact(&mut chain, promote),
        Err(Rejection::ConsensusSeatMissing)
    );
    // Two validators asking for one key: the second finds it taken.
    enact(&mut chain, new_validator(93, Some(consensus_seat(9)))).unwrap();
    assert_eq!(
        enact(&mut chain, new_validator(94, Some(consensus_seat(9)))),
        Err(Rejection::ConsensusKeyInUse)
    );
}

#[test]
fn a_seat_no_node_could_vote_with_is_refused() {
    // A majority seating a key that is not an Ed25519 point would stop every node at the
    // boundary that seats it: refused at the door, before anyone votes on it.
    let mut chain = Chain::new().with_epoch_length(EPOCH);
    let not_a_point = (0u8..=255)
        .map(|b| PublicKey([b; 32]))
        .find(|key| !credence_crypto::is_public_key(key))
        .unwrap();
    let reseat = GovernanceAction::SetConsensusSeat(SeatChange {
        institution: InstitutionId(BANK_B as u64),
        seat: ConsensusSeat {
            key: not_a_point,
            address: consensus_seat(1).address,
        },
    });
    assert_eq!(
        enact(&mut chain, reseat),
        Err(Rejection::ConsensusKeyInvalid)
    );
    let admit = new_validator(
        95,
        Some(ConsensusSeat {
            key: not_a_point,
            address: consensus_seat(6).address,
        }),
    );
    assert_eq!(
        enact(&mut chain, admit),
        Err(Rejection::ConsensusKeyInvalid)
    );
    run_to(&mut chain, EPOCH - 1);
    assert_eq!(keys(&record(&chain, 1).unwrap()), seat_keys(&[0, 1, 2]));
}
