// Reading an opened record: the canonical encoding of a Metro 2 tradeline (Credence's
// `RecordPlaintext`, commonware-codec), into the same JSON shape the API uses for a
// tradeline. Only the borrower portal needs this: it opens the subject's own records in
// the browser, so the plaintext never goes to a server to be read.
//
// The encoding: integers big-endian at fixed width; lengths as unsigned LEB128; options as
// one byte 0/1 then the value; enums as one tag byte; dates as days since 1970-01-01.
// The tag tables below are wire tags, pinned by record.test.mjs against bytes Rust wrote.

import { ACCOUNT_STATUSES, METRO2_RECORD_BYTES_MAX, PAYMENT_HISTORY_MONTHS } from './constants.js';

const PORTFOLIO = {
  1: 'line_of_credit',
  2: 'installment',
  3: 'mortgage',
  4: 'open',
  5: 'revolving',
};
const MONTHS = ['0', '1', '2', '3', '4', '5', '6', 'B', 'D', 'E', 'G', 'H', 'J', 'K', 'L'];

class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = 0;
  }

  take(length) {
    if (this.at + length > this.bytes.length) throw new Error('the record ends early');
    const slice = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return slice;
  }

  u8() {
    return this.take(1)[0];
  }

  // Each read takes its bytes before looking at them, so a short record always fails as
  // "ends early" rather than with a DataView range error.
  u16() {
    const at = this.at;
    this.take(2);
    return this.view.getUint16(at);
  }

  u32() {
    const at = this.at;
    this.take(4);
    return this.view.getUint32(at);
  }

  /** An amount in minor units; exact up to 2^53, which bounds every amount a page shows. */
  u64() {
    const at = this.at;
    this.take(8);
    const value = this.view.getBigUint64(at);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('an amount is too large to show');
    return Number(value);
  }

  length(max) {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.u8();
      // As in Rust, every length has one encoding: no empty trailing group.
      if (byte === 0 && shift > 0) throw new Error('a length is not minimally encoded');
      value += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) {
        if (value > max) throw new Error('a length is beyond its limit');
        return value;
      }
    }
    throw new Error('a length is malformed');
  }

  text(max) {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.take(this.length(max)));
  }

  date() {
    return new Date(this.u32() * 86_400_000).toISOString().slice(0, 10);
  }

  option(read) {
    const tag = this.u8();
    if (tag > 1) throw new Error('an option tag is malformed');
    return tag ? read() : null;
  }

  tagged(table) {
    const tag = this.u8();
    if (!(tag in table)) throw new Error(`unknown tag ${tag}`);
    return table[tag];
  }
}

/** The Metro 2 status code of its encoded byte (numeric codes as numbers; DA, DF). */
function statusCode(byte) {
  const code = byte === 0xda ? 'DA' : byte === 0xdf ? 'DF' : String(byte).padStart(2, '0');
  if (!Object.hasOwn(ACCOUNT_STATUSES, code)) throw new Error(`unknown account status ${code}`);
  return code;
}

/** Decodes an opened record into a tradeline; throws on anything malformed. */
export function decodeRecord(bytes) {
  const r = new Reader(bytes);
  const line = {
    account_number: r.text(64),
    portfolio_type: r.tagged(PORTFOLIO),
    account_type: r.text(4),
    currency: r.text(8),
    date_opened: r.date(),
    credit_limit: r.u64(),
    highest_credit: r.u64(),
    terms_months: r.u16(),
    scheduled_monthly_payment: r.u64(),
    actual_payment: r.u64(),
    account_status: statusCode(r.u8()),
    payment_history: Array.from({ length: r.length(PAYMENT_HISTORY_MONTHS) }, () =>
      r.tagged(MONTHS),
    ),
    current_balance: r.u64(),
    amount_past_due: r.u64(),
    original_charge_off: r.u64(),
    date_of_account_information: r.date(),
    first_delinquency: r.option(() => r.date()),
    date_closed: r.option(() => r.date()),
    date_of_last_payment: r.option(() => r.date()),
    consumer: {
      name: r.text(64),
      national_id: r.text(64),
      date_of_birth: r.option(() => r.date()),
      address: r.text(64),
    },
  };
  r.take(32); // the salt that makes the record's commitment hiding
  // The whole Metro 2 data record, for a record imported from a Metro 2 file: its fields are
  // the tradeline's and more; the portal shows the tradeline.
  r.option(() => r.take(r.length(METRO2_RECORD_BYTES_MAX)));
  if (r.at !== bytes.length) throw new Error('the record has trailing bytes');
  return line;
}
