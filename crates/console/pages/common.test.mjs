// Tests of common.js's pure parts: the event-stream reader that `follow` feeds, and what a
// page says for each refusal of who reads.
// Run: node --test crates/console/pages/common.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ApiError, eventStreamReader, explain, isReadRefusal } from './common.js';
import { READ_REFUSALS } from './constants.js';

/** The events `chunks` make, fed to one reader in order. */
function read(chunks) {
  const events = [];
  const reader = eventStreamReader((message) => events.push(message));
  for (const chunk of chunks) reader.push(chunk);
  return events;
}

// What the node's stream looks like: axum's `Sse`, one event per finalised event.
const STREAM =
  ': keep-alive\n\n' +
  'id: 5:0\nevent: adverse\ndata: {"id":"5:0"}\n\n' +
  'id: 5:1\nevent: dispute_opened\ndata: {"id":"5:1"}\n\n';

test('reads id, event and data of each event, and skips comments', () => {
  assert.deepEqual(read([STREAM]), [
    { id: '5:0', event: 'adverse', data: '{"id":"5:0"}' },
    { id: '5:1', event: 'dispute_opened', data: '{"id":"5:1"}' },
  ]);
});

test('an event split anywhere across chunks reads the same', () => {
  const whole = read([STREAM]);
  for (let cut = 0; cut <= STREAM.length; cut += 1) {
    assert.deepEqual(read([STREAM.slice(0, cut), STREAM.slice(cut)]), whole, `cut at ${cut}`);
  }
  assert.deepEqual(read([...STREAM]), whole, 'one character at a time');
});

test('CRLF line ends, split between CR and LF, read as LF', () => {
  const crlf = STREAM.replaceAll('\n', '\r\n');
  assert.deepEqual(read([crlf]), read([STREAM]));
  const cut = crlf.indexOf('\r\n', 20) + 1;
  assert.deepEqual(read([crlf.slice(0, cut), crlf.slice(cut)]), read([STREAM]));
});

test('multi-line data joins with newlines; an event without data is not dispatched', () => {
  assert.deepEqual(read(['event: a\n\ndata: x\ndata:y\n\n']), [
    { id: null, event: 'message', data: 'x\ny' },
  ]);
});

test('the id persists to later events, as the format says', () => {
  assert.deepEqual(read(['id: 1:0\ndata: a\n\ndata: b\n\n']), [
    { id: '1:0', event: 'message', data: 'a' },
    { id: '1:0', event: 'message', data: 'b' },
  ]);
});

test('an event is delivered only once its blank line has arrived', () => {
  assert.deepEqual(read(['id: 1:0\ndata: a\n']), []);
});

test('every refusal of who reads is recognised and explained, not shown as a code', () => {
  assert.ok(Object.keys(READ_REFUSALS).length >= 5);
  for (const [code, status] of Object.entries(READ_REFUSALS)) {
    const error = new ApiError(status, code, 'the node says why');
    assert.ok(isReadRefusal(error), code);
    assert.ok(!explain(error).startsWith(`${code}:`), `${code} has a sentence for people`);
  }
  assert.match(explain(new ApiError(401, 'unauthenticated', '')), /^Sign in to read this/);
  assert.match(explain(new ApiError(401, 'request_expired', '')), /5 minutes/);
  const other = new ApiError(422, 'correction_mismatch', 'another account');
  assert.ok(!isReadRefusal(other));
  assert.equal(explain(other), 'correction_mismatch: another account');
  assert.equal(explain(new Error('broken')), 'broken');
});
