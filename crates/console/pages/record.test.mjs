// Tests of record.js against bytes Rust wrote: crates/console/tests/fixtures/records.json
// holds canonical encodings of record plaintexts with the tradeline each must decode to, and
// crates/console/tests/record_fixtures.rs keeps it equal to what the Rust encoder writes.
// Run: node --test crates/console/pages/record.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { PAYMENT_HISTORY_MONTHS, PAYMENT_MONTHS, ACCOUNT_STATUSES } from './constants.js';
import { decodeRecord } from './record.js';

const fixtures = JSON.parse(
  readFileSync(new URL('../tests/fixtures/records.json', import.meta.url), 'utf8'),
);
const bytesOf = (hex) => new Uint8Array(Buffer.from(hex, 'hex'));

test('the fixtures cover every status and month code, and a full payment history', () => {
  assert.ok(fixtures.length > 0, 'the fixture file has records');
  const statuses = new Set(fixtures.map((f) => f.tradeline.account_status));
  assert.deepEqual([...statuses].sort(), Object.keys(ACCOUNT_STATUSES).sort());
  const months = new Set(fixtures.flatMap((f) => f.tradeline.payment_history));
  assert.deepEqual([...months].sort(), Object.keys(PAYMENT_MONTHS).sort());
  assert.ok(
    fixtures.some((f) => f.tradeline.payment_history.length === PAYMENT_HISTORY_MONTHS),
    'a record with the longest payment history',
  );
});

test("every record Rust encoded decodes to Rust's tradeline", () => {
  for (const [index, { hex, tradeline }] of fixtures.entries()) {
    assert.deepEqual(decodeRecord(bytesOf(hex)), tradeline, `fixture ${index}`);
  }
});

test('every strict prefix of an encoding is refused as ending early', () => {
  for (const [index, { hex }] of fixtures.entries()) {
    const bytes = bytesOf(hex);
    for (let length = 0; length < bytes.length; length += 1) {
      assert.throws(
        () => decodeRecord(bytes.slice(0, length)),
        /the record ends early/,
        `fixture ${index} cut to ${length} of ${bytes.length} bytes`,
      );
    }
  }
});

test('an encoding with a byte after it is refused', () => {
  for (const [index, { hex }] of fixtures.entries()) {
    const bytes = bytesOf(hex);
    for (const extra of [0x00, 0xff]) {
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      longer[bytes.length] = extra;
      assert.throws(() => decodeRecord(longer), /trailing bytes/, `fixture ${index} + ${extra}`);
    }
  }
});

test('a length with a needless empty group is refused, as Rust refuses it', () => {
  // The account number's length is the first byte; 0x8e 0x00 spells 14 non-minimally.
  const bytes = bytesOf(fixtures[0].hex);
  const padded = new Uint8Array(bytes.length + 1);
  padded.set([bytes[0] | 0x80, 0x00]);
  padded.set(bytes.subarray(1), 2);
  assert.throws(() => decodeRecord(padded), /not minimally encoded/);
});
