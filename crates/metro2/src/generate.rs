//! Deterministic generation of valid files, for tests and benchmarks.
//!
//! Owns [`file()`], [`data_record`] and the small [`Rng`] behind them. The same `(accounts,
//! seed, layout)` always gives the same file, so a failing test or a benchmark figure can be
//! reproduced from its seed. Every generated file passes [`validate`](fn@crate::validate), and the
//! first data record carries every appended segment type (two J1s, J2, K1, K2, K3, K4, L1, N1)
//! so even a one-account file exercises every layout.
//!
//! This module is for tests and benchmarks (this crate's, the importer's): its data are
//! invented and its mix of statuses and segments is not a model of any real portfolio.

use crate::base::{Base, BaseRecord};
use crate::codes::{ACCOUNT_TYPES, AccountStatus, PAYMENT_RATINGS, PortfolioType};
use crate::header::Header;
use crate::layout::Layout;
use crate::model::File;
use crate::segments::{J1, J2, K1, K2, K3, K4, L1, N1};
use crate::text::Text;
use crate::trailer::recompute_trailer;
use crate::value::{Date, DateField, DateTime, Num};

/// A xorshift64* generator: tiny, fast, deterministic; not for anything secret.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, zero included).
    pub fn new(seed: u64) -> Self {
        // Spread the seed so that nearby seeds give unrelated streams, and avoid the zero state.
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`; the tiny modulo bias does not matter here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// An index into a slice of length `len`.
    pub fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(u64::try_from(len).unwrap_or(u64::MAX))).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.index(items.len())]
    }

    fn small(&mut self, lo: u8, hi: u8) -> u8 {
        lo + u8::try_from(self.below(u64::from(hi - lo) + 1)).unwrap_or(0)
    }

    fn date(&mut self, first_year: u16, last_year: u16) -> Date {
        let span = u64::from(last_year - first_year) + 1;
        let year = first_year + u16::try_from(self.below(span)).unwrap_or(0);
        // Day 1–28 is on the calendar in every month.
        Date::new(year, self.small(1, 12), self.small(1, 28)).unwrap_or(FALLBACK_DATE)
    }
}

/// Used only if the calendar arithmetic above were wrong; it is a valid date.
const FALLBACK_DATE: Date = match Date::new(2000, 1, 1) {
    Some(d) => d,
    None => panic!("2000-01-01 is a date"),
};

const SURNAMES: &[&str] = &[
    "SMITH",
    "JOHNSON",
    "WILLIAMS",
    "BROWN",
    "JONES",
    "GARCIA",
    "MILLER",
    "DAVIS",
    "SMITH-JONES",
    "DE LA CRUZ",
];
const FIRST_NAMES: &[&str] = &[
    "JAMES",
    "MARY",
    "ROBERT",
    "PATRICIA",
    "JOHN",
    "JENNIFER",
    "MICHAEL",
    "LINDA",
    "DAVID",
    "ELIZABETH",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("HOUSTON", "TX", "77001"),
    ("SPRINGFIELD", "IL", "62701"),
    ("LANSING", "MI", "48901"),
    ("ATLANTA", "GA", "30301"),
    ("PORTLAND", "OR", "97201"),
];
const STREETS: &[&str] = &[
    "MAIN ST", "OAK AVE", "MAPLE DR", "CEDAR LN", "ELM ST", "PINE RD",
];

fn text<const N: usize>(s: &str) -> Text<N> {
    // The generator's own constants all fit their fields; a mistake shows up as a blank
    // field and a failing validation test, not a panic.
    Text::new(s).unwrap_or_default()
}

fn amount(rng: &mut Rng, max: u64) -> Num<9> {
    Num::Value(rng.below(max))
}

/// The header of a generated file.
pub fn header(rng: &mut Rng) -> Header {
    Header {
        cycle_identifier: text("01"),
        equifax_program_identifier: text("EFX0000001"),
        experian_program_identifier: text("EXP01"),
        transunion_program_identifier: text("TU00000001"),
        activity_date: DateField::Value(rng.date(2024, 2024)),
        date_created: DateField::Value(rng.date(2024, 2024)),
        program_date: DateField::Value(rng.date(2015, 2020)),
        program_revision_date: DateField::Value(rng.date(2021, 2023)),
        reporter_name: text("CREDENCE TEST FURNISHER"),
        reporter_address: text("1 LEDGER WAY SPRINGFIELD IL 62701"),
        reporter_telephone_number: Num::Value(2_175_550_100),
        software_vendor_name: text("CREDENCE"),
        software_version_number: text("0.1"),
        ..Header::default()
    }
}

/// A valid base segment for account number `index`.
pub fn base(rng: &mut Rng, index: usize) -> Base {
    let (account_type, portfolios, _) = rng.pick(ACCOUNT_TYPES);
    let portfolio = *rng.pick(portfolios);
    let status = *rng.pick(&AccountStatus::ALL);
    let rating = if status.requires_payment_rating() {
        let r = [*rng.pick(PAYMENT_RATINGS)];
        Text::from_bytes(&r).unwrap_or_default()
    } else {
        Text::BLANK
    };
    let terms = match portfolio {
        PortfolioType::LineOfCredit => "LOC".to_owned(),
        PortfolioType::Revolving => "REV".to_owned(),
        PortfolioType::Open => "001".to_owned(),
        PortfolioType::Installment | PortfolioType::Mortgage => {
            format!("{:03}", 12 * u32::from(rng.small(1, 30)))
        }
    };
    let revolving = matches!(
        portfolio,
        PortfolioType::LineOfCredit | PortfolioType::Revolving
    );
    let (city, state, zip) = *rng.pick(CITIES);
    let opened = rng.date(1995, 2023);
    let stamp = DateTime::new(
        rng.date(2024, 2024),
        rng.small(0, 23),
        rng.small(0, 59),
        rng.small(0, 59),
    );
    Base {
        processing_indicator: text("1"),
        time_stamp: stamp.map_or(DateField::Zero, DateField::Value),
        correction_indicator: text("0"),
        identification_number: text(&format!("FURN{:06}", rng.below(1_000_000))),
        cycle_identifier: text("01"),
        consumer_account_number: text(&format!("ACCT{index:012}{:04}", rng.below(10_000))),
        portfolio_type: text(portfolio.code()),
        account_type: text(account_type),
        date_opened: DateField::Value(opened),
        credit_limit: if revolving {
            amount(rng, 50_000)
        } else {
            Num::Value(0)
        },
        highest_credit: amount(rng, 500_000),
        terms_duration: text(&terms),
        terms_frequency: text(if portfolio == PortfolioType::Open {
            "P"
        } else {
            "M"
        }),
        scheduled_monthly_payment_amount: amount(rng, 5_000),
        actual_payment_amount: amount(rng, 5_000),
        account_status: text(status.code()),
        payment_rating: rating,
        payment_history_profile: payment_history(rng),
        special_comment: text(if rng.chance(10) { "M" } else { "" }),
        compliance_condition_code: text(if rng.chance(5) { "XB" } else { "" }),
        current_balance: amount(rng, 400_000),
        amount_past_due: amount(rng, 10_000),
        original_charge_off_amount: if rng.chance(10) {
            amount(rng, 20_000)
        } else {
            Num::Value(0)
        },
        date_of_account_information: DateField::Value(rng.date(2024, 2024)),
        date_of_first_delinquency: if rng.chance(30) {
            DateField::Value(rng.date(2020, 2024))
        } else {
            DateField::Zero
        },
        date_closed: if rng.chance(20) {
            DateField::Value(rng.date(2020, 2024))
        } else {
            DateField::Zero
        },
        date_of_last_payment: DateField::Value(rng.date(2023, 2024)),
        interest_type_indicator: text(rng.pick_str(&["F", "V", ""])),
        surname: text(rng.pick_str(SURNAMES)),
        first_name: text(rng.pick_str(FIRST_NAMES)),
        middle_name: text(rng.pick_str(&["A", "LEE", ""])),
        generation_code: text(rng.pick_str(&["", "", "J", "S", "2"])),
        social_security_number: Num::Value(if rng.chance(95) {
            100_000_000 + rng.below(700_000_000)
        } else {
            0
        }),
        date_of_birth: DateField::Value(rng.date(1940, 2003)),
        telephone_number: Num::Value(if rng.chance(80) {
            2_000_000_000 + rng.below(7_999_999_999)
        } else {
            0
        }),
        ecoa_code: text(rng.pick_str(&["1", "1", "1", "2", "Z"])),
        country_code: text("US"),
        first_line_of_address: text(&format!("{} {}", 1 + rng.below(9_999), rng.pick(STREETS))),
        city: text(city),
        state: text(state),
        postal_code: text(zip),
        address_indicator: text(rng.pick_str(&["Y", "C", ""])),
        residence_code: text(rng.pick_str(&["O", "R", ""])),
        ..Base::default()
    }
}

/// 24 months of history, most recent first, with the oldest months B-filled at random.
fn payment_history(rng: &mut Rng) -> Text<24> {
    const KNOWN: &[u8] = b"0000000123456DEGHJKL";
    let known = usize::try_from(rng.below(25)).unwrap_or(24);
    let mut months = [b'B'; 24];
    for m in months.iter_mut().take(known) {
        *m = *rng.pick(KNOWN);
    }
    Text::from_bytes(&months).unwrap_or_default()
}

fn consumer_names(rng: &mut Rng) -> (Text<25>, Text<20>) {
    (
        text(rng.pick_str(SURNAMES)),
        text(rng.pick_str(FIRST_NAMES)),
    )
}

fn j1(rng: &mut Rng) -> J1 {
    let (surname, first_name) = consumer_names(rng);
    J1 {
        surname,
        first_name,
        social_security_number: Num::Value(100_000_000 + rng.below(700_000_000)),
        date_of_birth: DateField::Value(rng.date(1940, 2003)),
        telephone_number: Num::Value(if rng.chance(50) {
            3_000_000_000 + rng.below(6_000_000_000)
        } else {
            0
        }),
        ecoa_code: text(rng.pick_str(&["2", "3", "Z"])),
        ..J1::default()
    }
}

fn j2(rng: &mut Rng) -> J2 {
    let (surname, first_name) = consumer_names(rng);
    let (city, state, zip) = *rng.pick(CITIES);
    J2 {
        surname,
        first_name,
        social_security_number: Num::Value(if rng.chance(80) {
            100_000_000 + rng.below(700_000_000)
        } else {
            0
        }),
        date_of_birth: if rng.chance(80) {
            DateField::Value(rng.date(1940, 2003))
        } else {
            DateField::Zero
        },
        ecoa_code: text(rng.pick_str(&["2", "5", "7"])),
        country_code: text("US"),
        first_line_of_address: text(&format!("{} {}", 1 + rng.below(9_999), rng.pick(STREETS))),
        city: text(city),
        state: text(state),
        postal_code: text(zip),
        address_indicator: text("Y"),
        residence_code: text("R"),
        ..J2::default()
    }
}

/// A valid data record for account number `index`; `every_segment` appends one of each
/// segment type (two J1s), otherwise segments are appended at random.
pub fn data_record(rng: &mut Rng, index: usize, every_segment: bool) -> BaseRecord {
    let mut r = BaseRecord::new(base(rng, index));
    let maybe = |rng: &mut Rng, percent| every_segment || rng.chance(percent);
    let j1s = if every_segment {
        2
    } else {
        usize::from(maybe(rng, 8)) + usize::from(maybe(rng, 2))
    };
    r.j1 = (0..j1s).map(|_| j1(rng)).collect();
    if maybe(rng, 6) {
        r.j2.push(j2(rng));
    }
    if maybe(rng, 4) {
        r.k1 = Some(K1 {
            original_creditor_name: text("ORIGINAL BANK NA"),
            creditor_classification: Num::Value(1 + rng.below(15)),
        });
    }
    if maybe(rng, 3) {
        r.k2 = Some(K2 {
            purchased_or_sold_indicator: Num::Value(1 + rng.below(2)),
            purchased_or_sold_name: text("PORTFOLIO BUYER LLC"),
            ..K2::default()
        });
    }
    if maybe(rng, 5) {
        r.k3 = Some(K3 {
            agency_identifier: Num::Value(1 + rng.below(2)),
            account_number: text(&format!("{:012}", rng.below(1_000_000_000_000))),
            mortgage_identification_number: text(&format!("{:018}", rng.below(u64::MAX / 100))),
        });
    }
    if maybe(rng, 3) {
        r.k4 = Some(K4 {
            specialized_payment_indicator: Num::Value(1),
            balloon_payment_due_date: DateField::Value(rng.date(2025, 2035)),
            balloon_payment_amount: amount(rng, 100_000),
            ..K4::default()
        });
    }
    if maybe(rng, 2) {
        r.l1 = Some(L1 {
            change_indicator: Num::Value(1),
            new_consumer_account_number: text(&format!("NEW{index:012}")),
            ..L1::default()
        });
    }
    if maybe(rng, 8) {
        r.n1 = Some(N1 {
            employer_name: text("ACME WIDGETS INC"),
            first_line_of_employer_address: text("500 INDUSTRIAL PKWY"),
            employer_city: text("LANSING"),
            employer_state: text("MI"),
            employer_postal_code: text("48901"),
            occupation: text("MACHINIST"),
            ..N1::default()
        });
    }
    r
}

/// A valid file of `accounts` data records in `layout`, with its trailer totals computed.
pub fn file(accounts: usize, seed: u64, layout: Layout) -> File {
    let mut rng = Rng::new(seed);
    let header = header(&mut rng);
    let bases = (0..accounts)
        .map(|i| data_record(&mut rng, i, i == 0))
        .collect();
    let mut file = File {
        layout,
        header,
        bases,
        ..File::default()
    };
    recompute_trailer(&mut file);
    file
}
