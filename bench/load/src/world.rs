//! What every scenario stands on: the devnet (its network file, a client of each validator,
//! the member institutions' keys), the [`Target`] a workload's setup is applied to (the
//! devnet, or the centralised bureau), and the pieces workloads are built from.

use super::Options;
use anyhow::{Context as _, bail};
use credence_client::light::NetworkFile;
use credence_client::{
    Account, NodeClient, build,
    submission::{self, Answer, RetryPolicy},
};
use credence_crypto::{EncryptionSecret, KeyFile, SigningKey};
use credence_types::{
    Digest, InstitutionId, PublicKey, SignedTransaction, SubjectId, TimestampMs,
    api::{StreamedEvent, TransactionStatus},
    codec::{BoundedVec, Name, Text},
    genesis::ChainId,
    metro2::{AccountStatus, Consumer, PaymentMonth, PortfolioType, Tradeline},
    money::Amount,
    receipt::{Event, EventSource, Outcome as TxOutcome},
    time::Date,
    transaction::{InquiryKind, Purpose},
};
use std::{
    collections::BTreeMap,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// A member institution whose keys the bench holds.
#[derive(Clone)]
pub struct Member {
    /// Its keys.
    pub keys: KeyFile,
    /// Its id in genesis.
    pub id: InstitutionId,
}

/// The devnet under test.
pub struct World {
    /// Drives the API clients.
    pub runtime: tokio::runtime::Runtime,
    /// The network's founding file.
    pub network: NetworkFile,
    /// A client of each validator's API, in validator order.
    pub nodes: Vec<NodeClient>,
    /// The validator banks (furnishers and lenders), in validator order.
    pub banks: Vec<Member>,
    /// The registrar of assets.
    pub registry: Member,
    /// The options of the run.
    pub options: Options,
}

impl World {
    /// Connects to the devnet in `options.dir`.
    pub fn connect(options: &Options) -> anyhow::Result<Self> {
        let network_path = options.dir.join("network.json");
        let network: NetworkFile =
            serde_json::from_str(&std::fs::read_to_string(&network_path).with_context(|| {
                format!("reading {}; is a devnet there?", network_path.display())
            })?)?;
        // The benchmark observes blocks and events as the regulator, which reads everything.
        let observer = KeyFile::read(&options.dir.join("keys/regulator.json"))?.signing;
        let nodes = (0..network.genesis_validators().len())
            .map(|i| {
                credence_devnet::layout::api_address(options.base_port, i).map(|a| {
                    NodeClient::new(&format!("http://{a}"))
                        .signed_for(observer.clone(), network.genesis.chain_id.as_str())
                })
            })
            .collect::<Result<_, _>>()?;
        let member = |name: &str| -> anyhow::Result<Member> {
            let keys = KeyFile::read(&options.dir.join("keys").join(format!("{name}.json")))?;
            let id = network
                .genesis
                .institutions
                .iter()
                .position(|i| i.name.as_str() == name)
                .with_context(|| format!("{name} is not in genesis"))?;
            Ok(Member {
                keys,
                id: InstitutionId(u64::try_from(id)?),
            })
        };
        let banks = network
            .genesis
            .institutions
            .iter()
            .filter(|i| i.consensus.is_some())
            .map(|i| member(i.name.as_str()))
            .collect::<anyhow::Result<_>>()?;
        let registry = member("registry")?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        Ok(Self {
            runtime,
            network,
            nodes,
            banks,
            registry,
            options: options.clone(),
        })
    }

    /// The chain's id.
    pub fn chain(&self) -> &ChainId {
        &self.network.genesis.chain_id
    }
}

/// Where a workload's setup is applied before its timed load: the devnet, or the bureau.
pub trait Target {
    /// The next nonce `key` must sign with here.
    fn nonce(&mut self, key: &PublicKey) -> anyhow::Result<u64>;
    /// Applies `phase` (untimed) and waits until all of it is durable; for each transaction
    /// the number it created (consent, loan, asset, asset class or currency), if any. A
    /// refused or rejected setup transaction is an error.
    fn apply(&mut self, phase: &[SignedTransaction]) -> anyhow::Result<Vec<Option<u64>>>;
}

/// The devnet as a [`Target`].
pub struct DevnetTarget<'a>(&'a World);

impl<'a> DevnetTarget<'a> {
    /// Setup goes to `devnet`.
    pub fn new(devnet: &'a World) -> Self {
        Self(devnet)
    }
}

impl Target for DevnetTarget<'_> {
    fn nonce(&mut self, key: &PublicKey) -> anyhow::Result<u64> {
        Ok(self
            .0
            .runtime
            .block_on(self.0.nodes[0].account(key))?
            .map_or(0, |account| account.nonce))
    }

    fn apply(&mut self, phase: &[SignedTransaction]) -> anyhow::Result<Vec<Option<u64>>> {
        self.0.runtime.block_on(apply(&self.0.nodes, phase))
    }
}

/// Submits `phase` in batches across the validators, waits until all of it is finalised, and
/// reads what each transaction created from its block's events.
async fn apply(
    nodes: &[NodeClient],
    phase: &[SignedTransaction],
) -> anyhow::Result<Vec<Option<u64>>> {
    // One node takes the whole phase, so each signer's nonces arrive in order; a busy node
    // is waited out.
    let submitted = submission::submit_all(&nodes[0], phase, &RetryPolicy::default()).await?;
    let mut hashes = Vec::with_capacity(phase.len());
    for answer in submitted.answers {
        match answer {
            Answer::Accepted(hash) => hashes.push(hash),
            Answer::Refused { code, message } => bail!("setup refused: {code}: {message}"),
        }
    }
    let mut placed = Vec::with_capacity(hashes.len());
    for hash in &hashes {
        match nodes[0]
            .wait_finalized(hash, Duration::from_millis(50), Duration::from_secs(120))
            .await?
        {
            TransactionStatus::Finalized {
                height,
                index,
                outcome: TxOutcome::Applied,
            } => placed.push((height, index)),
            TransactionStatus::Finalized { outcome, .. } => {
                bail!("setup transaction {hash} rejected: {outcome:?}")
            }
            TransactionStatus::Pending => bail!("setup transaction {hash} not finalised"),
        }
    }
    let mut events: BTreeMap<u64, Vec<StreamedEvent>> = BTreeMap::new();
    let mut created = Vec::with_capacity(placed.len());
    for (height, index) in placed {
        if let std::collections::btree_map::Entry::Vacant(slot) = events.entry(height.0) {
            let value = nodes[0]
                .json(&format!("blocks/{}/events", height.0))
                .await?;
            slot.insert(serde_json::from_value(value)?);
        }
        created.push(events[&height.0].iter().find_map(|streamed| {
            (streamed.source == EventSource::Transaction(index))
                .then(|| creation(&streamed.event))
                .flatten()
        }));
    }
    Ok(created)
}

/// The number an event reports created, if it reports a creation.
pub fn creation(event: &Event) -> Option<u64> {
    match event {
        Event::ConsentGranted { consent, .. } => Some(consent.0),
        Event::LoanOffered { loan, .. } => Some(loan.0),
        Event::AssetRegistered { asset, .. } => Some(asset.0),
        Event::AssetClassDefined { class, .. } => Some(class.0),
        Event::CurrencyIssued { currency, .. } => Some(currency.0),
        _ => None,
    }
}

/// A subject of a workload: its pseudonym, first report key and signing account.
pub struct Subject {
    /// Its pseudonym.
    pub id: SubjectId,
    /// Its report key (epoch 0).
    pub report: EncryptionSecret,
    /// Its account.
    pub account: Account,
}

impl Subject {
    /// Signs a consent for `lender`, wrapping the subject's report key to it.
    pub fn consent(
        &mut self,
        lender: &Member,
        purpose: Purpose,
        kind: InquiryKind,
        expires_at: TimestampMs,
    ) -> anyhow::Result<SignedTransaction> {
        Ok(self.account.sign(build::grant_consent(
            &self.id,
            std::slice::from_ref(&self.report),
            lender.id,
            &lender.keys.encryption.public_key(),
            purpose,
            kind,
            expires_at,
        )?))
    }
}

/// Registers `count` fresh subjects on `target` (untimed) and returns them.
pub fn register(
    target: &mut dyn Target,
    devnet: &World,
    count: usize,
) -> anyhow::Result<Vec<Subject>> {
    let mut subjects = Vec::with_capacity(count);
    let mut registrations = Vec::with_capacity(count);
    for _ in 0..count {
        let key = SigningKey::generate();
        let id = SubjectId::from_key(&key.public_key());
        let report = EncryptionSecret::generate();
        let mut account = Account::new(key, devnet.chain().clone(), 0);
        registrations.push(account.sign(build::register_subject(
            &id,
            &report,
            &devnet.network.genesis.audit_key,
        )?));
        subjects.push(Subject {
            id,
            report,
            account,
        });
    }
    target.apply(&registrations)?;
    Ok(subjects)
}

/// An account for each of `members` on `target`, its nonce continuing from what it holds.
pub fn accounts(
    target: &mut dyn Target,
    members: &[Member],
    chain: &ChainId,
) -> anyhow::Result<Vec<Account>> {
    members
        .iter()
        .map(|member| {
            let nonce = target.nonce(&member.keys.signing.public_key())?;
            Ok(Account::new(
                member.keys.signing.clone(),
                chain.clone(),
                nonce,
            ))
        })
        .collect()
}

/// A plausible monthly update of an instalment loan, `month` months in.
pub fn tradeline(account: &str, month: u64, as_of: Date) -> anyhow::Result<Tradeline> {
    let text = |s: &str| Text::new(s).map_err(anyhow::Error::msg);
    Ok(Tradeline {
        account_number: text(account)?,
        portfolio_type: PortfolioType::Installment,
        account_type: Text::new("00").map_err(anyhow::Error::msg)?,
        currency: Name::new("usd").map_err(anyhow::Error::msg)?,
        date_opened: Date(as_of.0.saturating_sub(400)),
        credit_limit: Amount(0),
        highest_credit: Amount(2_500_000),
        terms_months: 60,
        scheduled_monthly_payment: Amount(48_000),
        actual_payment: Amount(48_000),
        account_status: AccountStatus::Current,
        payment_history: BoundedVec::new(vec![PaymentMonth::Current; 24]).context("history")?,
        current_balance: Amount(2_500_000u64.saturating_sub(month * 40_000)),
        amount_past_due: Amount(0),
        original_charge_off: Amount(0),
        date_of_account_information: as_of,
        first_delinquency: None,
        date_closed: None,
        date_of_last_payment: Some(as_of),
        consumer: Consumer {
            name: text("Bench Subject")?,
            national_id: text("000-00-0000")?,
            date_of_birth: None,
            address: text("1 Bench Street")?,
        },
    })
}

/// `line` furnished about `subject` by the bank at `bank_index` (its salt differs per bank),
/// sealed to the subject's report key.
pub fn furnish(
    bank: &mut Account,
    bank_index: usize,
    subject: &Subject,
    line: Tradeline,
) -> anyhow::Result<SignedTransaction> {
    let reference = build::account_reference(
        &[u8::try_from(bank_index)?; 32],
        line.account_number.as_str(),
    );
    Ok(bank.sign(build::furnish(
        &subject.id,
        &subject.report.public_key(),
        0,
        reference,
        line,
        None,
    )?))
}

/// Now, by this machine's clock.
pub fn now_ms() -> TimestampMs {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    TimestampMs(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
}

/// Thirty days from now: when the bench's consents expire.
pub fn in_thirty_days() -> TimestampMs {
    TimestampMs(now_ms().0 + 30 * 86_400_000)
}

/// A digest naming `what` number `i`: asset metadata commitments and the like.
pub fn digest_of(what: &str, i: usize) -> Digest {
    Digest::of(what, &[&(i as u64).to_be_bytes()])
}
