//! The workload, as in Jepsen's bank test: subjects move funds among themselves and redeem
//! some; lenders offer loans against the subjects' vehicles or pledged funds, the issuer mints
//! more; subjects accept offers (two at a time, at two nodes, against the same vehicle when
//! they can) and repay. Some subjects try to spend twice: two transfers signed with one nonce,
//! sent to two nodes at once. Every request goes into the [`History`] with what the client saw
//! come of it; the checks afterwards hold the nodes to it.
//!
//! Each actor (a signer) runs one request at a time, so its nonces stay in order; after a
//! request whose outcome it did not see, it asks the nodes for its committed nonce and goes
//! on from there, as a real client must.

use super::history::{History, Seen};
use credence_client::{NodeClient, build, submission};
use credence_crypto::{EncryptionSecret, SigningKey};
use credence_ledger::testkit::{Rng, loan_terms};
use credence_types::{
    AssetClassId, AssetId, CurrencyId, Digest, EncryptionKey, Height, LoanId, Payload,
    SignedTransaction, SubjectId, TimestampMs,
    api::TransactionStatus,
    codec::Name,
    lending::{
        Asset, Collateral, DefineAssetClass, Denomination, FundsMovement, FundsPledge,
        IssueCurrency, Loan, LoanPayment, LoanStatus, Owner, Redemption, RegisterAsset,
    },
    money::Amount,
    receipt::{Event, EventSource},
    time::MS_PER_DAY,
    transaction::Transaction,
};
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

/// Longest the client waits for a node to answer one request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest the client follows a transaction before calling its outcome unknown.
const FINALISE_TIMEOUT: Duration = Duration::from_secs(20);
/// What the issuer mints to each bank at the start.
const BANK_FUNDS: u64 = 1_000_000_000;
/// What the issuer mints to each subject at the start.
const SUBJECT_FUNDS: u64 = 5_000_000;
/// Every vehicle's value.
const VEHICLE_VALUE: u64 = 2_000_000;

/// A subject of the workload.
#[derive(Clone, Copy, Debug)]
pub struct Party {
    /// Its pseudonym.
    pub id: SubjectId,
    /// Its vehicle.
    pub asset: AssetId,
}

/// What every actor shares: the nodes, the history, the market.
pub struct World {
    /// The chain id.
    pub chain: credence_types::genesis::ChainId,
    /// A client of each node, for submissions.
    pub nodes: Vec<NodeClient>,
    /// A client of each node, for reads (the regulator's, where reads are signed).
    pub readers: Vec<NodeClient>,
    /// Every request and its outcome.
    pub history: History,
    /// Set when the actors are to stop.
    pub stop: AtomicBool,
    /// The currency all of it is in.
    pub currency: CurrencyId,
    /// The subjects, by index (set up before the actors start).
    pub parties: Mutex<Vec<Party>>,
    /// Offers not yet tried, as (loan, subject index).
    pub offers: Mutex<Vec<(LoanId, usize)>>,
}

impl World {
    /// Submits `transaction` to node `node` and follows it until a node says it is
    /// finalised, the node refuses it, or the client gives up; records all of it.
    pub async fn run(
        &self,
        actor: &str,
        node: usize,
        what: String,
        transaction: SignedTransaction,
    ) -> Seen {
        let place = self.history.begin(actor, node, what, &transaction);
        let seen = self.follow(node, &transaction).await;
        self.history.end(place, seen.clone());
        seen
    }

    async fn follow(&self, node: usize, transaction: &SignedTransaction) -> Seen {
        let hash = transaction.hash();
        // As a well-made client: a busy node is waited out, and a gap behind a transaction
        // still on its way (the actors submit concurrently) is resubmitted.
        let policy = submission::RetryPolicy {
            batch: 1,
            ..Default::default()
        };
        let submitted = submission::submit_all(
            &self.nodes[node],
            std::slice::from_ref(transaction),
            &policy,
        );
        let mut note = match tokio::time::timeout(REQUEST_TIMEOUT, submitted).await {
            Ok(Ok(submitted)) => match submitted.answers.into_iter().next() {
                Some(submission::Answer::Refused { code, .. }) => return Seen::Refused(code),
                _ => "not seen finalised in time".to_string(),
            },
            Ok(Err(error)) => format!("submission failed: {error}"),
            Err(_) => "submission timed out".to_string(),
        };
        // Even a submission that failed in transit may have been admitted: follow it anyway,
        // asking each node in turn (a paused one costs one timeout per turn).
        let deadline = Instant::now() + FINALISE_TIMEOUT;
        let mut turn = node;
        loop {
            match self.status(turn, &hash).await {
                Some(TransactionStatus::Finalized {
                    height,
                    index,
                    outcome,
                }) => {
                    return Seen::Finalized {
                        node: turn,
                        height: height.0,
                        index,
                        outcome,
                    };
                }
                Some(TransactionStatus::Pending) | None => {}
            }
            if Instant::now() >= deadline {
                if self.stop.load(Ordering::Relaxed) {
                    note.push_str(" (workload stopping)");
                }
                return Seen::Unknown(note);
            }
            turn = (turn + 1) % self.nodes.len();
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// A transaction's status at node `node`; `None` if unknown there or no answer.
    pub async fn status(&self, node: usize, hash: &Digest) -> Option<TransactionStatus> {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.readers[node].transaction(hash)).await {
            Ok(Ok(status)) => Some(status),
            _ => None,
        }
    }

    /// The highest committed nonce any node reports for `key`; `None` if none answered.
    async fn committed_nonce(&self, key: &credence_types::PublicKey) -> Option<u64> {
        let mut best = None;
        for reader in &self.readers {
            if let Ok(Ok(account)) =
                tokio::time::timeout(Duration::from_secs(2), reader.account(key)).await
            {
                let nonce = account.map_or(0, |a| a.nonce);
                best = Some(best.map_or(nonce, |b: u64| b.max(nonce)));
            }
        }
        best
    }

    /// Loan `id` as the first node to answer has it.
    async fn loan(&self, first: usize, id: LoanId) -> Option<Loan> {
        for step in 0..self.readers.len() {
            let reader = &self.readers[(first + step) % self.readers.len()];
            if let Ok(Ok(entry)) = tokio::time::timeout(
                Duration::from_secs(2),
                reader.entry::<Loan>(&format!("loans/{}", id.0)),
            )
            .await
                && let Some(loan) = entry.value
            {
                return Some(loan);
            }
        }
        None
    }

    /// The loan that the transaction at `height`#`index` offered, read from the block's
    /// events at the first node that answers.
    async fn offered_loan(&self, first: usize, height: u64, index: u32) -> Option<LoanId> {
        for step in 0..self.readers.len() {
            let reader = &self.readers[(first + step) % self.readers.len()];
            let Ok(Ok(events)) =
                tokio::time::timeout(Duration::from_secs(2), reader.block_events(Height(height)))
                    .await
            else {
                continue;
            };
            return events.into_iter().find_map(|e| match (e.source, e.event) {
                (EventSource::Transaction(i), Event::LoanOffered { loan, .. }) if i == index => {
                    Some(loan)
                }
                _ => None,
            });
        }
        None
    }

    /// The subjects.
    pub fn parties(&self) -> Vec<Party> {
        self.parties.lock().unwrap().clone()
    }
}

/// A signer of the workload, with its nonce and its own random choices.
pub struct Actor {
    /// Its name in the history.
    pub name: String,
    key: SigningKey,
    nonce: u64,
    rng: Rng,
}

impl Actor {
    /// A new actor signing with `key`, nothing signed yet.
    pub fn new(name: String, key: SigningKey, seed: u64) -> Self {
        Self {
            name,
            key,
            nonce: 0,
            rng: Rng::new(seed),
        }
    }

    fn sign_at(&self, world: &World, nonce: u64, payload: Payload) -> SignedTransaction {
        self.key.sign_transaction(Transaction {
            chain_id: world.chain.clone(),
            signer: self.key.public_key(),
            nonce,
            payload,
        })
    }

    /// Signs `payload` with the next nonce.
    pub fn sign(&mut self, world: &World, payload: Payload) -> SignedTransaction {
        self.nonce += 1;
        self.sign_at(world, self.nonce, payload)
    }

    /// Goes on from the nonce the nodes have committed (after an outcome it did not see).
    async fn resync(&mut self, world: &World) {
        if let Some(nonce) = world.committed_nonce(&self.key.public_key()).await {
            self.nonce = nonce;
        }
    }

    /// Signs and runs one request at a random node; resyncs its nonce unless it saw the
    /// request use it up.
    async fn act(&mut self, world: &World, what: String, payload: Payload) -> Seen {
        let node = self.rng.below(world.nodes.len());
        let transaction = self.sign(world, payload);
        let seen = world.run(&self.name, node, what, transaction).await;
        if !used_nonce(&seen) {
            self.resync(world).await;
        }
        seen
    }

    async fn breathe(&mut self) {
        let ms = 200 + self.rng.below(500);
        tokio::time::sleep(Duration::from_millis(u64::try_from(ms).unwrap())).await;
    }
}

/// Whether the client saw the request use up its nonce.
fn used_nonce(seen: &Seen) -> bool {
    matches!(seen, Seen::Finalized { outcome, .. } if outcome.consumes_nonce())
}

/// Runs `requests` at once, each at its node; returns what came of each, in order.
async fn all(
    world: &Arc<World>,
    requests: Vec<(String, usize, String, SignedTransaction)>,
) -> Vec<Seen> {
    let handles: Vec<_> = requests
        .into_iter()
        .map(|(actor, node, what, transaction)| {
            let world = world.clone();
            tokio::spawn(async move { world.run(&actor, node, what, transaction).await })
        })
        .collect();
    let mut seen = Vec::new();
    for handle in handles {
        seen.push(handle.await.unwrap());
    }
    seen
}

fn expect_applied(what: &str, seen: &[Seen]) {
    for (i, s) in seen.iter().enumerate() {
        assert!(s.applied(), "setup: {what} #{i} did not apply: {s}");
    }
}

/// The actors the workload runs, once set up.
pub struct Cast {
    /// The banks (lenders), in validator order; bank 0 issues the currency.
    pub banks: Vec<Actor>,
    /// The subjects.
    pub subjects: Vec<Actor>,
}

/// Sets the market up on a healthy network: the registrar's vehicle class, the issuer's
/// currency, `subjects` registered subjects each with a vehicle, and funds for everyone.
/// Everything here must apply.
pub async fn setup(
    world: &Arc<World>,
    banks: Vec<Actor>,
    mut registry: Actor,
    audit: &EncryptionKey,
    subjects: usize,
    seed: u64,
) -> Cast {
    let mut banks = banks;
    let class = registry.sign(
        world,
        Payload::DefineAssetClass(DefineAssetClass {
            name: Name::new("vehicle").unwrap(),
            schema: Digest::of("schema", &[b"vin, make, model, year"]),
        }),
    );
    let currency = banks[0].sign(
        world,
        Payload::IssueCurrency(IssueCurrency {
            symbol: Name::new("usd").unwrap(),
        }),
    );
    let seen = all(
        world,
        vec![
            (
                registry.name.clone(),
                0,
                "define class vehicle".into(),
                class,
            ),
            (banks[0].name.clone(), 1, "issue usd".into(), currency),
        ],
    )
    .await;
    expect_applied("the class and the currency", &seen);

    // Subjects register, each signing its own registration.
    let mut cast = Vec::new();
    let mut requests = Vec::new();
    for i in 0..subjects {
        let key = SigningKey::generate();
        let id = SubjectId::from_key(&key.public_key());
        let master = EncryptionSecret::generate();
        let mut actor = Actor::new(format!("s{i}"), key, seed ^ (1_000 + i as u64));
        let registration = actor.sign(world, build::register_subject(&id, &master, audit).unwrap());
        requests.push((
            actor.name.clone(),
            i % 4,
            format!("register {id}"),
            registration,
        ));
        cast.push((actor, id));
    }
    expect_applied("a registration", &all(world, requests).await);

    // A vehicle for each, registered in nonce order: vehicle i is subject i's.
    let mut requests = Vec::new();
    for (i, (_, id)) in cast.iter().enumerate() {
        let transaction = registry.sign(
            world,
            Payload::RegisterAsset(RegisterAsset {
                class: AssetClassId(0),
                owner: Owner::Subject(*id),
                identity: Digest::of("vin", &[&(i as u64).to_be_bytes()]),
                value: Amount(VEHICLE_VALUE),
                denomination: Denomination::OnLedger(world.currency),
            }),
        );
        // One signer's transactions to one node: a node takes a nonce only after its
        // predecessor (`nonce_gap`).
        requests.push((
            registry.name.clone(),
            0,
            format!("register vehicle of s{i}"),
            transaction,
        ));
    }
    expect_applied("a vehicle", &all(world, requests).await);

    // Funds: every bank and every subject.
    let mut requests = Vec::new();
    let accounts: Vec<(String, Owner, u64)> = world_banks(&banks)
        .into_iter()
        .map(|(name, owner)| (name, owner, BANK_FUNDS))
        .chain(
            cast.iter()
                .map(|(a, id)| (a.name.clone(), Owner::Subject(*id), SUBJECT_FUNDS)),
        )
        .collect();
    for (name, account, amount) in accounts {
        let transaction = banks[0].sign(
            world,
            Payload::MintFunds(FundsMovement {
                currency: world.currency,
                account,
                amount: Amount(amount),
            }),
        );
        requests.push((
            banks[0].name.clone(),
            0,
            format!("mint {amount} to {name}"),
            transaction,
        ));
    }
    expect_applied("a mint", &all(world, requests).await);

    // Which vehicle is whose, as the chain has it.
    let mut parties = Vec::new();
    for (i, (_, id)) in cast.iter().enumerate() {
        let asset = AssetId(i as u64);
        let entry = world.readers[0]
            .entry::<Asset>(&format!("assets/{}", asset.0))
            .await
            .unwrap();
        let owner = entry.value.map(|a| a.owner);
        assert_eq!(owner, Some(Owner::Subject(*id)), "vehicle {i} is s{i}'s");
        parties.push(Party { id: *id, asset });
    }
    *world.parties.lock().unwrap() = parties;
    for bank in &mut banks {
        bank.resync(world).await;
    }
    Cast {
        banks,
        subjects: cast.into_iter().map(|(actor, _)| actor).collect(),
    }
}

/// The banks' accounts, by their actors' names (`bank-a` is institution 0, and so on).
fn world_banks(banks: &[Actor]) -> Vec<(String, Owner)> {
    banks
        .iter()
        .enumerate()
        .map(|(i, bank)| {
            (
                bank.name.clone(),
                Owner::Institution(credence_types::InstitutionId(i as u64)),
            )
        })
        .collect()
}

/// What a subject does until told to stop.
pub async fn subject(world: Arc<World>, mut me: Actor, index: usize) -> Actor {
    let parties = world.parties();
    // Loans this subject accepted (applied) and has not repaid.
    let mut running: Vec<LoanId> = Vec::new();
    while !world.stop.load(Ordering::Relaxed) {
        let roll = me.rng.below(100);
        match roll {
            // Pay another subject; now and then more than it has.
            0..40 => {
                let to = me.rng.below(parties.len());
                let amount = if me.rng.chance(5) {
                    1_000_000_000_000
                } else {
                    1 + me.rng.next_u64() % 20_000
                };
                let payload = transfer(&world, Owner::Subject(parties[to].id), amount);
                me.act(&world, format!("transfer {amount} to s{to}"), payload)
                    .await;
            }
            // Spend twice: two transfers with one nonce, at two nodes at once.
            40..50 => double_spend(&world, &mut me, &parties).await,
            // Redeem a little with the issuer.
            50..58 => {
                let amount = 1 + me.rng.next_u64() % 1_000;
                let payload = Payload::RedeemFunds(Redemption {
                    currency: world.currency,
                    amount: Amount(amount),
                });
                me.act(&world, format!("redeem {amount}"), payload).await;
            }
            // Accept what was offered: two offers at once, at two nodes, when there are two.
            58..85 => accept(&world, &mut me, index, &mut running).await,
            // Repay a running loan in full.
            _ => {
                if !running.is_empty() {
                    let at = me.rng.below(running.len());
                    let loan = running[at];
                    let node = me.rng.below(world.nodes.len());
                    match world.loan(node, loan).await {
                        Some(state)
                            if matches!(
                                state.status,
                                LoanStatus::Active | LoanStatus::Delinquent
                            ) =>
                        {
                            let debt = state.debt().unwrap();
                            let payload = Payload::RepayLoan(LoanPayment { loan, amount: debt });
                            let seen = me
                                .act(
                                    &world,
                                    format!("repay {loan} in full ({})", debt.0),
                                    payload,
                                )
                                .await;
                            if seen.applied() {
                                running.swap_remove(at);
                            }
                        }
                        Some(_) => {
                            running.swap_remove(at);
                        }
                        None => {}
                    }
                }
            }
        }
        me.breathe().await;
    }
    me
}

fn transfer(world: &World, to: Owner, amount: u64) -> Payload {
    Payload::TransferFunds(FundsMovement {
        currency: world.currency,
        account: to,
        amount: Amount(amount),
    })
}

async fn double_spend(world: &Arc<World>, me: &mut Actor, parties: &[Party]) {
    let nonce = me.nonce + 1;
    let amount = 3_000_000;
    // Two payees, so the two transfers differ.
    let x = me.rng.below(parties.len());
    let y = (x + 1 + me.rng.below(parties.len() - 1)) % parties.len();
    let first = me.sign_at(
        world,
        nonce,
        transfer(world, Owner::Subject(parties[x].id), amount),
    );
    let second = me.sign_at(
        world,
        nonce,
        transfer(world, Owner::Subject(parties[y].id), amount),
    );
    let node = me.rng.below(world.nodes.len());
    let other = (node + 1 + me.rng.below(world.nodes.len() - 1)) % world.nodes.len();
    all(
        world,
        vec![
            (
                me.name.clone(),
                node,
                format!("transfer {amount} to s{x} (double spend, 1 of 2)"),
                first,
            ),
            (
                me.name.clone(),
                other,
                format!("transfer {amount} to s{y} (double spend, 2 of 2)"),
                second,
            ),
        ],
    )
    .await;
    me.resync(world).await;
}

async fn accept(world: &Arc<World>, me: &mut Actor, index: usize, running: &mut Vec<LoanId>) {
    let offers: Vec<LoanId> = {
        let mut offers = world.offers.lock().unwrap();
        let mine: Vec<usize> = (0..offers.len())
            .filter(|&i| offers[i].1 == index)
            .take(2)
            .collect();
        mine.into_iter()
            .rev()
            .map(|i| offers.swap_remove(i).0)
            .collect()
    };
    if offers.is_empty() {
        return;
    }
    let node = me.rng.below(world.nodes.len());
    let requests = offers
        .iter()
        .enumerate()
        .map(|(k, loan)| {
            let transaction = me.sign(world, Payload::AcceptLoan(*loan));
            (
                me.name.clone(),
                (node + k * 2) % world.nodes.len(),
                format!("accept {loan} ({} of {})", k + 1, offers.len()),
                transaction,
            )
        })
        .collect();
    let seen = all(world, requests).await;
    for (loan, seen) in offers.iter().zip(&seen) {
        if seen.applied() {
            running.push(*loan);
        }
    }
    if !seen.iter().all(used_nonce) {
        me.resync(world).await;
    }
}

/// What a bank does until told to stop: offer loans, and (the issuer) mint.
pub async fn bank(world: Arc<World>, mut me: Actor, index: usize) -> Actor {
    let parties = world.parties();
    while !world.stop.load(Ordering::Relaxed) {
        let roll = me.rng.below(100);
        if index == 0 && roll < 25 {
            let to = me.rng.below(parties.len());
            let amount = 1 + me.rng.next_u64() % 100_000;
            let payload = Payload::MintFunds(FundsMovement {
                currency: world.currency,
                account: Owner::Subject(parties[to].id),
                amount: Amount(amount),
            });
            me.act(&world, format!("mint {amount} to s{to}"), payload)
                .await;
        } else if roll < 70 {
            let to = me.rng.below(parties.len());
            let now = credence_devnet::layout::now().unwrap();
            let (principal, collateral, what) = if me.rng.chance(70) {
                (
                    1_000_000,
                    Collateral::Asset(parties[to].asset),
                    format!("{}", parties[to].asset),
                )
            } else {
                (
                    300_000,
                    Collateral::Funds(FundsPledge {
                        currency: world.currency,
                        amount: Amount(400_000),
                    }),
                    "400000 pledged".to_string(),
                )
            };
            let terms = loan_terms(
                Owner::Subject(parties[to].id),
                principal,
                Denomination::OnLedger(world.currency),
                vec![collateral],
                now.date(),
                TimestampMs(now.0 + MS_PER_DAY),
            );
            let seen = me
                .act(
                    &world,
                    format!("offer {principal} to s{to} against {what}"),
                    Payload::OfferLoan(terms),
                )
                .await;
            if let Seen::Finalized {
                node,
                height,
                index,
                outcome: credence_types::receipt::Outcome::Applied,
            } = seen
                && let Some(loan) = world.offered_loan(node, height, index).await
            {
                world.offers.lock().unwrap().push((loan, to));
            }
        } else {
            let to = me.rng.below(parties.len());
            let amount = 1 + me.rng.next_u64() % 50_000;
            let payload = transfer(&world, Owner::Subject(parties[to].id), amount);
            me.act(&world, format!("transfer {amount} to s{to}"), payload)
                .await;
        }
        me.breathe().await;
    }
    me
}

/// Starts every actor; they run until `world.stop` is set.
pub fn start(world: &Arc<World>, cast: Cast) -> Vec<tokio::task::JoinHandle<Actor>> {
    let mut handles = Vec::new();
    for (i, actor) in cast.banks.into_iter().enumerate() {
        handles.push(tokio::spawn(bank(world.clone(), actor, i)));
    }
    for (i, actor) in cast.subjects.into_iter().enumerate() {
        handles.push(tokio::spawn(subject(world.clone(), actor, i)));
    }
    handles
}
