//! What must hold once every fault is healed, checked against every node and against the
//! client's history: one finalised history and one state root; every transaction the client
//! saw finalised on every node, as it saw it; no transaction the client never sent, and no
//! nonce used twice; funds conserved; no asset pledged twice.

use super::{
    history::{Op, Seen},
    workload::{Party, REQUEST_TIMEOUT, World},
};
use credence_client::NodeClient;
use credence_types::{
    AssetId, CurrencyId, Digest, Height, InstitutionId, LoanId, Payload,
    api::{Entry, TransactionStatus},
    codec::{Read, decode},
    lending::{Asset, Balance, Collateral, Currency, Loan, LoanStatus},
    receipt::Outcome,
    state::{Meta, OwnerCode, StateKey, Subject},
};
use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, Instant},
};

/// What the checks found wrong, each a sentence.
pub type Violations = Vec<String>;

async fn answer<T>(
    future: impl Future<Output = Result<T, credence_client::ClientError>>,
) -> Result<T, String> {
    match tokio::time::timeout(REQUEST_TIMEOUT, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("no answer in time".into()),
    }
}

async fn height(node: &NodeClient) -> Option<u64> {
    answer(node.status()).await.ok().map(|s| s.height.0)
}

/// Waits until every node has committed past the highest height any of them had when asked:
/// each caught up, and the chain goes on. Returns the height all reached, or says which node
/// did not and where it stopped.
pub async fn catch_up(world: &World, timeout: Duration) -> Result<u64, String> {
    let started = Instant::now();
    let mut highest = 0;
    for node in &world.readers {
        highest = highest.max(height(node).await.unwrap_or(0));
    }
    // Two rotations of the four leaders: whatever a node still holds in its mempool, and
    // may propose, has had its turn.
    let target = highest + 8;
    loop {
        let mut heights = Vec::new();
        for node in &world.readers {
            heights.push(height(node).await);
        }
        if heights.iter().all(|h| h.is_some_and(|h| h >= target)) {
            return Ok(target);
        }
        if started.elapsed() > timeout {
            return Err(format!(
                "not every node reached height {target} within {timeout:?} of healing: heights {heights:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Checks blocks 1..=`top` on every node: one digest per height. Returns the place of every
/// transaction in them, by hash.
async fn blocks(
    world: &World,
    top: u64,
    violations: &mut Violations,
) -> BTreeMap<Digest, (u64, u32)> {
    let mut places = BTreeMap::new();
    for h in 1..=top {
        let mut digests = Vec::new();
        let mut first = None;
        for (i, node) in world.readers.iter().enumerate() {
            match answer(node.block(Height(h))).await {
                Ok(block) => {
                    digests.push((i, block.digest));
                    first.get_or_insert(block);
                }
                Err(error) => violations.push(format!("n{i} does not serve block {h}: {error}")),
            }
        }
        if digests.iter().any(|(_, d)| *d != digests[0].1) {
            violations.push(format!(
                "nodes finalised different blocks at height {h}: {digests:?}"
            ));
        }
        if let Some(block) = first {
            for (index, hash) in block.transactions.iter().enumerate() {
                places.insert(*hash, (h, u32::try_from(index).unwrap()));
            }
        }
    }
    places
}

/// How the chain resolved a request.
pub struct Resolution {
    /// The request.
    pub op: Op,
    /// Where the blocks hold it, if they do.
    pub place: Option<(u64, u32)>,
    /// Its outcome there.
    pub outcome: Option<Outcome>,
}

/// Checks every request against every node and against the blocks up to `top`.
async fn transactions(
    world: &World,
    ops: Vec<Op>,
    places: &BTreeMap<Digest, (u64, u32)>,
    top: u64,
    violations: &mut Violations,
) -> Vec<Resolution> {
    let sent: BTreeSet<Digest> = ops.iter().map(|op| op.hash).collect();
    for (hash, (h, i)) in places {
        if !sent.contains(hash) {
            violations.push(format!(
                "block {h} holds a transaction the client never sent, at {i}: {hash}"
            ));
        }
    }
    let mut resolved = Vec::new();
    for op in ops {
        let place = places.get(&op.hash).copied();
        let mut outcome = None;
        for node in 0..world.readers.len() {
            let status = answer(world.readers[node].transaction(&op.hash)).await;
            match (place, status) {
                (
                    Some((h, i)),
                    Ok(TransactionStatus::Finalized {
                        height,
                        index,
                        outcome: o,
                    }),
                ) if height.0 == h && index == i => {
                    if outcome.is_some_and(|first| first != o) {
                        violations.push(format!(
                            "nodes disagree on the outcome of {}: {outcome:?} and {o:?} (n{node})",
                            op.hash
                        ));
                    }
                    outcome = Some(o);
                }
                (Some((h, i)), status) => violations.push(format!(
                    "{} is at {h}#{i} in the blocks, but n{node} says {status:?}",
                    op.hash
                )),
                // Finalised after the blocks checked: not part of this history.
                (None, Ok(TransactionStatus::Finalized { height, .. })) if height.0 > top => {}
                (None, Ok(TransactionStatus::Finalized { height, index, .. })) => {
                    violations.push(format!(
                        "n{node} says {} is finalised at {}#{index}, which the blocks do not hold",
                        op.hash, height.0
                    ));
                }
                (None, Ok(TransactionStatus::Pending) | Err(_)) => {}
            }
        }
        if let Seen::Finalized {
            node,
            height,
            index,
            outcome: seen,
        } = &op.seen
            && (place != Some((*height, *index)) || outcome != Some(*seen))
        {
            violations.push(format!(
                "n{node} told the client {} ({}) was finalised at {height}#{index} as {seen:?}; \
                 after healing it is at {place:?} as {outcome:?}",
                op.hash, op.what
            ));
        }
        resolved.push(Resolution { op, place, outcome });
    }
    // A nonce is used once: no two finalised transactions of one signer share one.
    let mut used = BTreeMap::new();
    for Resolution { op, outcome, .. } in &resolved {
        if let Some(outcome) = outcome
            && outcome.consumes_nonce()
            && let Some(other) = used.insert((op.signer(), op.nonce()), op.hash)
            && other != op.hash
        {
            violations.push(format!(
                "{} and {other} both used nonce {} of {}",
                op.hash,
                op.nonce(),
                op.actor
            ));
        }
    }
    resolved
}

/// A state entry's value, read raw.
async fn raw<T: Read<Cfg = ()>>(
    node: &NodeClient,
    key: &StateKey,
) -> Result<(u64, Option<T>), String> {
    let entry: Entry<String> = answer(node.entry(&format!("state/{}", hex::encode(key.0)))).await?;
    let value = entry
        .value
        .map(|text| {
            let bytes = hex::decode(text).map_err(|e| e.to_string())?;
            decode::<T>(&bytes).map_err(|e| e.to_string())
        })
        .transpose()?;
    Ok((entry.height.0, value))
}

/// Every account's balance, the currency's supply, every asset and every loan, as one node
/// has them.
#[derive(Debug, PartialEq, Eq)]
struct Books {
    supply: u64,
    balances: Vec<(String, Balance)>,
    assets: Vec<Asset>,
    loans: Vec<Loan>,
}

async fn books(
    node: &NodeClient,
    currency: CurrencyId,
    institutions: u64,
    parties: &[Party],
) -> Result<Books, String> {
    let meta: Entry<Meta> = answer(node.entry("meta")).await?;
    let counters = meta.value.ok_or("no meta")?.counters;
    let supply = raw::<Currency>(node, &StateKey::currency(currency))
        .await?
        .1
        .ok_or("no currency")?
        .supply
        .0;
    let mut owners = Vec::new();
    for id in 0..institutions {
        owners.push((
            format!("institution {id}"),
            OwnerCode::institution(InstitutionId(id)),
        ));
    }
    for (i, party) in parties.iter().enumerate() {
        let subject: Entry<Subject> = answer(node.entry(&format!("subjects/{}", party.id))).await?;
        let number = subject.value.ok_or("a subject is missing")?.number;
        owners.push((format!("s{i}"), OwnerCode::subject(number)));
    }
    let mut balances = Vec::new();
    for (name, owner) in owners {
        let balance = raw::<Balance>(node, &StateKey::balance(currency, owner))
            .await?
            .1;
        balances.push((name, balance.unwrap_or_default()));
    }
    let mut assets = Vec::new();
    for id in 0..counters.asset.0 {
        let entry: Entry<Asset> = answer(node.entry(&format!("assets/{id}"))).await?;
        assets.push(entry.value.ok_or("an asset is missing")?);
    }
    let mut loans = Vec::new();
    for id in 0..counters.loan.0 {
        let entry: Entry<Loan> = answer(node.entry(&format!("loans/{id}"))).await?;
        loans.push(entry.value.ok_or("a loan is missing")?);
    }
    Ok(Books {
        supply,
        balances,
        assets,
        loans,
    })
}

/// Every node's books, read until they agree, at most three times: a transaction some
/// mempool still held may land between two reads. Disagreement that lasts is a violation.
async fn agreed_books(
    world: &World,
    institutions: u64,
    parties: &[Party],
    violations: &mut Violations,
) -> Vec<(usize, Books)> {
    let mut problems = Vec::new();
    let mut all = Vec::new();
    for attempt in 0..3 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        problems.clear();
        all.clear();
        for (i, node) in world.readers.iter().enumerate() {
            match books(node, world.currency, institutions, parties).await {
                Ok(books) => all.push((i, books)),
                Err(error) => problems.push(format!("n{i}'s books could not be read: {error}")),
            }
        }
        if let Some((first_node, first)) = all.first() {
            for (i, books) in &all[1..] {
                for difference in first.differences(books) {
                    problems.push(format!(
                        "n{i}'s books differ from n{first_node}'s: {difference}"
                    ));
                }
            }
        }
        if problems.is_empty() {
            break;
        }
    }
    violations.append(&mut problems);
    all
}

impl Books {
    /// Where `other` differs from these books.
    fn differences(&self, other: &Self) -> Vec<String> {
        let mut differences = Vec::new();
        if self.supply != other.supply {
            differences.push(format!("supply {} and {}", self.supply, other.supply));
        }
        for ((name, a), (_, b)) in self.balances.iter().zip(&other.balances) {
            if a != b {
                differences.push(format!("{name}'s balance {a:?} and {b:?}"));
            }
        }
        if self.assets.len() != other.assets.len() || self.loans.len() != other.loans.len() {
            differences.push(format!(
                "{} assets and {} loans, and {} and {}",
                self.assets.len(),
                self.loans.len(),
                other.assets.len(),
                other.loans.len()
            ));
        }
        for (a, b) in self.assets.iter().zip(&other.assets) {
            if a != b {
                differences.push(format!("{}: {a:?} and {b:?}", a.id));
            }
        }
        for (a, b) in self.loans.iter().zip(&other.loans) {
            if a != b {
                differences.push(format!("{}: {:?} and {:?}", a.id, a.status, b.status));
            }
        }
        differences
    }
}

fn running(loan: &Loan) -> bool {
    matches!(loan.status, LoanStatus::Active | LoanStatus::Delinquent)
}

/// Funds conserved, and no asset pledged twice, on every node's books and in the history.
async fn ledger(
    world: &World,
    resolved: &[Resolution],
    institutions: u64,
    violations: &mut Violations,
) -> (usize, usize) {
    let parties = world.parties();
    let all = agreed_books(world, institutions, &parties, violations).await;
    let Some((_, first)) = all.first() else {
        return (0, 0);
    };

    // Funds: supply is what was minted less what was redeemed, and it is all in accounts.
    let (mut minted, mut redeemed) = (0u64, 0u64);
    for Resolution { op, outcome, .. } in resolved {
        if *outcome != Some(Outcome::Applied) {
            continue;
        }
        match op.payload() {
            Payload::MintFunds(m) => minted += m.amount.0,
            Payload::RedeemFunds(r) => redeemed += r.amount.0,
            _ => {}
        }
    }
    for (i, books) in &all {
        let held: u64 = books
            .balances
            .iter()
            .map(|(_, b)| b.available.0 + b.locked.0)
            .sum();
        if books.supply != minted - redeemed || held != books.supply {
            violations.push(format!(
                "funds not conserved on n{i}: minted {minted} less redeemed {redeemed} is {}, \
                 the supply is {}, the accounts hold {held}",
                minted - redeemed,
                books.supply
            ));
        }
    }

    // Pledges, on the books: each running loan holds its vehicles, no vehicle is held by two,
    // a held vehicle's loan runs, and each subject's locked funds are its running loans'.
    let books = first;
    let mut holder: BTreeMap<AssetId, LoanId> = BTreeMap::new();
    let mut pledged: BTreeMap<credence_types::lending::Owner, u64> = BTreeMap::new();
    for loan in books.loans.iter().filter(|l| running(l)) {
        for item in loan.terms.collateral.iter() {
            match item {
                Collateral::Asset(asset) => {
                    if let Some(other) = holder.insert(*asset, loan.id) {
                        violations.push(format!(
                            "{asset} is pledged to both {other} and {}",
                            loan.id
                        ));
                    }
                    let lock = books
                        .assets
                        .get(usize::try_from(asset.0).unwrap())
                        .and_then(|a| a.lock);
                    if lock != Some(loan.id) {
                        violations.push(format!(
                            "{} runs, but its {asset} is locked by {lock:?}",
                            loan.id
                        ));
                    }
                }
                Collateral::Funds(pledge) => {
                    *pledged.entry(loan.terms.borrower).or_default() += pledge.amount.0;
                }
            }
        }
    }
    for asset in &books.assets {
        if let Some(loan) = asset.lock
            && holder.get(&asset.id) != Some(&loan)
        {
            violations.push(format!(
                "{} is locked by {loan}, which does not run or hold it",
                asset.id
            ));
        }
    }
    for (i, party) in parties.iter().enumerate() {
        let locked = books
            .balances
            .iter()
            .find(|(name, _)| *name == format!("s{i}"))
            .map_or(0, |(_, b)| b.locked.0);
        let owed = pledged
            .get(&credence_types::lending::Owner::Subject(party.id))
            .copied()
            .unwrap_or(0);
        if locked != owed {
            violations.push(format!(
                "s{i} has {locked} locked, but its running loans pledge {owed}"
            ));
        }
    }

    // Pledges, in the history: replayed in chain order, no acceptance takes a vehicle that an
    // earlier accepted loan still holds (a full repayment, the workload's only kind, frees it).
    let loans: BTreeMap<LoanId, &Loan> = books.loans.iter().map(|l| (l.id, l)).collect();
    let mut events: Vec<((u64, u32), &Op)> = Vec::new();
    for Resolution { op, place, outcome } in resolved {
        if *outcome == Some(Outcome::Applied)
            && matches!(op.payload(), Payload::AcceptLoan(_) | Payload::RepayLoan(_))
            && let Some(place) = place
        {
            events.push((*place, op));
        }
    }
    events.sort_by_key(|(place, _)| *place);
    let mut held: BTreeMap<AssetId, LoanId> = BTreeMap::new();
    for (place, op) in events {
        match op.payload() {
            Payload::AcceptLoan(id) => {
                let Some(loan) = loans.get(id) else {
                    violations.push(format!("{id} was accepted at {place:?} but does not exist"));
                    continue;
                };
                for item in loan.terms.collateral.iter() {
                    if let Collateral::Asset(asset) = item
                        && let Some(other) = held.insert(*asset, *id)
                    {
                        violations.push(format!(
                            "{asset} pledged twice: {id} accepted at {place:?} while {other} held it"
                        ));
                    }
                }
            }
            Payload::RepayLoan(payment) => {
                if let Some(loan) = loans.get(&payment.loan)
                    && loan.status == LoanStatus::Repaid
                {
                    held.retain(|_, holder| *holder != payment.loan);
                }
            }
            _ => {}
        }
    }
    (
        books.loans.iter().filter(|l| running(l)).count(),
        books.assets.iter().filter(|a| a.lock.is_some()).count(),
    )
}

/// Every check, on a healed and settled network whose nodes have all committed `top`.
pub async fn check(world: &World, top: u64, institutions: u64) -> (Violations, String) {
    let mut violations = Vec::new();
    let places = blocks(world, top, &mut violations).await;
    // The last block every node holds: the same block, so the same state root.
    let mut roots = Vec::new();
    for node in &world.readers {
        if let Ok(block) = answer(node.block(Height(top))).await {
            roots.push(block.header.state_root);
        }
    }
    if roots.len() != world.readers.len() || roots.iter().any(|r| *r != roots[0]) {
        violations.push(format!(
            "the nodes end with different state roots at {top}: {roots:?}"
        ));
    }
    let resolved = transactions(world, world.history.ops(), &places, top, &mut violations).await;
    let (running, locked) = ledger(world, &resolved, institutions, &mut violations).await;
    (violations, summary(&resolved, top, running, locked))
}

/// What the run exercised, for a reader of its output.
fn summary(resolved: &[Resolution], top: u64, running: usize, locked: usize) -> String {
    let count = |f: &dyn Fn(&Resolution) -> bool| resolved.iter().filter(|r| f(r)).count();
    let seen = count(&|r| matches!(r.op.seen, Seen::Finalized { .. }));
    let mut codes: BTreeMap<&str, usize> = BTreeMap::new();
    for r in resolved {
        if let Seen::Refused(code) = &r.op.seen {
            *codes.entry(code).or_default() += 1;
        }
    }
    let refused = format!("{} refused {codes:?}", codes.values().sum::<usize>());
    let unknown = count(&|r| matches!(r.op.seen, Seen::Unknown(_)));
    let unknown_on_chain = count(&|r| matches!(r.op.seen, Seen::Unknown(_)) && r.outcome.is_some());
    let accepted = count(&|r| {
        matches!(r.op.payload(), Payload::AcceptLoan(_)) && r.outcome == Some(Outcome::Applied)
    });
    let double_pledges = count(&|r| {
        r.outcome
            == Some(Outcome::Rejected(
                credence_types::Rejection::CollateralAlreadyPledged,
            ))
    });
    let spends = count(&|r| r.op.what.contains("double spend"));
    format!(
        "{} requests: {seen} seen finalised, {refused}, {unknown} unknown to the client \
         ({unknown_on_chain} of them on the chain after all); {top} blocks agree on every node; \
         {accepted} loans accepted, {double_pledges} acceptances refused as \
         collateral_already_pledged, {running} loans running at the end holding {locked} \
         vehicles; {spends} transfers sent as double spends",
        resolved.len()
    )
}
