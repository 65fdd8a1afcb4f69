// The lender console's disputes tab. Owns this institution's queue of disputes of records it
// furnished: the open ones, nearest deadline first, with the days left to answer counted from
// the chain's time; their answers — verified, deleted, or corrected with a new tradeline —
// each confirmed, then signed by the node's operator endpoint; the answered and lapsed ones;
// and the count of open disputes in the tab's badge, kept current by following the chain's
// dispute events.
//
// The pure parts (how a deadline stands, the order of the queue) are exported for
// lender-disputes.test.mjs.

import { api, explain, fill, follow, h, labelOf, link, notify, table, when } from './common.js';
import { DISPUTE_REASONS, DISPUTE_RESOLUTIONS, PAGE_LIMIT_MAX } from './constants.js';
import { readTradeline, showProblems, tradelineFields } from './lender-furnish.js';
import { operator, session } from './lender-session.js';

const DAY_MS = 86_400_000;
/**
 * Most disputes read, the latest received. A dispute is answered or lapses within the answer
 * window after it opens, so the open ones are among the latest unless more than this many
 * were opened within one window; the tab says when it read fewer than the institution has.
 */
export const DISPUTES_READ_MAX = 2000;
/** Fewer whole days left than this, and a deadline is shown as near. */
export const NEAR_DAYS = 7;

/**
 * How `deadline` stands at `now` (both milliseconds): the whole days left (0 once past), whether
 * it has passed (a dispute lapses at its deadline), how to show it — 'bad' when past, 'warn'
 * when near — and a phrase.
 */
export function deadlineStanding(deadline, now) {
  const left = deadline - now;
  if (left <= 0) {
    const late = Math.floor(-left / DAY_MS);
    return {
      days: 0,
      overdue: true,
      severity: 'bad',
      text: late === 0 ? 'overdue' : `overdue by ${days(late)}`,
    };
  }
  const whole = Math.floor(left / DAY_MS);
  return {
    days: whole,
    overdue: false,
    severity: whole < NEAR_DAYS ? 'warn' : '',
    text: whole === 0 ? 'less than a day left' : `${days(whole)} left`,
  };
}

const days = (n) => (n === 1 ? '1 day' : `${n} days`);

/** The open disputes, nearest deadline first, and the closed ones, latest resolved first. */
export function sortDisputes(disputes) {
  const open = disputes
    .filter((d) => !d.resolution)
    .sort((a, b) => a.deadline - b.deadline || a.id - b.id);
  const closed = disputes
    .filter((d) => d.resolution)
    .sort((a, b) => (b.resolved_at ?? 0) - (a.resolved_at ?? 0) || b.id - a.id);
  return { open, closed };
}

/** A dispute's reason or resolution for people. */
const reasonLabel = (reason) => labelOf(DISPUTE_REASONS, reason);
const resolutionLabel = (resolution) => labelOf(DISPUTE_RESOLUTIONS, resolution);

/** How each resolution is shown. */
const RESOLUTION_SEVERITY = { verified: 'good', corrected: 'good', deleted: 'warn', lapsed: 'bad' };

/** The latest disputes `institution` received, at most DISPUTES_READ_MAX, and their total. */
async function received(institution) {
  const path = `institutions/${institution}/disputes`;
  const read = (from) => api(`${path}?from=${from}&limit=${PAGE_LIMIT_MAX}`);
  let page = await read(0);
  const start = Math.max(0, page.total - DISPUTES_READ_MAX);
  if (start > 0) page = await read(start);
  const items = [...page.items];
  while (Number.isInteger(page.next) && items.length < DISPUTES_READ_MAX) {
    page = await read(page.next);
    items.push(...page.items);
  }
  return { items, total: page.total };
}

/** The chain's time, or this browser's clock when the node does not say. */
async function clock() {
  try {
    return { now: (await api('status')).time, source: "the chain's time" };
  } catch {
    return { now: Date.now(), source: "this browser's clock (the node's status did not answer)" };
  }
}

// The tab's state: the open disputes last shown, the one being corrected, whether an answer
// is being signed (one at a time: the institution's transactions take consecutive nonces),
// and the count of reads started, so an older read never paints over a newer one.
let known = new Set();
let correcting = null;
let busy = false;
let reads = 0;
let stop = null;
let reloadTimer = null;

/** Wires the refresh button and the correction form. */
export function setUpDisputes() {
  document.getElementById('disputes-refresh').addEventListener('click', () => showDisputes());
  document.getElementById('correction-form').addEventListener('submit', sendCorrection);
  document.getElementById('correction-cancel').addEventListener('click', () => {
    closeCorrection();
    document.getElementById('disputes-open-heading').focus();
  });
}

/**
 * Reads this institution's disputes and counts the open ones in the tab's badge, then keeps
 * the count current: a dispute opened against this institution, or one of its open disputes
 * resolved, reads them again, as does coming back after a dropped connection.
 */
export function startDisputes() {
  stopDisputes();
  let dropped = false;
  const me = session().institution;
  stop = follow(
    { kinds: 'dispute_opened,dispute_resolved' },
    ({ event }) => {
      const ours =
        event.kind === 'dispute_opened' ? event.furnisher === me : known.has(event.dispute);
      if (ours) reloadSoon();
    },
    {
      onState: (state, refusal) => {
        // An institution without the validator role is not served the chain's whole event
        // stream: its queue then changes on Refresh only.
        fill(
          'disputes-state',
          state === 'refused' ? `not live (${explain(refusal)}); use Refresh` : state,
        );
        if (state === 'reconnecting') dropped = true;
        else if (dropped) {
          dropped = false;
          reloadSoon();
        }
      },
    },
  );
  showDisputes();
}

/** Stops following (on signing out). */
export function stopDisputes() {
  stop?.();
  stop = null;
  clearTimeout(reloadTimer);
  closeCorrection();
}

/** Several events in one block read the disputes once. */
function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => showDisputes(), 300);
}

/** Reads and shows this institution's disputes. */
export async function showDisputes() {
  const me = session()?.institution;
  if (me === undefined) return;
  const read = ++reads;
  let disputes;
  let time;
  try {
    [disputes, time] = await Promise.all([received(me), clock()]);
  } catch (error) {
    if (read === reads) {
      notify('disputes-status', explain(error), 'error');
    }
    return;
  }
  if (read !== reads) return;
  const { open, closed } = sortDisputes(disputes.items);
  known = new Set(open.map((d) => d.id));
  if (correcting && !known.has(correcting.id)) closeCorrection();
  fill('dispute-count', String(open.length));
  const partial =
    disputes.total > disputes.items.length
      ? ` Showing the latest ${disputes.items.length} of the ${disputes.total} disputes received.`
      : '';
  fill(
    'disputes-open',
    h('p', { class: 'muted' }, `As of ${when(time.now)} UTC, ${time.source}.${partial}`),
    table(
      [
        ['Dispute', (d) => String(d.id), true],
        ['Record', (d) => String(d.record), true],
        ['Subject', (d) => link('subject', d.subject)],
        ['Reason', (d) => reasonLabel(d.reason)],
        ['Opened (UTC)', (d) => when(d.opened_at)],
        ['Deadline (UTC)', (d) => deadline(d, time.now)],
        ['Answer', actions],
      ],
      open,
      'No open disputes.',
    ),
  );
  fill('disputes-answered-count', String(closed.length));
  fill(
    'disputes-answered',
    table(
      [
        ['Dispute', (d) => String(d.id), true],
        ['Record', (d) => String(d.record), true],
        ['Subject', (d) => link('subject', d.subject)],
        ['Reason', (d) => reasonLabel(d.reason)],
        ['Deadline (UTC)', (d) => when(d.deadline)],
        [
          'Outcome',
          (d) =>
            h(
              'span',
              { class: `badge resolution ${RESOLUTION_SEVERITY[d.resolution] ?? ''}` },
              resolutionLabel(d.resolution),
            ),
        ],
        ['Resolved (UTC)', (d) => when(d.resolved_at)],
        ['Correcting record', (d) => String(d.correction ?? '—'), true],
      ],
      closed,
      'None yet.',
    ),
  );
}

/** A deadline in UTC with the days left, marked when near or past. */
function deadline(dispute, now) {
  const standing = deadlineStanding(dispute.deadline, now);
  return h(
    'span',
    { class: 'deadline' },
    when(dispute.deadline),
    ' ',
    h(
      'span',
      { class: `badge days-left ${standing.severity}`, 'data-overdue': standing.overdue },
      standing.text,
    ),
  );
}

/** The answer buttons of an open dispute, grouped under the dispute's name. */
function actions(dispute) {
  const button = (kind, text, onclick) =>
    h(
      'button',
      {
        type: 'button',
        class: `secondary answer answer-${kind}`,
        'data-dispute': dispute.id,
        disabled: busy,
        onclick,
      },
      text,
    );
  return h(
    'div',
    { class: 'actions', role: 'group', 'aria-label': `Answer dispute ${dispute.id}` },
    button('verified', 'Verified', () =>
      answer(
        dispute,
        { answer: 'verified' },
        `Answer dispute ${dispute.id} as verified? This signs that record ${dispute.record} ` +
          "is accurate as furnished; it stays on the subject's file.",
      ),
    ),
    button('deleted', 'Delete', () =>
      answer(
        dispute,
        { answer: 'deleted' },
        `Answer dispute ${dispute.id} by deleting record ${dispute.record}? The account ` +
          'leaves every report, and comes back only by a record that supersedes this one.',
      ),
    ),
    button('corrected', 'Correct…', () => startCorrection(dispute)),
  );
}

/**
 * Asks to confirm `question`, then signs and sends the answer `body` to `dispute`, showing
 * its progress and outcome in the tab's status, and reads the disputes again. Returns
 * `{ sent }`, and the node's refusal as `refusal` when it refused the answer.
 */
async function answer(dispute, body, question) {
  if (busy) return { sent: false };
  if (!window.confirm(question)) {
    notify('disputes-status', `Dispute ${dispute.id}: nothing sent.`);
    return { sent: false };
  }
  setBusy(true);
  notify('disputes-status', `Signing the answer to dispute ${dispute.id}…`);
  let refusal = null;
  try {
    const done = await operator(`disputes/${dispute.id}/answer`, { method: 'POST', body });
    const resolved = done.events.find((e) => e.kind === 'dispute_resolved');
    const correction =
      resolved?.correction === null || resolved?.correction === undefined
        ? ''
        : `: record ${resolved.correction} supersedes record ${dispute.record}`;
    notify(
      'disputes-status',
      `Dispute ${dispute.id} answered ${resolutionLabel(resolved?.resolution ?? body.answer)}${correction}.`,
      'ok',
    );
  } catch (error) {
    refusal = error;
    notify('disputes-status', `Dispute ${dispute.id} was not answered: ${explain(error)}`, 'error');
  }
  setBusy(false);
  await showDisputes();
  // The answered dispute's buttons are gone: keep the keyboard's place in the tab. A refused
  // correction keeps it in the form, to be fixed.
  const focused = document.activeElement;
  if (!refusal || !focused || focused === document.body) {
    document.getElementById('disputes-open-heading').focus();
  }
  return { sent: true, refusal };
}

/** Disables every answer while one is being signed. */
function setBusy(value) {
  busy = value;
  for (const button of document.querySelectorAll('#disputes button.answer, #correction-send')) {
    button.disabled = value;
  }
}

/**
 * Opens the correction form for `dispute`: fresh tradeline fields, with what the ledger
 * shows of the disputed record in clear (its status and first delinquency) filled in. The
 * rest of the record is sealed to the subject, so the furnisher enters it from its books.
 */
async function startCorrection(dispute) {
  correcting = dispute;
  tradelineFields('correction-fields', 'c');
  fill('correction-heading', `Correct record ${dispute.record} (dispute ${dispute.id})`);
  fill('correction-errors');
  try {
    const record = (await api(`records/${dispute.record}`)).value;
    document.getElementById('c-status').value = record.status;
    document.getElementById('c-first-delinquency').value = record.first_delinquency ?? '';
  } catch (error) {
    notify(
      'correction-errors',
      `Record ${dispute.record} could not be read (${explain(error)}); ` + 'fill in every field.',
    );
  }
  if (correcting !== dispute) return;
  document.getElementById('correction-form').classList.remove('hidden');
  document.getElementById('correction-heading').scrollIntoView({ block: 'start' });
  document.getElementById('c-account-number').focus();
}

/** Hides the correction form. */
function closeCorrection() {
  correcting = null;
  document.getElementById('correction-form').classList.add('hidden');
  fill('correction-fields');
  fill('correction-errors');
}

/** Checks the correction, then answers the dispute with it. */
async function sendCorrection(event) {
  event.preventDefault();
  const dispute = correcting;
  if (!dispute) return;
  const { line, problems } = readTradeline('c');
  if (!showProblems('correction-errors', problems)) return;
  const { refusal } = await answer(
    dispute,
    { answer: 'corrected', tradeline: line },
    `Answer dispute ${dispute.id} with this correction? It is sealed to the subject and ` +
      `supersedes record ${dispute.record}.`,
  );
  // A refusal is shown beside the form too, where the person is looking (announced once, by
  // the tab's status); an accepted correction closed the form when the fresh read no longer
  // listed the dispute as open.
  if (refusal) {
    fill(
      'correction-errors',
      h('p', { class: 'notice error' }, `Not accepted: ${refusal.code}: ${refusal.message}`),
    );
  }
}
