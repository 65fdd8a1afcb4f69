//! The chain driver: an in-memory state applied block by block with [`crate::apply_block`],
//! its clock moved explicitly (never read from the system), and helpers that compare two
//! states.

use super::{Borrower, GENESIS_TIME, Member, Signer};
use crate::{BlockOutcome, apply_block, apply_changes, genesis::genesis_state};
use credence_crypto::{EncryptionSecret, SigningKey, VerifiedTransaction};
use credence_types::{
    BlockContext, Digest, Height, InstitutionId, Payload, Role, Roles, TimestampMs,
    codec::{BoundedVec, Name, encode},
    genesis::{ChainId, Genesis},
    governance::{NewInstitution, Parameters},
    receipt::Outcome,
    state::StateKey,
    time::MS_PER_DAY,
};
use std::collections::BTreeMap;

/// A chain in memory: state, height, clock, and the consortium's keys.
pub struct Chain {
    pub genesis: Genesis,
    pub state: BTreeMap<StateKey, Vec<u8>>,
    pub height: Height,
    pub time: TimestampMs,
    pub members: Vec<Member>,
    pub audit: EncryptionSecret,
    pub proposer: SigningKey,
}

impl Chain {
    /// Five members: two banks that furnish and lend, a lender, a regulator and a
    /// registrar; the two banks and the lender validate.
    pub fn new() -> Self {
        Self::with_members(&[
            ("bank-a", &[Role::Validator, Role::Furnisher, Role::Lender]),
            ("bank-b", &[Role::Validator, Role::Furnisher, Role::Lender]),
            ("lender-c", &[Role::Validator, Role::Lender]),
            ("regulator", &[Role::Regulator]),
            ("registry", &[Role::Registrar]),
        ])
    }

    /// A consortium of the given members (name, roles), ids in order.
    pub fn with_members(roles: &[(&str, &[Role])]) -> Self {
        let members: Vec<Member> = roles
            .iter()
            .enumerate()
            .map(|(i, (name, roles))| Member {
                id: InstitutionId(i as u64),
                name: (*name).to_string(),
                roles: Roles::of(roles),
                signer: Signer::from_seed(i as u64 + 1),
                encryption: EncryptionSecret::derive(format!("member-{i}-encryption").as_bytes()),
            })
            .collect();
        let audit = EncryptionSecret::derive(b"the network's audit key, held in escrow");
        let genesis = Genesis {
            chain_id: ChainId::new("credence-test").unwrap(),
            genesis_time: GENESIS_TIME,
            institutions: BoundedVec::new(
                members
                    .iter()
                    .map(|m| NewInstitution {
                        name: Name::new(&m.name).unwrap(),
                        roles: m.roles,
                        signing_key: m.signer.key.public_key(),
                        encryption_key: m.encryption.public_key(),
                        consensus: m
                            .roles
                            .has(Role::Validator)
                            .then(|| super::consensus_seat(m.id.0)),
                    })
                    .collect(),
            )
            .unwrap(),
            audit_key: audit.public_key(),
            parameters: Parameters::default(),
        };
        let mut state = BTreeMap::new();
        apply_changes(&mut state, &genesis_state(&genesis).unwrap());
        Self {
            genesis,
            state,
            height: Height(0),
            time: GENESIS_TIME,
            proposer: members[0].signer.key.clone(),
            members,
            audit,
        }
    }

    /// The same consortium with epochs of `blocks` blocks from genesis. Call right after
    /// construction: it rewrites the genesis state.
    pub fn with_epoch_length(mut self, blocks: u64) -> Self {
        assert_eq!(
            self.height,
            Height(0),
            "only a fresh chain's genesis can change"
        );
        self.genesis.parameters.epoch_length_blocks = blocks;
        self.state = BTreeMap::new();
        apply_changes(&mut self.state, &genesis_state(&self.genesis).unwrap());
        self
    }

    /// The first member holding `role`.
    pub fn member_with(&self, role: Role) -> usize {
        self.members
            .iter()
            .position(|m| m.roles.has(role))
            .expect("the consortium has a member with the role")
    }

    pub fn chain_id(&self) -> ChainId {
        self.genesis.chain_id.clone()
    }

    /// Signs `payload` as member `index`.
    pub fn member_tx(&mut self, index: usize, payload: Payload) -> VerifiedTransaction {
        let chain = self.chain_id();
        self.members[index].signer.sign(&chain, payload)
    }

    /// Signs `payload` as `borrower`.
    pub fn borrower_tx(&self, borrower: &mut Borrower, payload: Payload) -> VerifiedTransaction {
        borrower.signer.sign(&self.genesis.chain_id, payload)
    }

    /// Applies a block `advance_ms` after the previous one, returning what it produced.
    pub fn block(&mut self, advance_ms: u64, txs: &[VerifiedTransaction]) -> BlockOutcome {
        self.height = self.height.next().unwrap();
        self.time = TimestampMs(self.time.0 + advance_ms.max(1));
        let context = BlockContext {
            height: self.height,
            time: self.time,
            proposer: self.proposer.public_key(),
        };
        let outcome = apply_block(&self.state, &context, txs).unwrap();
        apply_changes(&mut self.state, &outcome.changes);
        outcome
    }

    /// Applies one transaction in its own block and returns its outcome.
    pub fn apply(&mut self, tx: VerifiedTransaction) -> Outcome {
        self.block(1_000, &[tx]).receipts[0].outcome
    }

    /// Applies one transaction and asserts it applied.
    pub fn ok(&mut self, tx: VerifiedTransaction) -> BlockOutcome {
        let outcome = self.block(1_000, &[tx]);
        assert_eq!(
            outcome.receipts[0].outcome,
            Outcome::Applied,
            "{outcome:#?}"
        );
        outcome
    }

    /// Moves the clock forward by whole days with an empty block.
    pub fn advance_days(&mut self, days: u64) -> BlockOutcome {
        self.block(days * MS_PER_DAY, &[])
    }

    /// Reads an object from state.
    pub fn get<T: commonware_codec::Read<Cfg = ()>>(&self, key: &StateKey) -> Option<T> {
        self.state
            .get(key)
            .map(|bytes| credence_types::codec::decode(bytes).unwrap())
    }

    /// The state root of a plain sorted map: a stand-in digest for determinism checks.
    pub fn digest(&self) -> Digest {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        for (key, value) in &self.state {
            parts.push(key.0.to_vec());
            parts.push(encode(&u32::try_from(value.len()).unwrap()));
            parts.push(value.clone());
        }
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        Digest::of("credence/test-state", &refs)
    }
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

/// The tables whose entries differ between two states (added, changed or removed keys).
pub fn changed_tables(
    before: &BTreeMap<StateKey, Vec<u8>>,
    after: &BTreeMap<StateKey, Vec<u8>>,
) -> std::collections::BTreeSet<u8> {
    let changed = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.tag());
    let removed = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .map(StateKey::tag);
    changed.chain(removed).collect()
}

/// What a rejected transaction may write: its signer's nonce and its own receipt.
pub fn rejection_footprint() -> std::collections::BTreeSet<u8> {
    use credence_types::state::Table;
    [Table::Signer as u8, Table::Transaction as u8].into()
}
