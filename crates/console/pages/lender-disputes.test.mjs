// Tests of the disputes tab's pure parts: how a deadline stands, and the order of the queue.
// Run: node --test crates/console/pages/lender-disputes.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { NEAR_DAYS, deadlineStanding, sortDisputes } from './lender-disputes.js';

const DAY = 86_400_000;
const now = Date.UTC(2025, 0, 15, 12);

test('days left are whole days, counted down to the deadline', () => {
  assert.deepEqual(deadlineStanding(now + 30 * DAY, now), {
    days: 30,
    overdue: false,
    severity: '',
    text: '30 days left',
  });
  // A part of a day does not count as a day left.
  assert.equal(deadlineStanding(now + 2 * DAY - 1, now).text, '1 day left');
  assert.equal(deadlineStanding(now + DAY - 1, now).text, 'less than a day left');
  assert.equal(deadlineStanding(now + 1, now).overdue, false);
});

test('a deadline near is a warning, one passed is overdue', () => {
  assert.equal(deadlineStanding(now + NEAR_DAYS * DAY, now).severity, '');
  assert.equal(deadlineStanding(now + NEAR_DAYS * DAY - 1, now).severity, 'warn');
  // The dispute lapses at its deadline: that instant is already too late to answer.
  assert.deepEqual(deadlineStanding(now, now), {
    days: 0,
    overdue: true,
    severity: 'bad',
    text: 'overdue',
  });
  assert.equal(deadlineStanding(now - DAY, now).text, 'overdue by 1 day');
  assert.equal(deadlineStanding(now - 3 * DAY - 5, now).text, 'overdue by 3 days');
});

test('open disputes come nearest deadline first; closed ones latest resolved first', () => {
  const dispute = (id, deadline, resolution = null, resolved_at = null) => ({
    id,
    deadline,
    resolution,
    resolved_at,
  });
  const { open, closed } = sortDisputes([
    dispute(0, now + 5 * DAY, 'verified', now - DAY),
    dispute(1, now + 9 * DAY),
    dispute(2, now + 2 * DAY),
    dispute(3, now + 2 * DAY),
    dispute(4, now + 7 * DAY, 'lapsed', now),
    dispute(5, now + 8 * DAY, 'corrected', now - 2 * DAY),
  ]);
  assert.deepEqual(
    open.map((d) => d.id),
    [2, 3, 1],
  );
  assert.deepEqual(
    closed.map((d) => d.id),
    [4, 0, 5],
  );
});
