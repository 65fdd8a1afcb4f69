//! Every size limit in the format, named once.
//!
//! A limit here is part of consensus: changing one changes which transactions and blocks
//! are valid, so it is a reviewed format change like a fixture update.

/// Largest encoded signed transaction, in bytes.
pub const TRANSACTION_BYTES_MAX: usize = 64 * 1024;
/// Largest sealed credit payload (HPKE ciphertext of one Metro 2 record), in bytes.
pub const SEALED_PAYLOAD_BYTES_MAX: usize = 8 * 1024;
/// Most report-key epochs a subject may have; a consent wraps one key per epoch.
pub const REPORT_KEY_EPOCHS_MAX: usize = 128;
/// Encoded report key wrapped for one reader: its epoch (4), the HPKE encapsulated key (32)
/// and the sealed 32-byte secret with its tag (48). A consent holds up to
/// [`REPORT_KEY_EPOCHS_MAX`] of them.
pub const WRAPPED_REPORT_KEY_BYTES: usize = 4 + 32 + 48;
/// Most consents a subject may have active at once; a key rotation re-wraps for each.
pub const ACTIVE_CONSENTS_PER_SUBJECT_MAX: usize = 32;
/// Longest chain id, in bytes.
pub const CHAIN_ID_BYTES_MAX: usize = 32;
/// Longest institution handle (e.g. `bank-a`), in bytes.
pub const INSTITUTION_NAME_BYTES_MAX: usize = 32;
/// Most institutions in a genesis file.
pub const GENESIS_INSTITUTIONS_MAX: usize = 256;
/// Most validators in one epoch: the bound of the validator set in state, of the p2p peer
/// sets, and of a certificate's signatures. BFT voting is all-to-all, and every p2p channel's
/// inbound mailbox is sized for a quota burst from every peer the node may track, so the
/// bound is kept to what a consortium of lenders needs (f = 10 at 32).
pub const VALIDATORS_MAX: usize = 32;
/// Most entries a begin-block step processes from one deadline queue in one block; the rest
/// wait for the next block, so a burst of deadlines cannot make one block unbounded.
pub const DEADLINES_PER_BLOCK_MAX: usize = 1024;
/// Longest free-text field inside a sealed Metro 2 record, in bytes.
pub const METRO2_TEXT_BYTES_MAX: usize = 64;
/// Longest Metro 2 data record a sealed record carries with its tradeline (the base segment
/// and its appended segments, character format, record descriptor word included): room for
/// the base, every single segment and a dozen associated consumers.
pub const METRO2_RECORD_BYTES_MAX: usize = 4 * 1024;
// The record, a tradeline of five free-text fields at their longest and the rest (under
// 512 bytes), the salt and the seal's tag fit a sealed payload.
const _: () = assert!(
    METRO2_RECORD_BYTES_MAX + 8 + 5 * METRO2_TEXT_BYTES_MAX + 512 + 32 + 16
        <= SEALED_PAYLOAD_BYTES_MAX
);
/// Length of a Metro 2 payment history profile: 24 months, newest first.
pub const PAYMENT_HISTORY_MONTHS: usize = 24;
/// Most transactions a block may hold (the format's bound; nodes build smaller blocks).
pub const BLOCK_TRANSACTIONS_MAX: usize = 65_536;
/// Largest encoded block, in bytes (the format's bound; nodes build smaller blocks).
pub const BLOCK_BYTES_MAX: usize = 32 * 1024 * 1024;
/// Most items of collateral one loan may pledge.
pub const COLLATERAL_ITEMS_MAX: usize = 16;
/// Most installments a loan may have (50 years of monthly payments).
pub const INSTALLMENTS_MAX: u16 = 600;
/// Most overdue installments a loan tracks; a loan defaults long before (cure periods are
/// bounded), so this is never reached by a loan that follows its terms.
pub const OVERDUE_INSTALLMENTS_MAX: usize = 64;
/// Longest cure period a loan may set, in days.
pub const CURE_DAYS_MAX: u16 = 1_000;
// Installments fall due at most once every 28 days, so in a cure period fewer than
// `CURE_DAYS_MAX / 28 + 2` can be overdue before the loan defaults: the overdue list never
// fills for a loan that follows its terms.
const _: () = assert!(OVERDUE_INSTALLMENTS_MAX > CURE_DAYS_MAX as usize / 28 + 2);

/// Largest encoded event of a block (its source and the event), in bytes. Events name
/// objects by id and pseudonym only; `state::largest` builds the largest of every kind.
pub const BLOCK_EVENT_BYTES_MAX: usize = 128;
/// Events stored under one key. A block's events are kept in chunks of this many (the
/// last one shorter), so that no stored value grows with the block: the largest chunk is
/// `EVENTS_PER_CHUNK * BLOCK_EVENT_BYTES_MAX` and a few bytes.
pub const EVENTS_PER_CHUNK: usize = 64;
/// Bytes of a stored object's encoding outside its one large field (a sealed payload, a
/// list of wrapped keys, a chunk of events): ids, keys, times, flags and short lists (the
/// largest object without a large field, a loan with its full collateral and overdue lists,
/// is 1,307 bytes). `state::largest` checks every object against it.
pub const OBJECT_FIELDS_BYTES_MAX: usize = 2 * 1024;

const fn larger(a: usize, b: usize) -> usize {
    if a > b { a } else { b }
}

/// Largest value any state key holds, in bytes: the largest of the three large fields an
/// object may carry (a record's sealed payload, a consent's wrapped keys, a chunk of block
/// events), plus the rest of the object. Every proof of a key, or of a key's absence beside
/// any stored value, is bounded by this plus the Merkle path (see `credence_light::proof`),
/// and the store refuses to write a larger value. The test
/// `every_stored_objects_largest_encoding_fits_the_value_bound` builds the largest value of
/// every table and checks it.
pub const STATE_VALUE_BYTES_MAX: usize = OBJECT_FIELDS_BYTES_MAX
    + larger(
        SEALED_PAYLOAD_BYTES_MAX,
        larger(
            REPORT_KEY_EPOCHS_MAX * WRAPPED_REPORT_KEY_BYTES,
            EVENTS_PER_CHUNK * BLOCK_EVENT_BYTES_MAX,
        ),
    );
