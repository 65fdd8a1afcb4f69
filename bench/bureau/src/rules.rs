//! The ledger's rules for the benchmark's payload kinds, as SQL inside one database
//! transaction.
//!
//! Each rule mirrors its counterpart in `credence_ledger::rules` (same checks, in the same
//! order, with the same rejection codes) for what the workloads exercise, and stores the same
//! bytes. Authorisation is the ledger's own table ([`credence_ledger::auth::requirement`]).
//! What the bureau leaves out is listed in `bench/README.md` (interest accrual and the
//! loan's own tradeline, deadlines, purges).
//!
//! Concurrency: the database runs at READ COMMITTED, and every check whose answer a
//! concurrent transaction could change is made on a row locked `FOR UPDATE` (the loan and its
//! collateral at acceptance, the asset at transfer, the subject when counting its consents,
//! the currency at mint) or by a conditional update (`available >= amount`), so two
//! acceptances can never pledge one asset. Rows of two owners are updated in key order, so
//! the common pairs cannot deadlock; whatever deadlocks anyway is retried by the caller.

use credence_crypto::VerifiedTransaction;
use credence_ledger::{
    auth::{Requirement, requirement},
    checks,
};
use credence_types::{
    AssetId, Date, InstitutionId, LoanId, Payload, PublicKey, Rejection, Role, Roles, SubjectId,
    TimestampMs,
    codec::{decode, encode},
    lending::{
        Collateral, DefineAssetClass, Denomination, FundsMovement, IssueCurrency, LoanPayment,
        LoanTerms, Owner, RegisterAsset, Remedy, TransferAsset,
    },
    limits::ACTIVE_CONSENTS_PER_SUBJECT_MAX,
    metro2::StatusClass,
    money::{Amount, BasisPoints},
    transaction::{Furnishing, GrantConsent, RecordInquiry, RegisterSubject},
};
use postgres::{Row, Statement, Transaction, types::ToSql};
use std::collections::HashMap;

/// Why a rule did not apply.
#[derive(Debug)]
pub(crate) enum Fail {
    /// The transaction broke a rule.
    Reject(Rejection),
    /// The database failed (a deadlock or serialization failure is retried by the caller).
    Db(postgres::Error),
}

impl From<Rejection> for Fail {
    fn from(rejection: Rejection) -> Self {
        Self::Reject(rejection)
    }
}

impl From<postgres::Error> for Fail {
    fn from(error: postgres::Error) -> Self {
        // bigint arithmetic past 2^63 - 1 (a balance or supply) is the ledger's overflow.
        if error.code() == Some(&postgres::error::SqlState::NUMERIC_VALUE_OUT_OF_RANGE) {
            Self::Reject(Rejection::AmountOverflow)
        } else {
            Self::Db(error)
        }
    }
}

/// A rule's result: the id of the numbered object it created, if any.
pub(crate) type RuleResult<T = ()> = Result<T, Fail>;

fn ensure(condition: bool, rejection: Rejection) -> RuleResult {
    if condition {
        Ok(())
    } else {
        Err(Fail::Reject(rejection))
    }
}

/// Statements prepared on one connection, by their text.
pub(crate) type Statements = HashMap<&'static str, Statement>;

/// One transaction's view: the database transaction, the connection's prepared statements,
/// and the instant the bureau processes it at.
pub(crate) struct Ctx<'a, 'b> {
    pub(crate) tx: &'a mut Transaction<'b>,
    pub(crate) statements: &'a mut Statements,
    pub(crate) now: TimestampMs,
    pub(crate) consent_lifetime_days_max: u16,
}

impl Ctx<'_, '_> {
    fn statement(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.tx.prepare(sql)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    fn opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> RuleResult<Option<Row>> {
        let statement = self.statement(sql)?;
        Ok(self.tx.query_opt(&statement, params)?)
    }

    fn all(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> RuleResult<Vec<Row>> {
        let statement = self.statement(sql)?;
        Ok(self.tx.query(&statement, params)?)
    }

    fn exec(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> RuleResult<u64> {
        let statement = self.statement(sql)?;
        Ok(self.tx.execute(&statement, params)?)
    }

    fn exists(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> RuleResult<bool> {
        Ok(self.opt(sql, params)?.is_some())
    }

    fn next_id(&mut self, sequence_sql: &'static str) -> RuleResult<i64> {
        let statement = self.statement(sequence_sql)?;
        Ok(self.tx.query_one(&statement, &[])?.get(0))
    }
}

// ----- Conversions between the ledger's integers and PostgreSQL's signed ones -----

/// A sequential id as a key; one beyond `i64::MAX` cannot exist, so it maps to -1, which no
/// sequence (they start at 0) ever gives.
pub(crate) fn key(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(-1)
}

/// A key read back from a sequence-numbered column.
pub(crate) fn id(key: i64) -> u64 {
    u64::try_from(key).expect("ids come from sequences starting at 0")
}

/// An instant; one past `i64::MAX` ms (292 million years) saturates, which keeps its order.
pub(crate) fn ms(time: TimestampMs) -> i64 {
    i64::try_from(time.0).unwrap_or(i64::MAX)
}

fn date(date: Date) -> i32 {
    i32::try_from(date.0).unwrap_or(i32::MAX)
}

fn small(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// An amount as bigint; the bureau's bound is 2^63 - 1 (see the schema).
fn amount(amount: Amount) -> RuleResult<i64> {
    i64::try_from(amount.0).map_err(|_| Fail::Reject(Rejection::AmountOverflow))
}

/// A one-byte enum's tag, as its canonical encoding's first byte.
fn tag(encoded: &[u8]) -> i16 {
    i16::from(encoded.first().copied().unwrap_or_default())
}

// ----- The signer -----

/// The signer, resolved and authorised.
#[derive(Clone, Debug)]
enum Actor {
    NewKey,
    Subject { id: SubjectId, epoch: u32 },
    Institution(InstitutionId),
}

fn signer_owner(actor: &Actor) -> Option<Owner> {
    match actor {
        Actor::Subject { id, .. } => Some(Owner::Subject(*id)),
        Actor::Institution(id) => Some(Owner::Institution(*id)),
        Actor::NewKey => None,
    }
}

/// The ledger's `auth::authorize`, against the `signers` table.
fn authorize(ctx: &mut Ctx<'_, '_>, key: &PublicKey, need: Requirement) -> RuleResult<Actor> {
    let row = ctx.opt(
        "SELECT s.institution, s.subject, i.roles, i.suspended, j.report_key_epoch \
         FROM signers s \
         LEFT JOIN institutions i ON i.id = s.institution \
         LEFT JOIN subjects j ON j.id = s.subject \
         WHERE s.key = $1",
        &[&key.0.as_slice()],
    )?;
    let Some(row) = row else {
        return match need {
            Requirement::UnregisteredKey => Ok(Actor::NewKey),
            _ => Err(Fail::Reject(Rejection::SignerUnknown)),
        };
    };
    if need == Requirement::UnregisteredKey {
        return Err(Fail::Reject(Rejection::SignerAlreadyRegistered));
    }
    let institution: Option<i64> = row.get(0);
    let subject: Option<Vec<u8>> = row.get(1);
    match (institution, subject) {
        (None, Some(subject)) => match need {
            Requirement::Subject | Requirement::SubjectOrInstitution => {
                let id = SubjectId(subject.try_into().expect("a stored subject id is 32 bytes"));
                let epoch: i32 = row.get(4);
                let epoch = u32::try_from(epoch).expect("epochs are stored non-negative");
                Ok(Actor::Subject { id, epoch })
            }
            _ => Err(Fail::Reject(Rejection::SignerNotInstitution)),
        },
        (Some(institution), None) => {
            let roles: i16 = row.get(2);
            let suspended: bool = row.get(3);
            ensure(!suspended, Rejection::SignerSuspended)?;
            let roles = roles_of(roles);
            let allowed = match need {
                Requirement::Subject => return Err(Fail::Reject(Rejection::SignerNotSubject)),
                Requirement::AnyInstitution | Requirement::SubjectOrInstitution => true,
                Requirement::InstitutionWith(role) => roles.has(role),
                Requirement::InstitutionWithEither(a, b) => roles.has(a) || roles.has(b),
                Requirement::UnregisteredKey => {
                    return Err(Fail::Reject(Rejection::SignerAlreadyRegistered));
                }
            };
            ensure(allowed, Rejection::RoleMissing)?;
            Ok(Actor::Institution(InstitutionId(id(institution))))
        }
        _ => unreachable!("a signer row names exactly one institution or subject"),
    }
}

fn roles_of(stored: i16) -> Roles {
    let byte = u8::try_from(stored).expect("roles are stored as their one-byte encoding");
    decode(&[byte]).expect("stored roles decode")
}

/// Whether institution `id` exists and may act as `role`.
fn institution_may_act_as(
    ctx: &mut Ctx<'_, '_>,
    id: InstitutionId,
    role: Role,
) -> RuleResult<Option<bool>> {
    let row = ctx.opt(
        "SELECT roles, suspended FROM institutions WHERE id = $1",
        &[&key(id.0)],
    )?;
    Ok(row.map(|row| {
        let suspended: bool = row.get(1);
        !suspended && roles_of(row.get(0)).has(role)
    }))
}

fn owner_exists(ctx: &mut Ctx<'_, '_>, owner: &Owner) -> RuleResult<bool> {
    match owner {
        Owner::Subject(id) => {
            ctx.exists("SELECT 1 FROM subjects WHERE id = $1", &[&id.0.as_slice()])
        }
        Owner::Institution(id) => {
            ctx.exists("SELECT 1 FROM institutions WHERE id = $1", &[&key(id.0)])
        }
    }
}

fn check_denomination(ctx: &mut Ctx<'_, '_>, denomination: &Denomination) -> RuleResult {
    if let Denomination::OnLedger(currency) = denomination {
        let known = ctx.exists(
            "SELECT 1 FROM currencies WHERE id = $1",
            &[&key(currency.0)],
        )?;
        ensure(known, Rejection::CurrencyUnknown)?;
    }
    Ok(())
}

// ----- Dispatch -----

/// The code a transaction of a kind the bureau does not implement is refused with (not a
/// ledger code).
pub(crate) const UNSUPPORTED: &str = "kind_not_supported";

/// Whether the bureau implements `payload`'s kind: those the benchmark's workloads use.
pub(crate) fn supported(payload: &Payload) -> bool {
    matches!(
        payload,
        Payload::RegisterSubject(_)
            | Payload::FurnishRecord(_)
            | Payload::GrantConsent(_)
            | Payload::RecordInquiry(_)
            | Payload::DefineAssetClass(_)
            | Payload::RegisterAsset(_)
            | Payload::TransferAsset(_)
            | Payload::IssueCurrency(_)
            | Payload::MintFunds(_)
            | Payload::TransferFunds(_)
            | Payload::OfferLoan(_)
            | Payload::AcceptLoan(_)
            | Payload::RepayLoan(_)
    )
}

/// Applies one verified transaction of a [`supported`] kind; returns the id of the
/// numbered object it created, if any.
pub(crate) fn apply(
    ctx: &mut Ctx<'_, '_>,
    verified: &VerifiedTransaction,
) -> RuleResult<Option<u64>> {
    let transaction = verified.transaction();
    apply_supported(ctx, &transaction.signer, &transaction.payload)
}

fn apply_supported(
    ctx: &mut Ctx<'_, '_>,
    signer: &PublicKey,
    payload: &Payload,
) -> RuleResult<Option<u64>> {
    let actor = authorize(ctx, signer, requirement(payload.kind()))?;
    match (&actor, payload) {
        (Actor::NewKey, Payload::RegisterSubject(body)) => register_subject(ctx, signer, body),
        (Actor::Institution(furnisher), Payload::FurnishRecord(body)) => {
            furnish(ctx, *furnisher, body)
        }
        (Actor::Subject { id, epoch }, Payload::GrantConsent(body)) => {
            grant_consent(ctx, *id, *epoch, body)
        }
        (Actor::Institution(lender), Payload::RecordInquiry(body)) => inquire(ctx, *lender, body),
        (Actor::Institution(registrar), Payload::DefineAssetClass(body)) => {
            define_class(ctx, *registrar, body)
        }
        (Actor::Institution(registrar), Payload::RegisterAsset(body)) => {
            register_asset(ctx, *registrar, body)
        }
        (actor, Payload::TransferAsset(body)) => transfer_asset(ctx, actor, body),
        (Actor::Institution(issuer), Payload::IssueCurrency(body)) => {
            issue_currency(ctx, *issuer, body)
        }
        (Actor::Institution(issuer), Payload::MintFunds(body)) => mint(ctx, *issuer, body),
        (actor, Payload::TransferFunds(body)) => transfer_funds(ctx, actor, body),
        (Actor::Institution(lender), Payload::OfferLoan(terms)) => offer_loan(ctx, *lender, terms),
        (actor, Payload::AcceptLoan(loan)) => accept_loan(ctx, actor, *loan),
        (actor, Payload::RepayLoan(payment)) => repay_loan(ctx, actor, payment),
        _ => Err(Fail::Reject(Rejection::SignerUnknown)),
    }
}

// ----- Subjects, records, consents -----

fn register_subject(
    ctx: &mut Ctx<'_, '_>,
    signer: &PublicKey,
    body: &RegisterSubject,
) -> RuleResult<Option<u64>> {
    let subject = SubjectId::from_key(signer);
    // The primary key settles a race between two registrations of one key.
    let inserted = ctx.exec(
        "INSERT INTO signers (key, subject) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&signer.0.as_slice(), &subject.0.as_slice()],
    )?;
    ensure(inserted == 1, Rejection::SignerAlreadyRegistered)?;
    let now = ms(ctx.now);
    ctx.exec(
        "INSERT INTO subjects (id, signing_key, report_key, report_key_epoch, registered_at_ms) \
         VALUES ($1, $2, $3, 0, $4)",
        &[
            &subject.0.as_slice(),
            &signer.0.as_slice(),
            &body.report_key.0.as_slice(),
            &now,
        ],
    )?;
    ctx.exec(
        "INSERT INTO report_key_epochs (subject, epoch, report_key, audit_key_wrap, since_ms) \
         VALUES ($1, 0, $2, $3, $4)",
        &[
            &subject.0.as_slice(),
            &body.report_key.0.as_slice(),
            &encode(&body.audit_key_wrap),
            &now,
        ],
    )?;
    Ok(None)
}

/// The ledger's `records::furnish`: returns the record's id.
fn furnish(
    ctx: &mut Ctx<'_, '_>,
    furnisher: InstitutionId,
    f: &Furnishing,
) -> RuleResult<Option<u64>> {
    let subject = ctx
        .opt(
            "SELECT report_key_epoch FROM subjects WHERE id = $1",
            &[&f.subject.0.as_slice()],
        )?
        .ok_or(Rejection::SubjectUnknown)?;
    let epoch: i32 = subject.get(0);
    ensure(
        small(f.report_key_epoch) == epoch,
        Rejection::ReportKeyEpochStale,
    )?;
    checks::furnishing(f, ctx.now.date())?;
    let deletes = f.status.class() == StatusClass::Deletion;
    if let Some(previous) = f.supersedes {
        let row = ctx
            .opt(
                "SELECT furnisher, subject, account, superseded_by, deleted \
                 FROM records WHERE id = $1 FOR UPDATE",
                &[&key(previous.0)],
            )?
            .ok_or(Rejection::RecordUnknown)?;
        let (by, about, account): (i64, Vec<u8>, Vec<u8>) = (row.get(0), row.get(1), row.get(2));
        ensure(
            by == key(furnisher.0) && about == f.subject.0 && account == f.account.0,
            Rejection::SupersedeForeignRecord,
        )?;
        let superseded_by: Option<i64> = row.get(3);
        ensure(superseded_by.is_none(), Rejection::RecordAlreadySuperseded)?;
        let deleted: bool = row.get(4);
        ensure(!deleted, Rejection::RecordDeleted)?;
    }
    let record = ctx.next_id("SELECT nextval('record_ids')")?;
    if let Some(previous) = f.supersedes {
        ctx.exec(
            "UPDATE records SET superseded_by = $2, deleted = deleted OR $3 WHERE id = $1",
            &[&key(previous.0), &record, &deletes],
        )?;
    }
    ctx.exec(
        "INSERT INTO records (id, furnisher, subject, account, status, first_delinquency, as_of, \
         report_key_epoch, payload, commitment, supersedes, furnished_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            &record,
            &key(furnisher.0),
            &f.subject.0.as_slice(),
            &f.account.0.as_slice(),
            &tag(&encode(&f.status)),
            &f.first_delinquency.map(date),
            &date(f.as_of),
            &epoch,
            &encode(&f.payload),
            &f.commitment.0.as_slice(),
            &f.supersedes.map(|r| key(r.0)),
            &ms(ctx.now),
        ],
    )?;
    Ok(Some(id(record)))
}

/// The ledger's `consents::grant`: returns the consent's id.
fn grant_consent(
    ctx: &mut Ctx<'_, '_>,
    subject: SubjectId,
    subject_epoch: u32,
    g: &GrantConsent,
) -> RuleResult<Option<u64>> {
    let eligible =
        institution_may_act_as(ctx, g.lender, Role::Lender)?.ok_or(Rejection::LenderUnknown)?;
    ensure(eligible, Rejection::LenderIneligible)?;
    let now = ctx.now;
    checks::consent(g, now, ctx.consent_lifetime_days_max, subject_epoch)?;
    // The subject's row lock orders its concurrent grants, so the count stays under the cap.
    ctx.opt(
        "SELECT 1 FROM subjects WHERE id = $1 FOR UPDATE",
        &[&subject.0.as_slice()],
    )?;
    let active: i64 = ctx
        .all(
            "SELECT count(*) FROM consents \
             WHERE subject = $1 AND revoked_at_ms IS NULL AND expires_at_ms > $2",
            &[&subject.0.as_slice(), &ms(now)],
        )?
        .first()
        .map(|row| row.get(0))
        .unwrap_or_default();
    ensure(
        usize::try_from(active).is_ok_and(|n| n < ACTIVE_CONSENTS_PER_SUBJECT_MAX),
        Rejection::ActiveConsentsExhausted,
    )?;
    let consent = ctx.next_id("SELECT nextval('consent_ids')")?;
    ctx.exec(
        "INSERT INTO consents (id, subject, lender, purpose, kind, granted_at_ms, expires_at_ms, \
         report_keys) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &consent,
            &subject.0.as_slice(),
            &key(g.lender.0),
            &tag(&encode(&g.purpose)),
            &tag(&encode(&g.kind)),
            &ms(now),
            &ms(g.expires_at),
            &encode(&g.report_keys),
        ],
    )?;
    Ok(Some(id(consent)))
}

/// The ledger's `consents::inquire`: returns the inquiry's id.
fn inquire(
    ctx: &mut Ctx<'_, '_>,
    lender: InstitutionId,
    i: &RecordInquiry,
) -> RuleResult<Option<u64>> {
    // No lock: nothing in the bureau revokes a consent, and expiry is a comparison.
    let consent = ctx
        .opt(
            "SELECT subject, lender, purpose, kind, expires_at_ms, revoked_at_ms \
             FROM consents WHERE id = $1",
            &[&key(i.consent.0)],
        )?
        .ok_or(Rejection::ConsentUnknown)?;
    let consent_lender: i64 = consent.get(1);
    ensure(
        consent_lender == key(lender.0),
        Rejection::ConsentNotForSigner,
    )?;
    let expires_at: i64 = consent.get(4);
    let revoked_at: Option<i64> = consent.get(5);
    ensure(
        revoked_at.is_none() && ms(ctx.now) < expires_at,
        Rejection::ConsentNotActive,
    )?;
    let subject: Vec<u8> = consent.get(0);
    let (purpose, kind): (i16, i16) = (consent.get(2), consent.get(3));
    let inquiry = ctx.next_id("SELECT nextval('inquiry_ids')")?;
    ctx.exec(
        "INSERT INTO inquiries (id, subject, institution, consent, purpose, kind, at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &inquiry,
            &subject,
            &key(lender.0),
            &key(i.consent.0),
            &purpose,
            &kind,
            &ms(ctx.now),
        ],
    )?;
    Ok(Some(id(inquiry)))
}

// ----- Assets -----

fn define_class(
    ctx: &mut Ctx<'_, '_>,
    registrar: InstitutionId,
    body: &DefineAssetClass,
) -> RuleResult<Option<u64>> {
    let class = ctx.next_id("SELECT nextval('asset_class_ids')")?;
    ctx.exec(
        "INSERT INTO asset_classes (id, registrar, name, schema) VALUES ($1, $2, $3, $4)",
        &[
            &class,
            &key(registrar.0),
            &body.name.as_str(),
            &body.schema.0.as_slice(),
        ],
    )?;
    Ok(Some(id(class)))
}

fn register_asset(
    ctx: &mut Ctx<'_, '_>,
    registrar: InstitutionId,
    body: &RegisterAsset,
) -> RuleResult<Option<u64>> {
    let class_known = ctx.exists(
        "SELECT 1 FROM asset_classes WHERE id = $1",
        &[&key(body.class.0)],
    )?;
    ensure(class_known, Rejection::AssetClassUnknown)?;
    ensure(owner_exists(ctx, &body.owner)?, Rejection::OwnerUnknown)?;
    check_denomination(ctx, &body.denomination)?;
    let value = amount(body.value)?;
    let registered = ctx.exists(
        "SELECT 1 FROM assets WHERE identity = $1",
        &[&body.identity.0.as_slice()],
    )?;
    ensure(!registered, Rejection::AssetAlreadyRegistered)?;
    let asset = ctx.next_id("SELECT nextval('asset_ids')")?;
    ctx.exec(
        "INSERT INTO assets (id, class, owner, identity, value, denomination, registrar, \
         valued_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &asset,
            &key(body.class.0),
            &encode(&body.owner),
            &body.identity.0.as_slice(),
            &value,
            &encode(&body.denomination),
            &key(registrar.0),
            &ms(ctx.now),
        ],
    )?;
    Ok(Some(id(asset)))
}

/// The ledger's `assets::transfer`: only the owner, only an unpledged asset.
fn transfer_asset(
    ctx: &mut Ctx<'_, '_>,
    actor: &Actor,
    body: &TransferAsset,
) -> RuleResult<Option<u64>> {
    let asset = ctx
        .opt(
            "SELECT owner, pledged_to FROM assets WHERE id = $1 FOR UPDATE",
            &[&key(body.asset.0)],
        )?
        .ok_or(Rejection::AssetUnknown)?;
    let owner: Vec<u8> = asset.get(0);
    ensure(
        signer_owner(actor).is_some_and(|signer| encode(&signer) == owner),
        Rejection::NotAssetOwner,
    )?;
    let pledged_to: Option<i64> = asset.get(1);
    ensure(pledged_to.is_none(), Rejection::AssetLocked)?;
    ensure(owner_exists(ctx, &body.to)?, Rejection::OwnerUnknown)?;
    ctx.exec(
        "UPDATE assets SET owner = $2 WHERE id = $1",
        &[&key(body.asset.0), &encode(&body.to)],
    )?;
    Ok(None)
}

// ----- Funds -----

fn issue_currency(
    ctx: &mut Ctx<'_, '_>,
    issuer: InstitutionId,
    body: &IssueCurrency,
) -> RuleResult<Option<u64>> {
    let taken = ctx.exists(
        "SELECT 1 FROM currencies WHERE issuer = $1 AND symbol = $2",
        &[&key(issuer.0), &body.symbol.as_str()],
    )?;
    ensure(!taken, Rejection::CurrencySymbolTaken)?;
    let currency = ctx.next_id("SELECT nextval('currency_ids')")?;
    let inserted = ctx.exec(
        "INSERT INTO currencies (id, issuer, symbol, supply) VALUES ($1, $2, $3, 0) \
         ON CONFLICT DO NOTHING",
        &[&currency, &key(issuer.0), &body.symbol.as_str()],
    )?;
    ensure(inserted == 1, Rejection::CurrencySymbolTaken)?;
    Ok(Some(id(currency)))
}

fn credit(ctx: &mut Ctx<'_, '_>, currency: i64, owner: &[u8], value: i64) -> RuleResult {
    ctx.exec(
        "INSERT INTO balances (currency, owner, available, locked) VALUES ($1, $2, $3, 0) \
         ON CONFLICT (currency, owner) \
         DO UPDATE SET available = balances.available + EXCLUDED.available",
        &[&currency, &owner, &value],
    )?;
    Ok(())
}

fn debit(ctx: &mut Ctx<'_, '_>, currency: i64, owner: &[u8], value: i64) -> RuleResult {
    let updated = ctx.exec(
        "UPDATE balances SET available = available - $3 \
         WHERE currency = $1 AND owner = $2 AND available >= $3",
        &[&currency, &owner, &value],
    )?;
    ensure(updated == 1, Rejection::InsufficientFunds)
}

/// Moves available funds; the two rows are updated in key order, so two opposite moves
/// between the same accounts cannot deadlock.
fn move_funds(
    ctx: &mut Ctx<'_, '_>,
    currency: i64,
    from: &[u8],
    to: &[u8],
    value: i64,
) -> RuleResult {
    if from <= to {
        debit(ctx, currency, from, value)?;
        credit(ctx, currency, to, value)
    } else {
        credit(ctx, currency, to, value)?;
        debit(ctx, currency, from, value)
    }
}

/// The ledger's `funds::mint`.
fn mint(
    ctx: &mut Ctx<'_, '_>,
    issuer: InstitutionId,
    body: &FundsMovement,
) -> RuleResult<Option<u64>> {
    ensure(body.amount > Amount::ZERO, Rejection::AmountZero)?;
    let currency = ctx
        .opt(
            "SELECT issuer FROM currencies WHERE id = $1 FOR UPDATE",
            &[&key(body.currency.0)],
        )?
        .ok_or(Rejection::CurrencyUnknown)?;
    let currency_issuer: i64 = currency.get(0);
    ensure(
        currency_issuer == key(issuer.0),
        Rejection::NotCurrencyIssuer,
    )?;
    ensure(owner_exists(ctx, &body.account)?, Rejection::OwnerUnknown)?;
    let value = amount(body.amount)?;
    ctx.exec(
        "UPDATE currencies SET supply = supply + $2 WHERE id = $1",
        &[&key(body.currency.0), &value],
    )?;
    credit(ctx, key(body.currency.0), &encode(&body.account), value)?;
    Ok(None)
}

/// The ledger's `funds::transfer`.
fn transfer_funds(
    ctx: &mut Ctx<'_, '_>,
    actor: &Actor,
    body: &FundsMovement,
) -> RuleResult<Option<u64>> {
    ensure(body.amount > Amount::ZERO, Rejection::AmountZero)?;
    let known = ctx.exists(
        "SELECT 1 FROM currencies WHERE id = $1",
        &[&key(body.currency.0)],
    )?;
    ensure(known, Rejection::CurrencyUnknown)?;
    let from = signer_owner(actor).ok_or(Rejection::SignerUnknown)?;
    ensure(owner_exists(ctx, &body.account)?, Rejection::OwnerUnknown)?;
    let value = amount(body.amount)?;
    move_funds(
        ctx,
        key(body.currency.0),
        &encode(&from),
        &encode(&body.account),
        value,
    )?;
    Ok(None)
}

// ----- Loans -----

/// The ledger's `loans::check_terms`.
fn check_terms(ctx: &mut Ctx<'_, '_>, terms: &LoanTerms) -> RuleResult {
    checks::loan_terms(terms, ctx.now)?;
    if let Remedy::Liquidate(registrar) = terms.remedy {
        let eligible = institution_may_act_as(ctx, registrar, Role::Registrar)?;
        ensure(eligible == Some(true), Rejection::LiquidatorIneligible)?;
    }
    check_denomination(ctx, &terms.denomination)?;
    ensure(owner_exists(ctx, &terms.borrower)?, Rejection::OwnerUnknown)
}

fn collateral_assets(terms: &LoanTerms) -> Vec<AssetId> {
    terms
        .collateral
        .iter()
        .filter_map(|c| match c {
            Collateral::Asset(id) => Some(*id),
            Collateral::Funds(_) => None,
        })
        .collect()
}

fn on_ledger_currency(denomination: &Denomination) -> Option<i64> {
    match denomination {
        Denomination::OnLedger(currency) => Some(key(currency.0)),
        Denomination::OffLedger(_) => None,
    }
}

/// The ledger's `loans::offer`: returns the loan's id.
fn offer_loan(
    ctx: &mut Ctx<'_, '_>,
    lender: InstitutionId,
    terms: &LoanTerms,
) -> RuleResult<Option<u64>> {
    check_terms(ctx, terms)?;
    let principal = amount(terms.principal)?;
    let assets: Vec<i64> = collateral_assets(terms).iter().map(|a| key(a.0)).collect();
    let loan = ctx.next_id("SELECT nextval('loan_ids')")?;
    ctx.exec(
        "INSERT INTO loans (id, lender, borrower, terms, status, principal, outstanding, \
         currency, collateral_assets, offered_at_ms, offer_expires_at_ms) \
         VALUES ($1, $2, $3, $4, 'offered', $5, 0, $6, $7, $8, $9)",
        &[
            &loan,
            &key(lender.0),
            &encode(&terms.borrower),
            &encode(terms),
            &principal,
            &on_ledger_currency(&terms.denomination),
            &assets,
            &ms(ctx.now),
            &ms(terms.offer_expires_at),
        ],
    )?;
    Ok(Some(id(loan)))
}

/// The ledger's `loans::accept`: the collateral locks and the principal moves, or nothing
/// happens. The loan and every asset are locked `FOR UPDATE` (assets in id order) before
/// they are checked, so of two acceptances pledging one asset the second sees the first's
/// pledge.
fn accept_loan(ctx: &mut Ctx<'_, '_>, actor: &Actor, loan: LoanId) -> RuleResult<Option<u64>> {
    let row = ctx
        .opt(
            "SELECT lender, terms, status FROM loans WHERE id = $1 FOR UPDATE",
            &[&key(loan.0)],
        )?
        .ok_or(Rejection::LoanUnknown)?;
    let lender: i64 = row.get(0);
    let terms: Vec<u8> = row.get(1);
    let terms: LoanTerms = decode(&terms).expect("stored terms decode");
    let status: &str = row.get(2);
    ensure(status == "offered", Rejection::LoanNotOffered)?;
    let now = ctx.now;
    ensure(now < terms.offer_expires_at, Rejection::OfferExpired)?;
    ensure(
        signer_owner(actor) == Some(terms.borrower),
        Rejection::NotBorrower,
    )?;
    ensure(
        terms.first_due > now.date(),
        Rejection::FirstDueNotAfterToday,
    )?;
    ensure(owner_exists(ctx, &terms.borrower)?, Rejection::OwnerUnknown)?;
    let borrower = encode(&terms.borrower);
    let denomination = encode(&terms.denomination);

    let asset_keys: Vec<i64> = collateral_assets(&terms).iter().map(|a| key(a.0)).collect();
    let locked: HashMap<i64, Row> = if asset_keys.is_empty() {
        HashMap::new()
    } else {
        ctx.all(
            "SELECT id, owner, pledged_to, value, denomination FROM assets \
             WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            &[&asset_keys],
        )?
        .into_iter()
        .map(|row| (row.get(0), row))
        .collect()
    };
    let mut value: u128 = 0;
    for item in terms.collateral.iter() {
        match item {
            Collateral::Asset(asset) => {
                let row = locked.get(&key(asset.0)).ok_or(Rejection::AssetUnknown)?;
                let owner: &[u8] = row.get(1);
                ensure(owner == borrower, Rejection::CollateralNotBorrowers)?;
                let pledged_to: Option<i64> = row.get(2);
                ensure(pledged_to.is_none(), Rejection::CollateralAlreadyPledged)?;
                let asset_denomination: &[u8] = row.get(4);
                ensure(
                    asset_denomination == denomination,
                    Rejection::CollateralDenominationMismatch,
                )?;
                let asset_value: i64 = row.get(3);
                value = value.saturating_add(u128::try_from(asset_value).unwrap_or_default());
            }
            Collateral::Funds(pledge) => {
                ensure(
                    Denomination::OnLedger(pledge.currency) == terms.denomination,
                    Rejection::CollateralDenominationMismatch,
                )?;
                value = value.saturating_add(u128::from(pledge.amount.0));
                let pledged = amount(pledge.amount)?;
                let updated = ctx.exec(
                    "UPDATE balances SET available = available - $3, locked = locked + $3 \
                     WHERE currency = $1 AND owner = $2 AND available >= $3",
                    &[&key(pledge.currency.0), &borrower, &pledged],
                )?;
                ensure(updated == 1, Rejection::InsufficientFunds)?;
            }
        }
    }
    if !terms.collateral.is_empty() {
        // principal ÷ value ≤ max_ltv, compared without dividing.
        let lent = u128::from(terms.principal.0) * u128::from(BasisPoints::ONE.0);
        let allowed = value.saturating_mul(u128::from(terms.max_ltv.0));
        ensure(lent <= allowed, Rejection::LoanToValueExceeded)?;
    }
    ensure(
        checks::level_installment(&terms).is_some(),
        Rejection::InstallmentNotComputable,
    )?;
    let principal = amount(terms.principal)?;
    if let Some(currency) = on_ledger_currency(&terms.denomination) {
        let lender = encode(&Owner::Institution(InstitutionId(id(lender))));
        move_funds(ctx, currency, &lender, &borrower, principal)?;
    }
    if !asset_keys.is_empty() {
        ctx.exec(
            "UPDATE assets SET pledged_to = $1 WHERE id = ANY($2)",
            &[&key(loan.0), &asset_keys],
        )?;
    }
    ctx.exec(
        "UPDATE loans SET status = 'active', outstanding = principal, accepted_at_ms = $2 \
         WHERE id = $1",
        &[&key(loan.0), &ms(now)],
    )?;
    Ok(None)
}

/// The ledger's `loans::repay`, without interest: a payment reduces the outstanding
/// principal, and the payment that clears it releases the collateral.
fn repay_loan(
    ctx: &mut Ctx<'_, '_>,
    actor: &Actor,
    payment: &LoanPayment,
) -> RuleResult<Option<u64>> {
    let row = ctx
        .opt(
            "SELECT lender, status, outstanding, currency FROM loans WHERE id = $1 FOR UPDATE",
            &[&key(payment.loan.0)],
        )?
        .ok_or(Rejection::LoanUnknown)?;
    let currency: Option<i64> = row.get(3);
    let currency = currency.ok_or(Rejection::DenominationOffLedger)?;
    let payer = signer_owner(actor).ok_or(Rejection::SignerUnknown)?;
    ensure(payment.amount > Amount::ZERO, Rejection::AmountZero)?;
    let status: &str = row.get(1);
    ensure(status == "active", Rejection::LoanNotActive)?;
    let outstanding: i64 = row.get(2);
    let paid = amount(payment.amount).map_err(|_| Rejection::RepaymentExceedsDebt)?;
    ensure(paid <= outstanding, Rejection::RepaymentExceedsDebt)?;
    let lender: i64 = row.get(0);
    let lender = encode(&Owner::Institution(InstitutionId(id(lender))));
    let payer = encode(&payer);
    move_funds(ctx, currency, &payer, &lender, paid)?;
    let left = outstanding - paid;
    if left > 0 {
        ctx.exec(
            "UPDATE loans SET outstanding = $2 WHERE id = $1",
            &[&key(payment.loan.0), &left],
        )?;
        return Ok(None);
    }
    // Repaid: the collateral is released in the same transaction.
    let terms: Vec<u8> = ctx
        .all(
            "UPDATE loans SET outstanding = 0, status = 'repaid' WHERE id = $1 RETURNING terms",
            &[&key(payment.loan.0)],
        )?
        .first()
        .map(|row| row.get(0))
        .unwrap_or_default();
    let terms: LoanTerms = decode(&terms).expect("stored terms decode");
    let assets: Vec<i64> = collateral_assets(&terms).iter().map(|a| key(a.0)).collect();
    if !assets.is_empty() {
        ctx.exec(
            "UPDATE assets SET pledged_to = NULL WHERE id = ANY($1) AND pledged_to = $2",
            &[&assets, &key(payment.loan.0)],
        )?;
    }
    let borrower = encode(&terms.borrower);
    for item in terms.collateral.iter() {
        if let Collateral::Funds(pledge) = item {
            let pledged = amount(pledge.amount)?;
            ctx.exec(
                "UPDATE balances SET available = available + $3, locked = locked - $3 \
                 WHERE currency = $1 AND owner = $2",
                &[&key(pledge.currency.0), &borrower, &pledged],
            )?;
        }
    }
    Ok(None)
}
