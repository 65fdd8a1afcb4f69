//! The credit report as people read it: aligned columns, and colour on a terminal.

use credence_client::report::CreditReport;
use credence_types::{metro2::PaymentMonth, money::Amount, state::InquiryBasis};
use std::fmt::Write as _;

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

/// Renders `report`; `colour` adds ANSI colour (for a terminal).
pub fn report(report: &CreditReport, colour: bool) -> String {
    let paint = |code: &str, text: &str| {
        if colour {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", paint(BOLD, "CREDIT REPORT"));
    let _ = writeln!(out, "subject   {}", report.subject);
    let _ = writeln!(out, "as of     {}", report.as_of);
    let _ = writeln!(
        out,
        "proven    every entry against the validators' block {}",
        report.height.0
    );
    let _ = writeln!(out);

    match (&report.score, &report.unscorable) {
        (Some(score), _) => {
            let _ = writeln!(
                out,
                "{} {}  (300–850)",
                paint(BOLD, "SCORE"),
                paint(BOLD, &score.value.to_string())
            );
            for reason in &score.reasons {
                let _ = writeln!(out, "  {}  {}", reason.code(), reason.text());
            }
        }
        (None, why) => {
            let why = why.map_or_else(String::new, |why| format!(": {why}"));
            let _ = writeln!(out, "{} none{why}", paint(BOLD, "SCORE"));
        }
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "{}", paint(BOLD, "ACCOUNTS"));
    let header = format!(
        "{:<12} {:<12} {:<6} {:<10} {:>14} {:>14} {:>12}  {}",
        "furnisher",
        "type",
        "status",
        "opened",
        "balance",
        "limit",
        "past due",
        "history (newest first)"
    );
    let _ = writeln!(out, "{header}");
    if report.accounts.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for account in &report.accounts {
        let status = account.status.to_string();
        let status = if account.status.is_adverse() {
            paint(RED, &format!("{status:<6}"))
        } else {
            paint(GREEN, &format!("{status:<6}"))
        };
        let (kind, opened, balance, limit, past_due, history) = match &account.tradeline {
            Some(t) => (
                format!("{:?}", t.portfolio_type).to_lowercase(),
                t.date_opened.to_string(),
                money(t.current_balance, t.currency.as_str()),
                money(t.credit_limit, t.currency.as_str()),
                money(t.amount_past_due, t.currency.as_str()),
                t.payment_history
                    .as_slice()
                    .iter()
                    .map(|month| month_code(*month))
                    .collect::<String>(),
            ),
            None => (
                "contract".to_string(),
                "-".to_string(),
                "-".to_string(),
                "-".to_string(),
                "-".to_string(),
                String::new(),
            ),
        };
        let disputed = match (account.disputed, account.compliance) {
            (true, _) => "  (disputed)".to_string(),
            (false, Some(condition)) => format!("  ({}: {})", condition.code(), condition.label()),
            (false, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "{:<12} {:<12} {} {:<10} {:>14} {:>14} {:>12}  {}{}",
            truncate(&account.furnisher_name, 12),
            truncate(&kind, 12),
            status,
            opened,
            balance,
            limit,
            past_due,
            history,
            disputed
        );
        for discrepancy in &account.discrepancies {
            let _ = writeln!(
                out,
                "  {} {}: the ledger says {}, the sealed record {} (shown)",
                paint(RED, "!"),
                discrepancy.field,
                discrepancy.ledger,
                discrepancy.sealed
            );
        }
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "{}", paint(BOLD, "INQUIRIES"));
    if report.inquiries.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for inquiry in &report.inquiries {
        let basis = match &inquiry.basis {
            InquiryBasis::Consent(c) => format!("{}, {}", name(&c.purpose), name(&c.kind)),
            InquiryBasis::Supervisory(_) => "supervisory".to_string(),
        };
        let _ = writeln!(
            out,
            "  {}  {:<8} {}",
            inquiry.at.date(),
            inquiry.institution,
            basis
        );
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "{}", paint(BOLD, "DISPUTES"));
    if report.disputes.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for dispute in &report.disputes {
        let _ = writeln!(
            out,
            "  {}  record {}  {:?}  {}",
            dispute.opened_at.date(),
            dispute.record,
            dispute.reason,
            dispute
                .resolution
                .map_or("open".to_string(), |r| format!("{r:?}").to_lowercase())
        );
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "{}", paint(BOLD, "LOANS AND PLEDGED COLLATERAL"));
    if report.loans.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for loan in &report.loans {
        let _ = writeln!(
            out,
            "  {}  lender {}  {:?}  principal {}  outstanding {}",
            loan.id, loan.lender, loan.status, loan.terms.principal, loan.principal
        );
    }
    for asset in &report.pledged {
        let _ = writeln!(
            out,
            "  {} pledged to {}",
            asset.id,
            asset.lock.map_or("-".to_string(), |l| l.to_string())
        );
    }
    out
}

/// An amount in minor units, shown with two decimals (exactly: no rounding).
fn money(amount: Amount, currency: &str) -> String {
    format!("{}.{:02} {currency}", amount.0 / 100, amount.0 % 100)
}

fn month_code(month: PaymentMonth) -> char {
    serde_json::to_value(month)
        .ok()
        .and_then(|v| v.as_str().and_then(|s| s.chars().next()))
        .unwrap_or('?')
}

/// A value's JSON name (`credit_application`, `hard`).
fn name(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn truncate(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}

#[cfg(test)]
mod tests {
    use credence_client::report::{File, assemble};
    use credence_ledger::testkit::tradeline;
    use credence_types::{
        ConsentId, Date, Digest, InquiryId, InstitutionId, RecordId, SubjectId, TimestampMs,
        metro2::AccountStatus,
        state::{ConsentInquiry, Inquiry, InquiryBasis, Record},
        transaction::{InquiryKind, Purpose},
    };
    use std::collections::BTreeMap;

    fn record(id: u64, furnisher: u64, status: AccountStatus, as_of: Date) -> Record {
        let first_delinquency = status.requires_first_delinquency().then_some(as_of);
        Record {
            id: RecordId(id),
            furnisher: InstitutionId(furnisher),
            subject: SubjectId([7; 32]),
            account: Digest([u8::try_from(furnisher).unwrap(); 32]),
            status,
            first_delinquency,
            as_of,
            report_key_epoch: 0,
            payload: None,
            commitment: Digest([0; 32]),
            supersedes: None,
            superseded_by: None,
            furnished_at: TimestampMs(0),
            purge_on: None,
            open_dispute: None,
            deleted: false,
            loan: None,
            compliance: None,
        }
    }

    /// The report table, pinned: two furnishers (one late), a hard inquiry, a score with
    /// its reasons. `CREDENCE_BLESS=1` rewrites the snapshot.
    #[test]
    fn the_report_table_matches_its_snapshot() {
        let as_of = Date::from_ymd(2026, 11, 1).unwrap();
        let records = vec![
            record(0, 0, AccountStatus::Current, as_of),
            record(1, 2, AccountStatus::PastDue30, as_of),
        ];
        let mut opened = BTreeMap::new();
        opened.insert(
            RecordId(0),
            tradeline("CARD-1", AccountStatus::Current, as_of, None),
        );
        opened.insert(
            RecordId(1),
            tradeline("AUTO-2", AccountStatus::PastDue30, as_of, Some(as_of)),
        );
        let names = [(0, "bank-a"), (2, "bank-c")]
            .into_iter()
            .map(|(id, name)| (InstitutionId(id), name.to_string()))
            .collect();
        let inquiries = vec![Inquiry {
            id: InquiryId(0),
            subject: SubjectId([7; 32]),
            institution: InstitutionId(1),
            basis: InquiryBasis::Consent(ConsentInquiry {
                consent: ConsentId(0),
                purpose: Purpose::CreditApplication,
                kind: InquiryKind::Hard,
            }),
            at: TimestampMs(u64::from(as_of.0) * 86_400_000),
        }];
        let report = assemble(
            SubjectId([7; 32]),
            as_of,
            File {
                records,
                opened,
                inquiries,
                names,
                ..File::default()
            },
        );
        let rendered = super::report(&report, false);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/report.txt");
        if std::env::var_os("CREDENCE_BLESS").is_some() {
            std::fs::write(path, &rendered).unwrap();
        }
        let pinned = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            pinned == rendered,
            "the report table changed; review and run with CREDENCE_BLESS=1:\n{rendered}"
        );
        // Colour only on a terminal.
        assert!(!rendered.contains('\x1b'));
        assert!(super::report(&report, true).contains("\x1b[31m"));
    }
}
