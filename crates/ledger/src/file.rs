//! A subject's credit file: what a consenting lender's report reads.
//!
//! The walk is one function over [`StateRead`], run twice: by the node that serves the file,
//! which records every key it read and proves each against one state root; and by the
//! lender's client, over nothing but those proven values. A key the client's walk needs and
//! the node did not prove is an omission, caught as [`StateError::NotLoaded`]; a listing
//! entry the subject's counters promise and state does not hold is corruption. So the
//! completeness of every listing rests on the subject's proven counters, not on the node's
//! word.
//!
//! The file holds the subject, the reading lender's consent, every record furnished about
//! the subject, its hard inquiries (soft and supervisory ones are on a private listing no
//! lender reads), its disputes, the loans it borrowed with the assets they hold as
//! collateral, and the institutions that furnished its records.

use crate::state::{StateError, StateRead, load};
use credence_types::{
    ConsentId, Digest, InstitutionId, LoanId, SubjectId,
    lending::{Asset, Collateral, Loan},
    state::{
        Consent, Dispute, FurnishedAccount, Inquiry, Institution, OwnerCode, Record, StateKey,
        Subject,
    },
};
use std::collections::BTreeMap;

/// A subject's credit file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditFile {
    /// The subject.
    pub subject: Subject,
    /// The consent asked for, if one was and it exists.
    pub consent: Option<Consent>,
    /// Every record furnished about the subject, in listing order.
    pub records: Vec<Record>,
    /// Its hard inquiries, in listing order.
    pub inquiries: Vec<Inquiry>,
    /// Its disputes, in listing order.
    pub disputes: Vec<Dispute>,
    /// The loans it borrowed (offered, running or closed), in listing order.
    pub loans: Vec<Loan>,
    /// The assets its loans name as collateral.
    pub collateral: Vec<Asset>,
    /// The institutions that furnished its records.
    pub furnishers: BTreeMap<InstitutionId, Institution>,
    /// The accounts its records belong to, by furnisher and account reference: which are
    /// deleted (none of their records is reported) and which are under dispute.
    pub accounts: BTreeMap<(InstitutionId, Digest), FurnishedAccount>,
}

impl CreditFile {
    /// Whether `record`'s account was deleted, so the record is not reported.
    pub fn account_deleted(&self, record: &Record) -> bool {
        self.accounts
            .get(&(record.furnisher, record.account))
            .is_some_and(|account| account.deleted.is_some())
    }
}

/// State known for some keys only: the keys a node read while walking a file, or the values
/// a client was given proofs of. Reading any other key fails with
/// [`StateError::NotLoaded`]; a key known to hold nothing reads as `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownState {
    values: BTreeMap<StateKey, Option<Vec<u8>>>,
}

impl KnownState {
    /// Knows `key` to hold `value` (`None`: to hold nothing).
    pub fn insert(&mut self, key: StateKey, value: Option<Vec<u8>>) {
        self.values.insert(key, value);
    }

    /// Forgets `key`.
    pub fn remove(&mut self, key: &StateKey) {
        self.values.remove(key);
    }

    /// The keys known, in order.
    pub fn keys(&self) -> impl Iterator<Item = &StateKey> {
        self.values.keys()
    }

    /// How many keys are known.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no key is known.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl StateRead for KnownState {
    fn read<R>(
        &self,
        key: &StateKey,
        read: impl FnOnce(Option<&[u8]>) -> R,
    ) -> Result<R, StateError> {
        self.values
            .get(key)
            .map(|value| read(value.as_deref()))
            .ok_or(StateError::NotLoaded(*key))
    }

    fn range(
        &self,
        start: &StateKey,
        end: &StateKey,
        limit: usize,
    ) -> Result<Vec<(StateKey, Vec<u8>)>, StateError> {
        Err(StateError::RangeNotLoaded {
            start: *start,
            end: *end,
            limit,
        })
    }
}

/// A value another value says exists; its absence is corruption.
fn require<T: commonware_codec::Read<Cfg = ()>, S: StateRead + ?Sized>(
    state: &S,
    key: StateKey,
) -> Result<T, StateError> {
    load(state, &key)?.ok_or(StateError::Corrupt { key })
}

/// The `count` entries of a listing, each an id under `index(sequence)` whose object is
/// under `object(id)`.
fn listing<Id, T, S>(
    state: &S,
    count: u32,
    index: impl Fn(u32) -> StateKey,
    object: impl Fn(Id) -> StateKey,
) -> Result<Vec<T>, StateError>
where
    Id: commonware_codec::Read<Cfg = ()>,
    T: commonware_codec::Read<Cfg = ()>,
    S: StateRead + ?Sized,
{
    (0..count)
        .map(|sequence| {
            let id: Id = require(state, index(sequence))?;
            require(state, object(id))
        })
        .collect()
}

/// The credit file of `subject`, with `consent` if asked for; `None` if no subject has this
/// pseudonym.
pub fn credit_file<S: StateRead + ?Sized>(
    state: &S,
    subject: &SubjectId,
    consent: Option<ConsentId>,
) -> Result<Option<CreditFile>, StateError> {
    let Some(subject) = load::<Subject, _>(state, &StateKey::subject(subject))? else {
        return Ok(None);
    };
    let consent = match consent {
        Some(id) => load::<Consent, _>(state, &StateKey::consent(id))?,
        None => None,
    };
    let number = subject.number;
    let listings = &subject.listings;
    let records: Vec<Record> = listing(
        state,
        listings.records,
        |sequence| StateKey::subject_record(number, sequence),
        StateKey::record,
    )?;
    let inquiries = listing(
        state,
        listings.inquiries,
        |sequence| StateKey::subject_inquiry(number, sequence),
        StateKey::inquiry,
    )?;
    let disputes = listing(
        state,
        listings.disputes,
        |sequence| StateKey::subject_dispute(number, sequence),
        StateKey::dispute,
    )?;
    let loans: Vec<Loan> = listing(
        state,
        listings.loans,
        |sequence| StateKey::borrower_loan(OwnerCode::subject(number), sequence),
        |id: LoanId| StateKey::loan(id),
    )?;
    let mut collateral = Vec::new();
    for loan in &loans {
        for item in loan.terms.collateral.iter() {
            if let Collateral::Asset(id) = item {
                // The terms named it, but the offer may have been refused at acceptance:
                // an asset that never existed is simply not collateral.
                if let Some(asset) = load::<Asset, _>(state, &StateKey::asset(*id))? {
                    collateral.push(asset);
                }
            }
        }
    }
    let mut furnishers = BTreeMap::new();
    let mut accounts = BTreeMap::new();
    for record in &records {
        if let std::collections::btree_map::Entry::Vacant(slot) =
            accounts.entry((record.furnisher, record.account))
        {
            slot.insert(require::<FurnishedAccount, _>(
                state,
                StateKey::furnished_account(record.furnisher, number, &record.account),
            )?);
        }
        if let std::collections::btree_map::Entry::Vacant(slot) = furnishers.entry(record.furnisher)
        {
            slot.insert(require::<Institution, _>(
                state,
                StateKey::institution(record.furnisher),
            )?);
        }
    }
    Ok(Some(CreditFile {
        subject,
        consent,
        records,
        inquiries,
        disputes,
        loans,
        collateral,
        furnishers,
        accounts,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{BANK_A, Chain};
    use credence_types::metro2::AccountStatus;

    #[test]
    fn a_walk_over_only_the_keys_another_walk_read_finds_the_same_file() {
        let mut chain = Chain::new();
        let mut borrower = crate::testkit::Borrower::new(3);
        let register = chain.register(&borrower);
        let tx = chain.borrower_tx(&mut borrower, register);
        chain.ok(tx);
        for account in ["a", "b"] {
            let furnishing = chain.furnishing(&borrower, account, AccountStatus::Current, None);
            let tx = chain.member_tx(BANK_A, credence_types::Payload::FurnishRecord(furnishing));
            chain.ok(tx);
        }
        let id = borrower.id();
        let full = credit_file(&chain.state, &id, None).unwrap().unwrap();
        assert_eq!(full.records.len(), 2);

        // The keys the walk reads, recorded the way a node records them.
        let mut read = KnownState::default();
        let file = loop {
            match credit_file(&read, &id, None) {
                Ok(file) => break file,
                Err(StateError::NotLoaded(key)) => {
                    read.insert(key, chain.state.get(&key).cloned());
                }
                Err(other) => panic!("{other}"),
            }
        };
        assert_eq!(file.unwrap(), full);
        // Drop any one key: the walk notices.
        for key in read.keys() {
            let mut omitted = read.clone();
            omitted.remove(key);
            assert_eq!(
                credit_file(&omitted, &id, None),
                Err(StateError::NotLoaded(*key))
            );
        }
    }
}
