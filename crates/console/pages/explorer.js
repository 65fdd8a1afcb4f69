// The explorer: the chain's head and its latest certified header, for anyone; for members
// signed in (signin.js), its validators, and — for an institution with the validator role or
// the regulator — a live chart of blocks and transactions per second, recent blocks; pages
// for a block, a transaction, a subject, an asset and a loan; search over all of them.
// Everything comes from the node's API, read as the signed-in institution: it answers what
// that institution is entitled to, and an anonymous visitor is told so rather than asked
// for what the node would refuse.

import {
  api,
  allPages,
  explain,
  fill,
  h,
  header,
  isReadRefusal,
  link,
  lockBadge,
  money,
  owner,
  percent,
  short,
  status,
  table,
  when,
} from './common.js';
import { setUpSignIn } from './signin.js';

header('/');

const RECENT = 12;
const WINDOW = 60;
const blocks = new Map();
let institutions = [];
let homeTimer = null;
/** Counts the views shown, so a view still loading when another is chosen stays quiet. */
let views = 0;
/** The institution signed in (its directory entry), or null for an anonymous visitor. */
let me = null;

/** Whether the signed-in institution reads the raw chain: blocks and their events. */
const readsChain = () =>
  me !== null && (me.roles.includes('validator') || me.roles.includes('regulator'));

/** What an anonymous visitor is told in place of what only members read. */
const MEMBERS_ONLY =
  'Blocks, transactions, events and ledger entries are for members of the network. Sign in ' +
  "with this node's operator token: an institution with the validator role reads the blocks " +
  'and their events (it holds the whole chain on its own disks anyway); every member reads ' +
  'the entries it is party to, and the files of subjects whose consent it holds.';

/** What a member without the validator role is told in place of the chain's blocks. */
const VALIDATORS_ONLY =
  'Blocks and their events are read by institutions with the validator role and by the ' +
  'regulator.';

async function block(height) {
  if (!blocks.has(height)) blocks.set(height, await api(`blocks/${height}`));
  return blocks.get(height);
}

// A block names its proposer by consensus key; a transaction its signer by signing key.
const nameOf = (key) =>
  institutions.find((i) => i.consensus?.key === key || i.signing_key === key)?.name ?? null;

// ---- home ---------------------------------------------------------------------------------

async function home() {
  const view = views;
  const shown = fill(
    'view',
    h('section', { class: 'grid', id: 'head' }),
    h('section', {}, h('h2', {}, 'Latest finalised header'), h('div', { id: 'latest' })),
    me === null ? h('p', { class: 'notice', id: 'members-only' }, MEMBERS_ONLY) : null,
    readsChain()
      ? h(
          'section',
          {},
          h('h2', {}, 'Throughput'),
          h('p', { class: 'muted', id: 'rates' }, 'Measuring over the next seconds…'),
          h('div', { id: 'chart' }),
        )
      : null,
    me !== null
      ? h('section', {}, h('h2', {}, 'Validators'), h('div', { id: 'validators' }))
      : null,
    readsChain()
      ? h('section', {}, h('h2', {}, 'Recent blocks'), h('div', { id: 'recent' }))
      : me !== null
        ? h('p', { class: 'notice', id: 'validators-only' }, VALIDATORS_ONLY)
        : null,
  );
  if (me !== null) institutions = await allPages('institutions');
  await tick();
  if (view !== views) return shown;
  homeTimer = setInterval(() => tick().catch(() => {}), 1000);
  return shown;
}

/** The head of the chain, which anyone reads; and what the reader may read besides. */
async function tick() {
  const [now, latest] = await Promise.all([api('status'), api('headers/latest')]);
  fill(
    'head',
    card(
      'Finalised height',
      now.height,
      readsChain() ? link('block', now.height, 'latest block') : '',
    ),
    card('Chain time (UTC)', when(now.time), ''),
    card('Mempool', now.mempool, 'transactions waiting'),
    card('State root', short(now.state_root), ''),
  );
  renderLatest(latest);
  if (me === null) return;
  if (!readsChain()) {
    renderValidators(null);
    return;
  }
  const heights = [];
  for (let hgt = now.height; hgt > Math.max(0, now.height - WINDOW); hgt -= 1) heights.push(hgt);
  const span = await Promise.all(heights.map(block));
  for (const height of blocks.keys()) if (height <= now.height - WINDOW) blocks.delete(height);
  const recent = span.slice(0, RECENT);
  renderRates(span.slice().reverse());
  renderValidators(recent);
  fill(
    'recent',
    table(
      [
        ['Height', (b) => link('block', b.header.height, String(b.header.height))],
        ['Time (UTC)', (b) => when(b.header.time)],
        ['Proposer', (b) => nameOf(b.header.proposer) ?? short(b.header.proposer)],
        ['Transactions', (b) => b.header.transaction_count, true],
        ['Digest', (b) => short(b.digest)],
      ],
      recent,
    ),
  );
}

/**
 * The latest finalised header with its certificate, which a light client checks against
 * the epoch's validators (their keys, for anyone, at `/v1/epochs/{n}`).
 */
function renderLatest(latest) {
  fill(
    'latest',
    definitions([
      ['Height', latest.header.height],
      ['Digest', short(latest.digest)],
      ['Time (UTC)', when(latest.header.time)],
      ['Proposer', nameOf(latest.header.proposer) ?? short(latest.header.proposer)],
      ['Transactions', latest.header.transaction_count],
      ['State root', short(latest.header.state_root)],
      [
        'Finalisation certificate',
        h('span', {}, `${latest.certificate.length / 2} bytes `, short(latest.certificate)),
      ],
    ]),
  );
}

function card(title, figure, note) {
  return h(
    'div',
    { class: 'card' },
    h('div', { class: 'muted' }, title),
    h('div', { class: 'figure' }, figure instanceof Node ? figure : String(figure)),
    h('div', {}, note),
  );
}

/** Blocks and transactions per second of chain time, over a sliding span of `SPAN` blocks. */
function renderRates(chain) {
  const SPAN = 5;
  const points = [];
  for (let i = SPAN; i < chain.length; i += 1) {
    const seconds = Math.max(0.001, (chain[i].header.time - chain[i - SPAN].header.time) / 1000);
    const txs = chain
      .slice(i - SPAN + 1, i + 1)
      .reduce((sum, b) => sum + b.header.transaction_count, 0);
    points.push({ blocks: SPAN / seconds, txs: txs / seconds });
  }
  if (points.length < 2) return;
  const last = points.at(-1);
  fill(
    'rates',
    `Now: ${last.blocks.toFixed(2)} blocks/s, ${last.txs.toFixed(1)} transactions/s ` +
      `(chain time, over the last ${chain.length} blocks).`,
  );
  const width = 600;
  const height = 140;
  const maxTx = Math.max(1, ...points.map((p) => p.txs));
  const maxBlocks = Math.max(1, ...points.map((p) => p.blocks));
  const line = (key, max) =>
    points
      .map(
        (p, i) =>
          `${(i / Math.max(1, points.length - 1)) * width},${height - (p[key] / max) * (height - 10)}`,
      )
      .join(' ');
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute(
    'aria-label',
    `Blocks per second (blue, peak ${maxBlocks.toFixed(2)}) and ` +
      `transactions per second (orange, peak ${maxTx.toFixed(1)})`,
  );
  for (const [key, max, colour] of [
    ['blocks', maxBlocks, '#1f5fa8'],
    ['txs', maxTx, '#d9822b'],
  ]) {
    const polyline = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    polyline.setAttribute('points', line(key, max));
    polyline.setAttribute('stroke', colour);
    svg.append(polyline);
  }
  fill(
    'chart',
    svg,
    h(
      'p',
      { class: 'muted' },
      `Blue: blocks/s (peak ${maxBlocks.toFixed(2)}). Orange: transactions/s (peak ${maxTx.toFixed(1)}).`,
    ),
  );
}

/** The validators; with the `recent` blocks (for those who read them), who proposes. */
function renderValidators(recent) {
  const validators = institutions.filter((i) => i.roles.includes('validator'));
  const columns = [
    ['Member', (v) => v.name],
    ['Id', (v) => v.id, true],
    ['Consensus key', (v) => (v.consensus ? short(v.consensus.key) : '—')],
  ];
  if (recent === null) {
    columns.push([
      'Status',
      (v) =>
        v.suspended
          ? h('span', { class: 'badge bad' }, 'suspended')
          : h('span', { class: 'badge good' }, 'active'),
    ]);
    fill('validators', table(columns, validators));
    return;
  }
  fill(
    'validators',
    table(
      [
        ...columns,
        [
          'Last proposed',
          (v) => {
            const proposed = recent.find((b) => b.header.proposer === v.consensus?.key);
            return proposed
              ? link('block', proposed.header.height, `block ${proposed.header.height}`)
              : `not in the last ${RECENT} blocks`;
          },
        ],
        [
          'Status',
          (v) => {
            if (v.suspended) return h('span', { class: 'badge bad' }, 'suspended');
            const active = recent.some((b) => b.header.proposer === v.consensus?.key);
            return h(
              'span',
              { class: `badge ${active ? 'good' : 'warn'}` },
              active ? 'proposing' : 'quiet',
            );
          },
        ],
      ],
      validators,
    ),
  );
}

// ---- entity pages -------------------------------------------------------------------------

async function blockPage(height) {
  const b = await block(Number(height));
  const events = await api(`blocks/${height}/events`);
  if (!institutions.length) institutions = await allPages('institutions');
  return [
    h('h2', {}, `Block ${b.header.height}`),
    definitions([
      ['Digest', short(b.digest)],
      ['Parent', short(b.header.parent)],
      ['Time (UTC)', when(b.header.time)],
      ['Proposer', nameOf(b.header.proposer) ?? short(b.header.proposer)],
      ['Transactions', b.header.transaction_count],
      ['State root', short(b.header.state_root)],
    ]),
    h(
      'p',
      {},
      b.header.height > 1 ? link('block', b.header.height - 1, '← previous') : '',
      ' ',
      link('block', b.header.height + 1, 'next →'),
    ),
    h('h2', {}, 'Transactions'),
    table(
      [
        ['#', (_, i) => i, true],
        ['Hash', (t) => link('tx', t)],
      ],
      b.transactions,
      'An empty block.',
    ),
    h('h2', {}, 'Events'),
    eventsTable(events),
  ];
}

function eventsTable(events) {
  return table(
    [
      ['Id', (e) => e.id],
      [
        'Source',
        (e) =>
          e.source.transaction !== undefined
            ? `transaction ${e.source.transaction}`
            : 'block rules',
      ],
      ['Kind', (e) => e.event.kind.replaceAll('_', ' ')],
      ['Details', (e) => describe(e.event)],
    ],
    events,
    'No events.',
  );
}

/** The fields of an event, with links where they name something. */
function describe(event) {
  const parts = [];
  for (const [key, value] of Object.entries(event)) {
    if (key === 'kind') continue;
    let shown = value;
    if (key === 'subject') shown = link('subject', value);
    else if (key === 'loan') shown = link('loan', value);
    else if (key === 'asset') shown = link('asset', value);
    else if (key === 'borrower' || key === 'owner' || key === 'from' || key === 'to')
      shown = owner(value);
    else if (key === 'status') shown = status(value);
    else if (typeof value === 'object' && value !== null) shown = JSON.stringify(value);
    parts.push(h('span', {}, `${key.replaceAll('_', ' ')}: `, shown, ' '));
  }
  return parts;
}

async function txPage(hash) {
  const tx = await api(`transactions/${hash}`);
  const parts = [
    h('h2', {}, 'Transaction'),
    definitions([
      ['Hash', short(hash)],
      ['Status', tx.status],
      [
        'Block',
        tx.height === undefined
          ? '—'
          : readsChain()
            ? link('block', tx.height, String(tx.height))
            : String(tx.height),
      ],
      ['Index in block', tx.index ?? '—'],
      [
        'Outcome',
        tx.outcome === 'applied'
          ? h('span', { class: 'badge good' }, 'applied')
          : tx.outcome
            ? h(
                'span',
                { class: 'badge bad' },
                `rejected: ${tx.outcome.rejected ?? JSON.stringify(tx.outcome)}`,
              )
            : '—',
      ],
    ]),
  ];
  if (tx.height !== undefined) {
    // What the transaction caused, which its signer reads too (not the rest of its block).
    parts.push(h('h2', {}, 'Events'), eventsTable(await api(`transactions/${hash}/events`)));
  }
  return parts;
}

/**
 * A subject's listing, or the node's refusal of it shown in its place. Its consents are the
 * subject's and the regulator's to read (a lender sees its own consents in its console), so
 * only the regulator asks for them.
 */
async function listing(id, name) {
  if (name === 'consents' && !me.roles.includes('regulator')) {
    return { refused: "A subject's consents are read by the subject and the regulator." };
  }
  try {
    return { items: await allPages(`subjects/${id}/${name}`) };
  } catch (error) {
    if (!isReadRefusal(error)) throw error;
    return { refused: explain(error) };
  }
}

/** A listing's table, or why the reader does not see it. */
const listed = (read, render) =>
  read.refused !== undefined ? h('p', { class: 'muted' }, read.refused) : render(read.items);

async function subjectPage(id) {
  const subject = (await api(`subjects/${id}`)).value;
  const [records, consents, inquiries, disputes, assets, loans] = await Promise.all(
    ['records', 'consents', 'inquiries', 'disputes', 'assets', 'loans'].map((name) =>
      listing(id, name),
    ),
  );
  return [
    h('h2', {}, 'Subject ', short(id)),
    definitions([
      ['Registered (UTC)', when(subject.registered_at)],
      ['Report key epoch', subject.report_key_epoch],
      ['Active consents', subject.active_consents.length],
    ]),
    h(
      'p',
      { class: 'muted' },
      'Credit payloads are sealed to the subject; the ledger shows only their metadata.',
    ),
    h('h3', {}, 'Records'),
    listed(records, (items) =>
      table(
        [
          ['Id', (r) => r.id, true],
          ['Furnisher', (r) => r.furnisher, true],
          ['Status', (r) => status(r.status)],
          ['As of', (r) => r.as_of],
          ['Supersedes', (r) => r.supersedes ?? '—'],
        ],
        items,
      ),
    ),
    h('h3', {}, 'Consents'),
    listed(consents, (items) =>
      table(
        [
          ['Id', (c) => c.id, true],
          ['Lender', (c) => c.lender, true],
          ['Purpose', (c) => c.purpose],
          ['Granted', (c) => when(c.granted_at)],
          ['State', (c) => (c.ended_height !== null ? 'ended' : 'active')],
        ],
        items,
      ),
    ),
    h('h3', {}, 'Inquiries'),
    listed(inquiries, (items) =>
      table(
        [
          ['Id', (q) => q.id, true],
          ['Institution', (q) => q.institution, true],
          ['Basis', (q) => JSON.stringify(q.basis)],
          ['At', (q) => when(q.at)],
        ],
        items,
      ),
    ),
    h('h3', {}, 'Disputes'),
    listed(disputes, (items) =>
      table(
        [
          ['Id', (d) => d.id, true],
          ['Record', (d) => d.record, true],
          ['Reason', (d) => d.reason],
          ['Deadline', (d) => when(d.deadline)],
          ['Resolution', (d) => JSON.stringify(d.resolution ?? 'open')],
        ],
        items,
      ),
    ),
    h('h3', {}, 'Assets'),
    listed(assets, assetsTable),
    h('h3', {}, 'Loans'),
    listed(loans, loansTable),
  ];
}

function assetsTable(assets) {
  return table(
    [
      ['Id', (a) => link('asset', a.id, String(a.id)), true],
      ['Class', (a) => a.class, true],
      ['Owner', (a) => owner(a.owner)],
      ['Valuation', (a) => money(a.valuation.value), true],
      ['Lock', (a) => lockBadge(a)],
    ],
    assets,
  );
}

function loansTable(loans) {
  return table(
    [
      ['Id', (l) => link('loan', l.id, String(l.id)), true],
      ['Lender', (l) => l.lender, true],
      ['Borrower', (l) => owner(l.terms.borrower)],
      ['Principal', (l) => money(l.terms.principal), true],
      ['Rate', (l) => percent(l.terms.rate), true],
      ['Status', (l) => l.status],
      ['Owed', (l) => money(l.principal + l.interest + l.fees), true],
    ],
    loans,
  );
}

async function assetPage(id) {
  const asset = (await api(`assets/${id}`)).value;
  return [
    h('h2', {}, `Asset ${id}`),
    assetsTable([asset]),
    definitions([
      ['Identity commitment', short(asset.identity)],
      ['Valued at (UTC)', when(asset.valuation.at)],
      ['Registrar', asset.valuation.registrar],
      ['Loans that locked it', asset.loans],
    ]),
  ];
}

async function loanPage(id) {
  const loan = (await api(`loans/${id}`)).value;
  const history = await api(`loans/${id}/history`).catch(() => null);
  const schedule = await api(`loans/${id}/schedule`).catch(() => null);
  return [
    h('h2', {}, `Loan ${id}`),
    loansTable([loan]),
    definitions([
      [
        'Schedule',
        `${loan.terms.schedule}, ${loan.terms.installments} × ${loan.terms.period_months} month(s)`,
      ],
      ['First due', loan.terms.first_due],
      ['Collateral', JSON.stringify(loan.terms.collateral)],
      ['Max loan-to-value', percent(loan.terms.max_ltv)],
      ['Remedy', loan.terms.remedy],
      ['Paid so far', money(loan.paid)],
    ]),
    h('h3', {}, 'Installments to come'),
    schedule
      ? table(
          [
            ['Due', (i) => i.due],
            ['Amount', (i) => money(i.amount), true],
            ['Interest', (i) => money(i.interest), true],
            ['Balance after', (i) => money(i.balance), true],
          ],
          schedule.installments ?? [],
          'None: the loan is not running.',
        )
      : h('p', { class: 'muted' }, '—'),
    h('h3', {}, 'History'),
    history
      ? table(
          [
            ['#', (_, i) => i],
            ['Entry', (e) => JSON.stringify(e)],
          ],
          history.items ?? history,
        )
      : h('p', { class: 'muted' }, '—'),
  ];
}

function definitions(rows) {
  return h(
    'dl',
    { class: 'grid' },
    rows.map(([term, value]) =>
      h('div', { class: 'card' }, h('dt', { class: 'muted' }, term), h('dd', {}, value)),
    ),
  );
}

// ---- search and routing -------------------------------------------------------------------

document.getElementById('search').addEventListener('submit', async (event) => {
  event.preventDefault();
  const query = document.getElementById('search-query').value.trim();
  const kind = document.getElementById('search-kind').value;
  if (me === null) {
    fill('search-result', h('p', { class: 'notice' }, `Sign in to search. ${MEMBERS_ONLY}`));
    return;
  }
  let target;
  try {
    target = await resolve(query, kind);
  } catch (error) {
    fill('search-result', h('p', { class: 'notice error', role: 'alert' }, explain(error)));
    return;
  }
  if (target) {
    fill('search-result');
    location.hash = `#/${target}`;
  } else {
    fill(
      'search-result',
      h('p', { class: 'notice error', role: 'alert' }, `Nothing on the ledger matches “${query}”.`),
    );
  }
});

/**
 * What a search names: `kind/id`, or null. Entries are probed with `?prove=true`, whose
 * answer for an unknown id is a proven absence rather than a 404. An entry the reader may
 * not read throws the node's refusal, which says so: it is not "nothing matches".
 */
async function resolve(query, kind) {
  const named = /^(block|asset|loan|subject|tx)\s+(\S+)$/i.exec(query);
  if (named) return resolve(named[2], named[1].toLowerCase());
  const wants = (k) => kind === 'auto' || kind === k;
  const absent = (error) => {
    if (isReadRefusal(error)) throw error;
    return false;
  };
  const present = (path) => api(`${path}?prove=true`).then((entry) => entry.value !== null, absent);
  if (/^\d+$/.test(query)) {
    const { height } = await api('status');
    const block = Number(query) >= 1 && Number(query) <= height;
    if (wants('block') && block && readsChain()) return `block/${query}`;
    if (wants('asset') && (await present(`assets/${query}`))) return `asset/${query}`;
    if (wants('loan') && (await present(`loans/${query}`))) return `loan/${query}`;
    return null;
  }
  if (!/^[0-9a-f]{64}$/i.test(query)) return null;
  const id = query.toLowerCase();
  if (wants('subject') && (await present(`subjects/${id}`))) return `subject/${id}`;
  if (wants('tx') && (await api(`transactions/${id}`).then(() => true, absent))) return `tx/${id}`;
  return null;
}

const PAGES = {
  block: blockPage,
  tx: txPage,
  subject: subjectPage,
  asset: assetPage,
  loan: loanPage,
};

async function route() {
  clearInterval(homeTimer);
  views += 1;
  const [, kind, id] = location.hash.split('/');
  try {
    if (PAGES[kind] && id && me === null) {
      fill(
        'view',
        h('p', { class: 'notice', id: 'members-only' }, MEMBERS_ONLY),
        h('p', {}, h('a', { href: '#' }, '← explorer')),
      );
    } else if (PAGES[kind] && id) {
      fill(
        'view',
        ...(await PAGES[kind](decodeURIComponent(id))),
        h('p', {}, h('a', { href: '#' }, '← explorer')),
      );
    } else {
      await home();
    }
  } catch (error) {
    fill(
      'view',
      h('p', { class: 'notice error', role: 'alert' }, explain(error)),
      h('p', {}, h('a', { href: '#' }, '← explorer')),
    );
  }
}

window.addEventListener('hashchange', route);
setUpSignIn('sign-in', {
  help:
    'Anyone sees the head of the chain. Members sign in to read what they are entitled to; ' +
    'validators and the regulator also read the blocks.',
  onChange: async (who) => {
    me = who;
    fill('search-result');
    await route();
  },
});
