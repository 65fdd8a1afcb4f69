//! Credit records: furnishing, superseding, and the retention purge.
//!
//! Every record belongs to an account (furnisher, subject, account reference), tracked as a
//! [`FurnishedAccount`]. The account is what keeps a dispute from being gone around:
//!
//! - a record with an open dispute is superseded only by the dispute's answer
//!   ([`Rejection::RecordUnderDispute`]), and one dispute per account is open at a time;
//! - every record furnished on an account carries its dispute history as a Metro 2
//!   compliance condition the ledger sets (`XB` while a dispute is open, `XH` after one was
//!   resolved), which the furnisher cannot leave out;
//! - a deleted account (a deletion status, a dispute answered `deleted`, or a lapsed dispute)
//!   is reported with none of its records, and comes back only by a record that supersedes
//!   the one that deleted it, which the subject is told of ([`Event::AccountReinstated`]);
//!   anything else is [`Rejection::AccountDeleted`].

use crate::{
    checks,
    exec::{Exec, RuleResult, ensure},
    state::StateRead,
};
use credence_types::{
    RecordId, Rejection,
    metro2::ComplianceCondition,
    metro2::StatusClass,
    receipt::Event,
    state::{Compliance, FurnishedAccount, Institution, Record, StateKey, Subject},
    transaction::Furnishing,
};

/// A furnisher reports a record; returns its id.
pub(crate) fn furnish<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    furnisher: &Institution,
    f: &Furnishing,
) -> RuleResult<RecordId> {
    let mut subject: Subject =
        exec.require(&StateKey::subject(&f.subject), Rejection::SubjectUnknown)?;
    ensure(
        f.report_key_epoch == subject.report_key_epoch,
        Rejection::ReportKeyEpochStale,
    )?;
    checks::furnishing(f, exec.now().date())?;
    let deletes = f.status.class() == StatusClass::Deletion;

    let account: Option<FurnishedAccount> = exec.load(&StateKey::furnished_account(
        furnisher.id,
        subject.number,
        &f.account,
    ))?;
    let deleted_by = account.and_then(|account| account.deleted);

    let id = exec.next_id(|c| &mut c.record, RecordId::next)?;

    if let Some(previous_id) = f.supersedes {
        let mut previous: Record =
            exec.require(&StateKey::record(previous_id), Rejection::RecordUnknown)?;
        ensure(
            previous.furnisher == furnisher.id
                && previous.subject == f.subject
                && previous.account == f.account,
            Rejection::SupersedeForeignRecord,
        )?;
        ensure(
            previous.superseded_by.is_none(),
            Rejection::RecordAlreadySuperseded,
        )?;
        ensure(
            previous.open_dispute.is_none(),
            Rejection::RecordUnderDispute,
        )?;
        // The record that deleted the account is the one deleted record a furnisher may
        // supersede: that is the account's reinstatement.
        ensure(
            !previous.deleted || deleted_by == Some(previous_id),
            Rejection::RecordDeleted,
        )?;
        previous.superseded_by = Some(id);
        if deletes {
            previous.deleted = true;
        }
        exec.store(StateKey::record(previous_id), &previous);
    }
    ensure(
        deleted_by.is_none() || deleted_by == f.supersedes,
        Rejection::AccountDeleted,
    )?;

    store_record(
        exec,
        furnisher.id,
        &mut subject,
        id,
        NewRecord {
            account: f.account,
            status: f.status,
            first_delinquency: f.first_delinquency,
            as_of: f.as_of,
            report_key_epoch: f.report_key_epoch,
            payload: Some(f.payload.clone()),
            commitment: f.commitment,
            supersedes: f.supersedes,
            loan: None,
        },
    )?;
    Ok(id)
}

/// A record about to be stored: what both furnishers and loan contracts provide.
pub(crate) struct NewRecord {
    pub(crate) account: credence_types::Digest,
    pub(crate) status: credence_types::metro2::AccountStatus,
    pub(crate) first_delinquency: Option<credence_types::Date>,
    pub(crate) as_of: credence_types::Date,
    pub(crate) report_key_epoch: u32,
    pub(crate) payload: Option<credence_types::sealed::SealedPayload>,
    pub(crate) commitment: credence_types::Digest,
    pub(crate) supersedes: Option<RecordId>,
    pub(crate) loan: Option<credence_types::LoanId>,
}

/// Stores record `id` about `subject` (the supersession link, if any, already checked and
/// written) with its account's compliance condition, moves the account on, queues the
/// record's purge if it is negative, lists it on the subject's file, and emits
/// `record_furnished`, `account_reinstated` when it brings a deleted account back, and
/// `adverse` for an adverse status.
pub(crate) fn store_record<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    furnisher: credence_types::InstitutionId,
    subject: &mut Subject,
    id: RecordId,
    record: NewRecord,
) -> RuleResult {
    // Negative information is kept for the retention period after the date of first
    // delinquency (FCRA §605); after that only the commitment remains.
    let negative = matches!(
        record.status.class(),
        StatusClass::Delinquent | StatusClass::Derogatory | StatusClass::PaidDerogatory
    );
    let purge_on = match (negative, record.first_delinquency) {
        (true, Some(first)) => {
            let years = exec.meta()?.parameters.retention_years;
            Some(first.plus_years(u32::from(years)))
        }
        _ => None,
    };
    if let Some(on) = purge_on {
        exec.mark(StateKey::purge_queue(on, id));
    }
    let status = record.status;
    let supersedes = record.supersedes;
    let account_key = StateKey::furnished_account(furnisher, subject.number, &record.account);
    let mut account = exec.load(&account_key)?.unwrap_or(FurnishedAccount {
        furnisher,
        subject: subject.id,
        account: record.account,
        latest: id,
        records: 0,
        open_dispute: None,
        last_dispute: None,
        deleted: None,
    });
    let compliance = match (account.open_dispute, account.last_dispute) {
        (Some(dispute), _) => Some(Compliance {
            code: ComplianceCondition::Xb,
            dispute,
        }),
        (None, Some(dispute)) => Some(Compliance {
            code: ComplianceCondition::Xh,
            dispute,
        }),
        (None, None) => None,
    };
    let reinstates = account
        .deleted
        .filter(|deleted| supersedes == Some(*deleted));
    if reinstates.is_some() {
        account.deleted = None;
    }
    if status.class() == StatusClass::Deletion {
        account.deleted = Some(id);
    }
    account.latest = id;
    account.records = account
        .records
        .checked_add(1)
        .ok_or(Rejection::IdsExhausted)?;
    exec.store(account_key, &account);
    exec.store(
        StateKey::record(id),
        &Record {
            id,
            furnisher,
            subject: subject.id,
            account: record.account,
            status: record.status,
            first_delinquency: record.first_delinquency,
            as_of: record.as_of,
            report_key_epoch: record.report_key_epoch,
            payload: record.payload,
            commitment: record.commitment,
            supersedes: record.supersedes,
            superseded_by: None,
            furnished_at: exec.now(),
            purge_on,
            open_dispute: None,
            deleted: false,
            loan: record.loan,
            compliance,
        },
    );
    let sequence = subject.listings.records;
    exec.store(StateKey::subject_record(subject.number, sequence), &id);
    subject.listings.records = sequence.checked_add(1).ok_or(Rejection::IdsExhausted)?;
    exec.store(StateKey::subject(&subject.id), &*subject);
    exec.emit(Event::RecordFurnished {
        record: id,
        subject: subject.id,
        furnisher,
        status,
        supersedes,
    });
    if let Some(reinstates) = reinstates {
        exec.emit(Event::AccountReinstated {
            record: id,
            subject: subject.id,
            furnisher,
            reinstates,
        });
    }
    if status.is_adverse() {
        exec.emit(Event::Adverse {
            subject: subject.id,
            record: id,
            furnisher,
            status,
        });
    }
    Ok(())
}
