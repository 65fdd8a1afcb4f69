// The lender console's furnish tab. Owns the form that reports a Metro 2 tradeline about a
// subject: its codes and bounds come from the ledger, it is checked here before anything is
// sent, and the node's operator endpoint seals it to the subject and signs it.
//
// The tradeline's fields (lender.html's `#tradeline-fields` template) and the check of what
// was typed into them are shared with the disputes tab, whose correction is a tradeline too:
// `tradelineFields` puts a copy of the fields on a page, `readTradeline` reads one back.

import { explain, fill, h, isoDate, notify, options, parseMoney, table } from './common.js';
import {
  ACCOUNT_STATUSES,
  PAYMENT_HISTORY_MONTHS,
  PAYMENT_MONTHS,
  PORTFOLIO_TYPES,
} from './constants.js';
import { operator } from './lender-session.js';

const MONTH_CODES = Object.keys(PAYMENT_MONTHS);
const HISTORY_CODES = `up to ${PAYMENT_HISTORY_MONTHS} codes: ${MONTH_CODES.join(' ')}`;
/** The prefix of the ids in the template, replaced by each copy's own. */
const TEMPLATE_PREFIX = 't-';

/** Whether a record with this status must carry a date of first delinquency, as the ledger asks. */
const needsFirstDelinquency = (code) =>
  Object.hasOwn(ACCOUNT_STATUSES, code) && ACCOUNT_STATUSES[code].requires_first_delinquency;

/**
 * Fills the element with id `containerId` with a fresh copy of the tradeline fields, their ids
 * `${prefix}-…` (so `f` gives `f-account-number`), each label still naming its field. The
 * portfolio types and account statuses are the ledger's; the date of account information is
 * today's.
 */
export function tradelineFields(containerId, prefix) {
  const copy = document.getElementById('tradeline-fields').content.cloneNode(true);
  for (const element of copy.querySelectorAll('[id], [for]')) {
    for (const name of ['id', 'for']) {
      const value = element.getAttribute(name);
      if (value?.startsWith(TEMPLATE_PREFIX)) {
        element.setAttribute(name, `${prefix}-${value.slice(TEMPLATE_PREFIX.length)}`);
      }
    }
  }
  fill(containerId, copy);
  options(`${prefix}-portfolio`, PORTFOLIO_TYPES, 'revolving');
  const statuses = Object.keys(ACCOUNT_STATUSES).sort();
  options(
    `${prefix}-status`,
    statuses.map((code) => ({ value: code, label: `${code} — ${ACCOUNT_STATUSES[code].meaning}` })),
    '11',
  );
  fill(`${prefix}-history-help`, `most recent first, ${HISTORY_CODES}`);
  document.getElementById(`${prefix}-as-of`).value = isoDate(Date.now());
}

/**
 * The tradeline fields with ids `${prefix}-…` as a Metro 2 tradeline, and the list of what
 * is wrong with them (empty when nothing is); each field is marked valid or not.
 */
export function readTradeline(prefix) {
  const field = (id) => document.getElementById(`${prefix}-${id}`);
  const value = (id) => field(id).value.trim();
  const problems = [];
  const mark = (id, ok, problem) => {
    field(id).setAttribute('aria-invalid', ok ? 'false' : 'true');
    if (!ok) problems.push(problem);
  };
  const amount = (id, label) => {
    const parsed = parseMoney(value(id) || '0');
    mark(id, parsed !== null, `${label} must be an amount like 1234.56`);
    return parsed ?? 0;
  };
  const date = (id, label, required) => {
    const text = value(id);
    const ok = required
      ? /^\d{4}-\d{2}-\d{2}$/.test(text)
      : text === '' || /^\d{4}-\d{2}-\d{2}$/.test(text);
    mark(id, ok, `${label} ${required ? 'is required' : 'must be a date'}`);
    return text || null;
  };
  const text = (id, label, max) => {
    const t = value(id);
    mark(
      id,
      t.length > 0 && new TextEncoder().encode(t).length <= max,
      `${label} is required (at most ${max} bytes)`,
    );
    return t;
  };
  const history = value('history')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((c) => c.toUpperCase());
  mark(
    'history',
    history.length <= PAYMENT_HISTORY_MONTHS && history.every((c) => MONTH_CODES.includes(c)),
    `Payment history takes ${HISTORY_CODES}`,
  );
  const accountStatus = value('status');
  const firstDelinquency = date(
    'first-delinquency',
    'First delinquency',
    needsFirstDelinquency(accountStatus),
  );
  const terms = Number(value('terms') || '0');
  mark('terms', Number.isInteger(terms) && terms >= 0 && terms <= 65535, 'Terms are whole months');
  const line = {
    account_number: text('account-number', 'Account number', 64),
    portfolio_type: value('portfolio'),
    account_type: text('account-type', 'Account type', 4),
    currency: text('currency', 'Currency', 8).toLowerCase(),
    date_opened: date('opened', 'Date opened', true),
    credit_limit: amount('limit', 'Credit limit'),
    highest_credit: amount('highest', 'Highest credit'),
    terms_months: terms,
    scheduled_monthly_payment: amount('scheduled', 'Scheduled payment'),
    actual_payment: amount('actual', 'Actual payment'),
    account_status: accountStatus,
    payment_history: history,
    current_balance: amount('balance', 'Current balance'),
    amount_past_due: amount('past-due', 'Amount past due'),
    original_charge_off: amount('charge-off', 'Original charge-off'),
    date_of_account_information: date('as-of', 'Date of account information', true),
    first_delinquency: firstDelinquency,
    date_closed: null,
    date_of_last_payment: date('last-payment', 'Date of last payment', false),
    consumer: {
      name: text('name', 'Name', 64),
      national_id: text('national-id', 'National id', 64),
      date_of_birth: date('birth', 'Date of birth', false),
      address: text('address', 'Address', 64),
    },
  };
  return { line, problems };
}

/** Shows what is wrong with a form in the element `id` (emptied when nothing is); true if ok. */
export function showProblems(id, problems) {
  if (!problems.length) {
    fill(id);
    return true;
  }
  fill(
    id,
    h(
      'div',
      { class: 'notice error', role: 'alert' },
      h('p', {}, 'Not sent; correct these first:'),
      h(
        'ul',
        {},
        problems.map((p) => h('li', {}, p)),
      ),
    ),
  );
  return false;
}

/** Wires the furnish form and the Metro 2 upload. */
export function setUpFurnish() {
  tradelineFields('furnish-fields', 'f');
  document.getElementById('furnish-form').addEventListener('submit', furnish);
  document.getElementById('m2-form').addEventListener('submit', upload);
}

/** How often a running import's progress is read. */
const IMPORT_POLL_MS = 500;

/** Uploads the chosen Metro 2 file and follows its import to the end. */
async function upload(event) {
  event.preventDefault();
  const file = document.getElementById('m2-file').files[0];
  if (!file) {
    notify('m2-status', 'Choose a Metro 2 file first.', 'error');
    return;
  }
  const strict = document.getElementById('m2-strict').checked;
  fill('m2-summary');
  fill('m2-errors');
  notify('m2-status', `Uploading ${file.name}…`);
  try {
    let view = await operator(`imports${strict ? '?strict=true' : ''}`, {
      method: 'POST',
      bytes: await file.arrayBuffer(),
    });
    showFieldErrors(view.errors);
    while (view.state === 'running') {
      showImportProgress(view);
      await new Promise((resolve) => setTimeout(resolve, IMPORT_POLL_MS));
      view = await operator(`imports/${view.id}`);
    }
    showImportProgress(view);
    if (view.state === 'failed') {
      notify('m2-status', `The import stopped: ${view.failure}`, 'error');
    } else {
      notify('m2-status', `Imported: ${view.furnished.length} record(s) furnished.`, 'ok');
      showImportSummary(view);
    }
  } catch (error) {
    notify('m2-status', explain(error), 'error');
  }
}

function showImportProgress(view) {
  const bar = document.getElementById('m2-progress');
  bar.classList.remove('hidden');
  bar.max = Math.max(view.records, 1);
  bar.value = view.settled;
  if (view.state === 'running') {
    notify(
      'm2-status',
      `Importing: ${view.settled} of ${view.records} record(s) settled, ${view.submitted} submitted…`,
    );
  }
}

/** The file's field errors: record, segment, field and rule (never a value). */
function showFieldErrors(errors) {
  if (!errors.length) return;
  fill(
    'm2-errors',
    h('h3', {}, `Field errors (${errors.length})`),
    table(
      [
        ['record', (e) => String(e.record), true],
        ['segment', (e) => e.segment],
        ['field', (e) => `${e.field} (${e.field_number})`],
        ['rule', (e) => e.rule],
      ],
      errors,
    ),
  );
}

/** What became of each record: furnished, skipped with reasons, unlinked, rejected. */
function showImportSummary(view) {
  const list = (title, items, line) =>
    h(
      'div',
      {},
      h('h3', {}, `${title}: ${items.length}`),
      items.length
        ? h(
            'ul',
            {},
            items.map((item) => h('li', {}, line(item))),
          )
        : '',
    );
  fill(
    'm2-summary',
    h(
      'p',
      { id: 'm2-furnished' },
      `Furnished: ${view.furnished.length} (${view.furnished_before} by an earlier upload)`,
    ),
    list('Skipped', view.skipped, ([record, reason]) => `record ${record}: ${reason}`),
    list('Unlinked', view.unlinked, (record) => `record ${record}: no link for its consumer`),
    list('Rejected', view.rejected, ([record, code]) => `record ${record}: ${code}`),
  );
}

/** The furnish form's subject, the record it supersedes if any, and its tradeline. */
function furnishing() {
  const { line, problems } = readTradeline('f');
  const field = (id) => document.getElementById(`f-${id}`);
  const subject = field('subject').value.trim().toLowerCase();
  const subjectOk = /^[0-9a-f]{64}$/.test(subject);
  field('subject').setAttribute('aria-invalid', subjectOk ? 'false' : 'true');
  if (!subjectOk) problems.unshift('The subject pseudonym is 64 hex digits');
  const supersedes = field('supersedes').value.trim();
  const supersedesOk =
    supersedes === '' || (/^\d+$/.test(supersedes) && Number.isSafeInteger(Number(supersedes)));
  field('supersedes').setAttribute('aria-invalid', supersedesOk ? 'false' : 'true');
  if (!supersedesOk) problems.push('Supersedes takes a record id (a whole number) or nothing');
  const body = { subject, tradeline: line };
  if (supersedes !== '' && supersedesOk) body.supersedes = Number(supersedes);
  return { body, problems };
}

/** Seals the record to the subject, signs and sends it through the operator endpoint. */
async function furnish(event) {
  event.preventDefault();
  const { body, problems } = furnishing();
  if (!showProblems('furnish-errors', problems)) return;
  notify('furnish-status', 'Sealing to the subject, signing and waiting for finality…');
  try {
    const done = await operator('records', { method: 'POST', body });
    const furnished = done.events.find((e) => e.kind === 'record_furnished');
    notify('furnish-status', `Furnished: record ${furnished?.record}.`, 'ok');
  } catch (error) {
    notify('furnish-status', explain(error), 'error');
  }
}
