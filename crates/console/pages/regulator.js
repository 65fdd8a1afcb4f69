// The regulator view: network-wide figures, each a button that drills down to the entries
// it counts. The regulator signs in (signin.js) with its key file, which signs every read in
// this page, or with the operator token of a node it runs; the node then answers it
// everything, as it answers the regulator alone. Everything is read from the ledger's
// metadata (ids, statuses, purposes, deadlines, valuations); no credit payload is opened.

import {
  api,
  explain,
  fill,
  h,
  header,
  institutionName,
  isReadRefusal,
  link,
  loadInstitutions,
  lockBadge,
  money,
  owner,
  status,
  table,
  when,
} from './common.js';
import { ACCOUNT_STATUSES } from './constants.js';
import { setUpSignIn } from './signin.js';

header('/regulator');

/** Most recent entries of each kind read for the figures; the page says when it stops short. */
const READ_MAX = 2000;

/** The last `READ_MAX` entries of a kind, by id, read in parallel batches. */
async function latest(kind, count) {
  const first = Math.max(0, count - READ_MAX);
  const ids = Array.from({ length: count - first }, (_, i) => first + i);
  const entries = [];
  for (let at = 0; at < ids.length; at += 25) {
    const batch = await Promise.all(
      ids.slice(at, at + 25).map((id) =>
        api(`${kind}/${id}`).then(
          (entry) => entry.value,
          // An entry gone from state (a purged record) is not counted; a refusal is no
          // figure at all.
          (error) => {
            if (isReadRefusal(error)) throw error;
            return null;
          },
        ),
      ),
    );
    entries.push(...batch.filter(Boolean));
  }
  return { entries, partial: first > 0 };
}

/** Groups `items` by `key`, as [key, items] sorted by key. */
function groups(items, key) {
  const map = new Map();
  for (const item of items) {
    const k = key(item);
    map.set(k, [...(map.get(k) ?? []), item]);
  }
  return [...map.entries()].sort(([a], [b]) => String(a).localeCompare(String(b)));
}

/** A button that shows `rows` under `title` in the drill-down section. */
function drill(label, title, columns, rows) {
  return h(
    'button',
    {
      type: 'button',
      class: 'secondary drill',
      onclick: () => {
        fill('drill', h('h2', {}, title), table(columns, rows));
        document.getElementById('drill').scrollIntoView({ behavior: 'smooth' });
      },
    },
    label,
  );
}

const INQUIRY_COLUMNS = [
  ['Inquiry', (q) => q.id, true],
  ['Subject', (q) => link('subject', q.subject)],
  ['Institution', (q) => institutionName(q.institution)],
  ['At (UTC)', (q) => when(q.at)],
];
const RECORD_COLUMNS = [
  ['Record', (r) => r.id, true],
  ['Subject', (r) => link('subject', r.subject)],
  ['Status', (r) => status(r.status)],
  ['As of', (r) => r.as_of],
];
const DISPUTE_COLUMNS = [
  ['Dispute', (d) => d.id, true],
  ['Subject', (d) => link('subject', d.subject)],
  ['Record', (d) => d.record, true],
  ['Furnisher', (d) => institutionName(d.furnisher)],
  ['Reason', (d) => String(d.reason).replaceAll('_', ' ')],
  ['Answer due (UTC)', (d) => when(d.deadline)],
];
const LOAN_COLUMNS = [
  ['Loan', (l) => link('loan', l.id, String(l.id)), true],
  ['Lender', (l) => institutionName(l.lender)],
  ['Borrower', (l) => owner(l.terms.borrower)],
  ['Principal', (l) => money(l.terms.principal), true],
  ['Owed', (l) => money(l.principal + l.interest + l.fees), true],
];
const ASSET_COLUMNS = [
  ['Asset', (a) => link('asset', a.id, String(a.id)), true],
  ['Owner', (a) => owner(a.owner)],
  ['Valuation', (a) => money(a.valuation.value), true],
  ['Lock', lockBadge],
];

async function load() {
  const [meta, now] = await Promise.all([api('meta'), api('status')]);
  await loadInstitutions();
  const counters = meta.value.counters;
  fill('as-of', `Figures at height ${now.height} (${when(now.time)} UTC).`);
  const [inquiries, records, disputes, loans, assets] = await Promise.all([
    latest('inquiries', counters.inquiry),
    latest('records', counters.record),
    latest('disputes', counters.dispute),
    latest('loans', counters.loan),
    latest('assets', counters.asset),
  ]);
  const note = (read) =>
    read.partial ? h('p', { class: 'muted' }, `The latest ${READ_MAX} only.`) : null;
  const open = disputes.entries.filter((d) => !d.resolution);
  const overdue = open.filter((d) => d.deadline < now.time);
  const locked = assets.entries.filter((a) => a.lock !== null);

  fill(
    'totals',
    figure('Subjects', counters.subject),
    figure(
      'Records furnished',
      counters.record,
      drill('List', 'Records furnished', RECORD_COLUMNS, records.entries),
    ),
    figure(
      'Inquiries',
      counters.inquiry,
      drill('List', 'Inquiries', INQUIRY_COLUMNS, inquiries.entries),
    ),
    figure('Open disputes', open.length, drill('List', 'Open disputes', DISPUTE_COLUMNS, open)),
    figure(
      'Overdue answers',
      overdue.length,
      drill('List', 'Disputes past their answer deadline', DISPUTE_COLUMNS, overdue),
    ),
    figure('Loans', counters.loan, drill('List', 'Loans', LOAN_COLUMNS, loans.entries)),
    figure(
      'Assets locked',
      locked.length,
      drill('List', 'Assets locked as collateral', ASSET_COLUMNS, locked),
    ),
  );

  const purpose = (q) => (q.basis.consent ? q.basis.consent.purpose : Object.keys(q.basis)[0]);
  fill(
    'inquiries',
    note(inquiries),
    table(
      [
        ['Purpose', ([p]) => String(p).replaceAll('_', ' ')],
        ['Inquiries', ([, qs]) => qs.length, true],
        [
          '',
          ([p, qs]) =>
            drill('Show', `Inquiries for ${String(p).replaceAll('_', ' ')}`, INQUIRY_COLUMNS, qs),
        ],
      ],
      groups(inquiries.entries, purpose),
    ),
  );
  fill(
    'records',
    note(records),
    table(
      [
        ['Furnisher', ([f]) => institutionName(f)],
        ['Records', ([, rs]) => rs.length, true],
        ['Adverse', ([, rs]) => rs.filter((r) => ACCOUNT_STATUSES[r.status]?.adverse).length, true],
        [
          '',
          ([f, rs]) =>
            drill('Show', `Records furnished by ${institutionName(f)}`, RECORD_COLUMNS, rs),
        ],
      ],
      groups(records.entries, (r) => r.furnisher),
    ),
  );
  fill(
    'disputes',
    note(disputes),
    table(
      [
        ['Furnisher', ([f]) => institutionName(f)],
        ['Open', ([, ds]) => ds.filter((d) => !d.resolution).length, true],
        [
          'Overdue',
          ([, ds]) => ds.filter((d) => !d.resolution && d.deadline < now.time).length,
          true,
        ],
        ['Resolved', ([, ds]) => ds.filter((d) => d.resolution).length, true],
        [
          '',
          ([f, ds]) =>
            drill('Show', `Disputes about ${institutionName(f)}'s records`, DISPUTE_COLUMNS, ds),
        ],
      ],
      groups(disputes.entries, (d) => d.furnisher),
      'No disputes.',
    ),
  );
  fill(
    'loans',
    note(loans),
    table(
      [
        ['Status', ([s]) => s],
        ['Loans', ([, ls]) => ls.length, true],
        ['Principal', ([, ls]) => money(ls.reduce((sum, l) => sum + l.terms.principal, 0)), true],
        ['', ([s, ls]) => drill('Show', `Loans ${s}`, LOAN_COLUMNS, ls)],
      ],
      groups(loans.entries, (l) => l.status),
      'No loans.',
    ),
  );
  fill(
    'collateral',
    note(assets),
    table(
      [
        ['Asset class', ([c]) => `class ${c}`],
        ['Assets locked', ([, as]) => as.length, true],
        [
          'Valuation locked',
          ([, as]) => money(as.reduce((sum, a) => sum + a.valuation.value, 0)),
          true,
        ],
        ['', ([c, as]) => drill('Show', `Class ${c} assets locked`, ASSET_COLUMNS, as)],
      ],
      groups(locked, (a) => a.class),
      'No collateral is locked.',
    ),
  );
}

function figure(title, value, action = null) {
  return h(
    'div',
    { class: 'card' },
    h('div', { class: 'muted' }, title),
    h('div', { class: 'figure' }, String(value)),
    action,
  );
}

/** The sections the figures fill, emptied when nobody (or not the regulator) is signed in. */
const SECTIONS = [
  'as-of',
  'totals',
  'inquiries',
  'records',
  'disputes',
  'loans',
  'collateral',
  'drill',
];

setUpSignIn('sign-in', {
  keyFile: true,
  help:
    'The regulator reads every entry of the ledger: sign in with its key file, or with the ' +
    'operator token of a node whose institution is the regulator.',
  onChange: async (who) => {
    for (const id of SECTIONS) fill(id);
    document
      .getElementById('figures')
      .classList.toggle('hidden', !who?.roles.includes('regulator'));
    if (!who) return;
    if (!who.roles.includes('regulator')) {
      fill(
        'not-regulator',
        h(
          'p',
          { class: 'notice error', role: 'alert' },
          `${who.name} is not the regulator: these figures count every entry of the ledger, ` +
            'which the node shows the regulator alone. Sign out and sign in as the regulator.',
        ),
      );
      return;
    }
    fill('not-regulator');
    await load().catch((error) =>
      fill('totals', h('p', { class: 'notice error', role: 'alert' }, explain(error))),
    );
  },
});
