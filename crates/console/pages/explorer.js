// The explorer: the chain's head, its validators, a live chart of blocks and transactions
// per second, recent blocks; pages for a block, a transaction, a subject, an asset and a
// loan; search over all of them. Everything comes from the node's public API.

import {
  api,
  allPages,
  fill,
  h,
  header,
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

header('/');

const RECENT = 12;
const WINDOW = 60;
const blocks = new Map();
let institutions = [];
let homeTimer = null;

async function block(height) {
  if (!blocks.has(height)) blocks.set(height, await api(`blocks/${height}`));
  return blocks.get(height);
}

// A block names its proposer by consensus key; a transaction its signer by signing key.
const nameOf = (key) =>
  institutions.find((i) => i.consensus?.key === key || i.signing_key === key)?.name ?? null;

// ---- home ---------------------------------------------------------------------------------

async function home() {
  const view = fill(
    'view',
    h('section', { class: 'grid', id: 'head' }),
    h(
      'section',
      {},
      h('h2', {}, 'Throughput'),
      h('p', { class: 'muted', id: 'rates' }, 'Measuring over the next seconds…'),
      h('div', { id: 'chart' }),
    ),
    h('section', {}, h('h2', {}, 'Validators'), h('div', { id: 'validators' })),
    h('section', {}, h('h2', {}, 'Recent blocks'), h('div', { id: 'recent' })),
  );
  institutions = await allPages('institutions');
  await tick();
  homeTimer = setInterval(() => tick().catch(() => {}), 1000);
  return view;
}

async function tick() {
  const now = await api('status');
  const heights = [];
  for (let hgt = now.height; hgt > Math.max(0, now.height - WINDOW); hgt -= 1) heights.push(hgt);
  const span = await Promise.all(heights.map(block));
  for (const height of blocks.keys()) if (height <= now.height - WINDOW) blocks.delete(height);
  const recent = span.slice(0, RECENT);
  fill(
    'head',
    card('Finalised height', now.height, link('block', now.height, 'latest block')),
    card('Chain time (UTC)', when(now.time), ''),
    card('Mempool', now.mempool, 'transactions waiting'),
    card('State root', short(now.state_root), ''),
  );
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

function renderValidators(recent) {
  const validators = institutions.filter((i) => i.roles.includes('validator'));
  fill(
    'validators',
    table(
      [
        ['Member', (v) => v.name],
        ['Id', (v) => v.id, true],
        ['Consensus key', (v) => (v.consensus ? short(v.consensus.key) : '—')],
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
      ['Block', tx.height !== undefined ? link('block', tx.height, String(tx.height)) : '—'],
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
    const events = (await api(`blocks/${tx.height}/events`)).filter(
      (e) => e.source.transaction === tx.index,
    );
    parts.push(h('h2', {}, 'Events'), eventsTable(events));
  }
  return parts;
}

async function subjectPage(id) {
  const subject = (await api(`subjects/${id}`)).value;
  const [records, consents, inquiries, disputes, assets, loans] = await Promise.all(
    ['records', 'consents', 'inquiries', 'disputes', 'assets', 'loans'].map((listing) =>
      allPages(`subjects/${id}/${listing}`),
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
    table(
      [
        ['Id', (r) => r.id, true],
        ['Furnisher', (r) => r.furnisher, true],
        ['Status', (r) => status(r.status)],
        ['As of', (r) => r.as_of],
        ['Supersedes', (r) => r.supersedes ?? '—'],
      ],
      records,
    ),
    h('h3', {}, 'Consents'),
    table(
      [
        ['Id', (c) => c.id, true],
        ['Lender', (c) => c.lender, true],
        ['Purpose', (c) => c.purpose],
        ['Granted', (c) => when(c.granted_at)],
        ['State', (c) => (c.ended_height !== null ? 'ended' : 'active')],
      ],
      consents,
    ),
    h('h3', {}, 'Inquiries'),
    table(
      [
        ['Id', (q) => q.id, true],
        ['Institution', (q) => q.institution, true],
        ['Basis', (q) => JSON.stringify(q.basis)],
        ['At', (q) => when(q.at)],
      ],
      inquiries,
    ),
    h('h3', {}, 'Disputes'),
    table(
      [
        ['Id', (d) => d.id, true],
        ['Record', (d) => d.record, true],
        ['Reason', (d) => d.reason],
        ['Deadline', (d) => when(d.deadline)],
        ['Resolution', (d) => JSON.stringify(d.resolution ?? 'open')],
      ],
      disputes,
    ),
    h('h3', {}, 'Assets'),
    assetsTable(assets),
    h('h3', {}, 'Loans'),
    loansTable(loans),
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
  const target = await resolve(query, kind);
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
 * answer for an unknown id is a proven absence rather than a 404.
 */
async function resolve(query, kind) {
  const named = /^(block|asset|loan|subject|tx)\s+(\S+)$/i.exec(query);
  if (named) return resolve(named[2], named[1].toLowerCase());
  const wants = (k) => kind === 'auto' || kind === k;
  const present = (path) =>
    api(`${path}?prove=true`).then(
      (entry) => entry.value !== null,
      () => false,
    );
  if (/^\d+$/.test(query)) {
    const { height } = await api('status');
    if (wants('block') && Number(query) >= 1 && Number(query) <= height) return `block/${query}`;
    if (wants('asset') && (await present(`assets/${query}`))) return `asset/${query}`;
    if (wants('loan') && (await present(`loans/${query}`))) return `loan/${query}`;
    return null;
  }
  if (!/^[0-9a-f]{64}$/i.test(query)) return null;
  const id = query.toLowerCase();
  if (wants('subject') && (await present(`subjects/${id}`))) return `subject/${id}`;
  if (
    wants('tx') &&
    (await api(`transactions/${id}`).then(
      () => true,
      () => false,
    ))
  )
    return `tx/${id}`;
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
  const [, kind, id] = location.hash.split('/');
  try {
    if (PAGES[kind] && id) {
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
      h(
        'p',
        { class: 'notice error', role: 'alert' },
        `${error.code ?? 'error'}: ${error.message}`,
      ),
      h('p', {}, h('a', { href: '#' }, '← explorer')),
    );
  }
}

window.addEventListener('hashchange', route);
route();
