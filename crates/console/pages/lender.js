// The lender console: an institution's staff, signed in with the node's operator token.
// Reads go to the public API; what needs the institution's key (pulling a report, which
// records an inquiry; furnishing; offering a loan) goes to the node's operator endpoints,
// where the key stays.

import {
  allPages, api, ApiError, fill, follow, h, header, institutionName, isoDate, link,
  loadInstitutions, lockBadge, money, notify, owner, parseMoney, percent, short, STATUS, status,
  table, when,
} from './common.js';

header('/lender');

const TOKEN = 'credence.operator';
const LAST_ALERT = 'credence.alerts.last';
let session = null;
let stopAlerts = null;

// ---- sign-in ------------------------------------------------------------------------------

/** Calls an operator endpoint with the token; a 401 signs the page out. */
async function operator(path, options = {}) {
  const token = sessionStorage.getItem(TOKEN);
  try {
    return await api(`/console/api/${path}`, {
      ...options, headers: { authorization: `Bearer ${token}` },
    });
  } catch (error) {
    if (error.status === 401) signOut('Your session ended: sign in again.');
    throw error;
  }
}

document.getElementById('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN, document.getElementById('token').value.trim());
  await start();
});

document.getElementById('sign-out').addEventListener('click', () => signOut('Signed out.'));

function signOut(message) {
  sessionStorage.removeItem(TOKEN);
  stopAlerts?.();
  stopAlerts = null;
  session = null;
  document.getElementById('app').classList.add('hidden');
  document.getElementById('login').classList.remove('hidden');
  notify('login-status', message, '');
}

async function start() {
  if (!sessionStorage.getItem(TOKEN)) return;
  try {
    session = await api('/console/api/session', {
      headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN)}` },
    });
  } catch (error) {
    sessionStorage.removeItem(TOKEN);
    notify('login-status', error.code === 'operator_token_invalid'
      ? 'That operator token is not this node\'s.' : `${error.code}: ${error.message}`, 'error');
    return;
  }
  document.getElementById('token').value = '';
  fill('login-status');
  document.getElementById('login').classList.add('hidden');
  document.getElementById('app').classList.remove('hidden');
  fill('who', `Signed in for ${session.name} (institution ${session.institution}).`);
  await loadInstitutions();
  startAlerts();
  route();
}

// ---- sections -----------------------------------------------------------------------------

function route() {
  if (!session) return;
  const [tab, argument] = location.hash.slice(1).split('/');
  const current = ['applicant', 'book', 'alerts', 'furnish'].includes(tab) ? tab : 'applicant';
  for (const section of document.querySelectorAll('[data-tab]')) {
    section.classList.toggle('hidden', section.id !== current);
  }
  if (current === 'applicant' && argument) {
    document.getElementById('applicant-subject').value = argument;
    lookUp(argument);
  }
  if (current === 'book') loanBook();
}

window.addEventListener('hashchange', route);

// ---- applicant ----------------------------------------------------------------------------

document.getElementById('applicant-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const subject = document.getElementById('applicant-subject').value.trim().toLowerCase();
  if (location.hash === `#applicant/${subject}`) lookUp(subject);
  else location.hash = `#applicant/${subject}`;
});

/** The applicant's consents to this institution, and the request link when there is none. */
async function lookUp(subject) {
  fill('report');
  const purpose = document.getElementById('consent-purpose').value;
  let consents;
  try {
    await api(`subjects/${subject}`);
    consents = (await allPages(`institutions/${session.institution}/consents`))
      .filter((c) => c.subject === subject);
  } catch (error) {
    fill('consent', h('p', { class: 'notice error', role: 'alert' }, error.code === 'subject_unknown'
      ? 'No subject has this pseudonym.' : `${error.code}: ${error.message}`));
    return;
  }
  const active = consents.filter((c) => !c.ended && c.expires_at > Date.now());
  const request = `${location.origin}/borrower#grant/${session.institution}/${purpose}`;
  fill('consent',
    h('h3', {}, 'Consent'),
    active.length
      ? h('p', { class: 'notice ok', id: 'consent-state' }, `Active consent ${active[0].id} ` +
        `(${active[0].purpose.replaceAll('_', ' ')}, expires ${when(active[0].expires_at)}).`)
      : h('p', { class: 'notice', id: 'consent-state' }, 'No active consent. Send the applicant this ' +
        'request; they grant it in their portal, where their keys are.'),
    active.length ? null : h('p', {}, h('label', {}, 'Consent request link',
      h('input', { id: 'consent-request', readonly: true, value: request, size: 60 }))),
    table([['Id', (c) => c.id, true], ['Purpose', (c) => c.purpose.replaceAll('_', ' ')],
      ['Granted (UTC)', (c) => when(c.granted_at)], ['State', (c) => (c.ended ? 'ended' : 'active')]],
    consents, 'This applicant has granted this institution no consent.'),
    h('p', {}, h('button', { id: 'consent-refresh', type: 'button', class: 'secondary', onclick: () => lookUp(subject) },
      'Refresh consent state'), ' ',
    h('button', { id: 'pull-report', type: 'button', disabled: !active.length, onclick: () => pullReport(subject) },
      'Pull credit report')));
}

async function pullReport(subject) {
  notify('report', 'Recording the inquiry and reading the file…');
  try {
    renderReport(await operator(`reports/${subject}`, { method: 'POST' }));
  } catch (error) {
    notify('report', `${error.code}: ${error.message}`, 'error');
  }
}

const REASONS = {
  late_payment_history: 'Late payments in the history',
  derogatory_accounts: 'Derogatory accounts',
  high_utilization: 'High balances compared with limits',
  short_history: 'Short credit history',
  many_inquiries: 'Many recent inquiries',
  narrow_mix: 'Few kinds of credit',
  no_open_accounts: 'No open accounts',
};

function renderReport(report) {
  const furnishers = new Set(report.accounts.map((a) => a.furnisher_name));
  fill('report',
    h('h3', {}, 'Credit report'),
    h('p', { class: 'muted' }, `As of ${report.as_of}; ${report.accounts.length} account(s) from ` +
      `${furnishers.size} furnisher(s). This read is recorded as an inquiry the borrower sees.`),
    h('div', { class: 'grid' },
      h('div', { class: 'card', id: 'score' }, report.score ? gauge(report.score.value)
        : h('p', {}, `Unscorable: ${report.unscorable}`)),
      h('div', { class: 'card' }, h('h4', {}, 'What moves the score'),
        h('ol', { id: 'reasons' }, (report.score?.reasons ?? []).map((r) =>
          h('li', {}, REASONS[r] ?? r.replaceAll('_', ' ')))))),
    h('h4', {}, 'Tradelines'),
    table([
      ['Furnisher', (a) => a.furnisher_name],
      ['Account', (a) => (a.tradeline ? `${a.tradeline.portfolio_type.replaceAll('_', ' ')} (${a.tradeline.account_type})` : short(a.account))],
      ['Status', (a) => status(a.status)],
      ['Balance', (a) => (a.tradeline ? money(a.tradeline.current_balance) : '—'), true],
      ['Limit / high credit', (a) => (a.tradeline ? money(a.tradeline.credit_limit || a.tradeline.highest_credit) : '—'), true],
      ['Opened', (a) => a.tradeline?.date_opened ?? '—'],
      ['Disputed', (a) => (a.disputed ? 'yes' : 'no')],
    ], report.accounts),
    h('h4', {}, 'Payment history, last 24 months (most recent first)'),
    report.accounts.map((a) => h('div', { class: 'card' },
      h('div', {}, `${a.furnisher_name} · `, status(a.status)), history(a.tradeline?.payment_history ?? []))),
    h('h4', {}, 'Inquiries'),
    table([['Institution', (q) => institutionName(q.institution)], ['Basis', (q) => basis(q.basis)], ['At (UTC)', (q) => when(q.at)]],
      report.inquiries),
    h('h4', {}, 'Disputes'),
    table([['Id', (d) => d.id, true], ['Record', (d) => d.record, true], ['Reason', (d) => String(d.reason).replaceAll('_', ' ')],
      ['Deadline', (d) => when(d.deadline)]], report.disputes),
    h('h4', {}, 'Collateral pledged'),
    table([['Asset', (a) => link('asset', a.id, String(a.id)), true], ['Class', (a) => a.class, true],
      ['Valuation', (a) => money(a.valuation.value), true], ['Lock', lockBadge]], report.pledged),
    h('h4', {}, 'Loans on the ledger'),
    table([['Loan', (l) => link('loan', l.id, String(l.id)), true], ['Lender', (l) => institutionName(l.lender)],
      ['Status', (l) => l.status], ['Owed', (l) => money(l.principal + l.interest + l.fees), true]], report.loans));
}

const basis = (b) => (b.consent ? `${b.consent.purpose.replaceAll('_', ' ')}, ${b.consent.kind}` : JSON.stringify(b));

/** A semicircular gauge of a score on 300–850. */
function gauge(value) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 200 120');
  svg.setAttribute('class', 'gauge');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Score ${value} on a scale of 300 to 850`);
  const fraction = Math.min(1, Math.max(0, (value - 300) / 550));
  const angle = Math.PI * (1 - fraction);
  const x = 100 + 80 * Math.cos(angle);
  const y = 100 - 80 * Math.sin(angle);
  const arc = (d, colour, width) => {
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', d);
    path.setAttribute('stroke', colour);
    path.setAttribute('stroke-width', width);
    path.setAttribute('fill', 'none');
    svg.append(path);
  };
  arc('M 20 100 A 80 80 0 0 1 180 100', '#d9dee5', 16);
  const colour = value >= 740 ? '#2e7d32' : value >= 620 ? '#b26a00' : '#b3261e';
  arc(`M 20 100 A 80 80 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)}`, colour, 16);
  const text = document.createElementNS(ns, 'text');
  text.setAttribute('x', '100');
  text.setAttribute('y', '95');
  text.setAttribute('text-anchor', 'middle');
  text.setAttribute('id', 'score-value');
  text.textContent = String(value);
  svg.append(text);
  return svg;
}

const MONTH_CLASS = {
  0: 'm-current', 1: 'm-late30', 2: 'm-late60', 3: 'm-late90', 4: 'm-worse', 5: 'm-worse',
  6: 'm-worse', G: 'm-worse', H: 'm-worse', J: 'm-worse', K: 'm-worse', L: 'm-worse',
  B: 'm-none', D: 'm-none', E: 'm-current',
};
const MONTH_MEANING = {
  0: 'current', 1: '30–59 days late', 2: '60–89 days late', 3: '90–119 days late',
  4: '120–149 days late', 5: '150–179 days late', 6: '180+ days late', B: 'no history',
  D: 'not reported', E: 'zero balance', G: 'collection', H: 'foreclosure',
  J: 'voluntary surrender', K: 'repossession', L: 'charge-off',
};

/** The 24-month payment grid: one cell per month, coloured by Metro 2 payment code. */
function history(months) {
  const cells = [];
  for (let i = 0; i < 24; i += 1) {
    const code = months[i] ?? 'B';
    cells.push(h('span', { class: MONTH_CLASS[code] ?? 'm-none',
      title: `${i === 0 ? 'latest month' : `${i} month(s) earlier`}: ${MONTH_MEANING[code] ?? code}` },
    i < months.length ? code : ''));
  }
  return h('div', { class: 'history', role: 'img', 'aria-label': `Payment history: ${months.join(' ') || 'none'}` }, cells);
}

// ---- loan book ----------------------------------------------------------------------------

const GROUPS = [
  ['offered', ['offered'], 'Offers'], ['active', ['active'], 'Active'],
  ['delinquent', ['delinquent'], 'Delinquent'], ['defaulted', ['defaulted'], 'Defaulted'],
  ['closed', ['repaid', 'withdrawn', 'expired'], 'Closed'],
];

async function loanBook() {
  let loans;
  try {
    loans = await allPages(`institutions/${session.institution}/loans`);
  } catch (error) {
    notify('book-tables', `${error.code}: ${error.message}`, 'error');
    return;
  }
  const running = loans.filter((l) => l.status === 'active' || l.status === 'delinquent');
  const schedules = new Map(await Promise.all(running.map(async (l) =>
    [l.id, await api(`loans/${l.id}/schedule`).catch(() => null)])));
  fill('book-figures', GROUPS.map(([id, statuses, title]) => h('div', { class: 'card' },
    h('div', { class: 'muted' }, title),
    h('div', { class: 'figure', id: `book-count-${id}` }, String(loans.filter((l) => statuses.includes(l.status)).length)))));
  fill('book-tables', GROUPS.map(([id, statuses, title]) => h('div', { id: `book-${id}` },
    h('h3', {}, title),
    table([
      ['Loan', (l) => link('loan', l.id, String(l.id)), true],
      ['Borrower', (l) => owner(l.terms.borrower)],
      ['Principal', (l) => money(l.terms.principal), true],
      ['Balance', (l) => money(l.principal + l.interest + l.fees), true],
      ['Next due', (l) => schedules.get(l.id)?.installments?.[0]?.due ?? '—'],
      ['Collateral', (l) => l.terms.collateral.map((c) => (c.asset !== undefined
        ? link('asset', c.asset, `asset ${c.asset}`) : 'funds'))],
      ['Status', (l) => h('span', { class: 'loan-status' }, l.status)],
    ], loans.filter((l) => statuses.includes(l.status)), 'None.'))));
}

document.getElementById('book-refresh').addEventListener('click', () => loanBook());

const offerField = (id) => document.getElementById(`offer-${id}`);
for (const id of ['borrower', 'asset', 'principal', 'ltv', 'currency']) {
  offerField(id).addEventListener('input', () => { offerField('send').disabled = true; });
}
offerField('first-due').value = isoDate(Date.now() + 30 * 86_400_000);

/** Reads the offer form; null (with the fields marked) when something is not valid. */
function offerTerms() {
  const problems = [];
  const check = (id, ok) => {
    offerField(id).setAttribute('aria-invalid', ok ? 'false' : 'true');
    if (!ok) problems.push(offerField(id).labels[0].firstChild.textContent.trim());
  };
  const borrower = offerField('borrower').value.trim().toLowerCase();
  check('borrower', /^[0-9a-f]{64}$/.test(borrower));
  const asset = Number(offerField('asset').value);
  check('asset', /^\d+$/.test(offerField('asset').value.trim()));
  const principal = parseMoney(offerField('principal').value);
  check('principal', principal !== null && principal > 0);
  const currency = Number(offerField('currency').value);
  check('currency', /^\d+$/.test(offerField('currency').value.trim()));
  const rate = Math.round(Number(offerField('rate').value) * 100);
  check('rate', Number.isFinite(rate) && rate >= 0 && rate <= 100_000);
  const installments = Number(offerField('installments').value);
  check('installments', Number.isInteger(installments) && installments >= 1 && installments <= 480);
  const ltv = Math.round(Number(offerField('ltv').value) * 100);
  check('ltv', Number.isFinite(ltv) && ltv > 0 && ltv <= 10_000);
  const lateFee = parseMoney(offerField('late-fee').value);
  check('late-fee', lateFee !== null);
  const cure = Number(offerField('cure').value);
  check('cure', Number.isInteger(cure) && cure >= 0 && cure <= 3650);
  check('first-due', /^\d{4}-\d{2}-\d{2}$/.test(offerField('first-due').value));
  if (problems.length) {
    notify('offer-check-result', `Check: ${problems.join(', ')}.`, 'error');
    return null;
  }
  return {
    borrower: { subject: borrower }, principal, denomination: { on_ledger: currency }, rate,
    day_count: 'actual365_fixed', schedule: offerField('schedule').value,
    first_due: offerField('first-due').value, period_months: 1, installments, grace_days: 10,
    late_fee: lateFee, collateral: [{ asset }], max_ltv: ltv, cure_days: cure,
    remedy: offerField('remedy').value, offer_expires_at: Date.now() + 86_400_000,
  };
}

/** The collateral check the ledger will make on acceptance, shown before the offer goes. */
offerField('check').addEventListener('click', async () => {
  const terms = offerTerms();
  if (!terms) return;
  let asset;
  try {
    asset = (await api(`assets/${terms.collateral[0].asset}`)).value;
  } catch (error) {
    notify('offer-check-result', `${error.code}: ${error.message}`, 'error');
    return;
  }
  const owned = asset.owner.subject === terms.borrower.subject;
  const free = asset.lock === null;
  const sameCurrency = asset.valuation.denomination.on_ledger === terms.denomination.on_ledger;
  // Loan-to-value in basis points, rounded up: the ledger refuses anything above the limit.
  const ltv = Math.ceil((terms.principal * 10_000) / Math.max(1, asset.valuation.value));
  const withinLtv = ltv <= terms.max_ltv;
  const row = (check, ok, detail) => ({ check, ok, detail });
  const rows = [
    row('Owned by the borrower', owned, owned ? 'yes' : h('span', {}, 'owner is ', owner(asset.owner))),
    row('Not pledged', free, free ? 'free' : lockBadge(asset)),
    row('Valued in the loan currency', sameCurrency, `valuation ${money(asset.valuation.value)} at ${when(asset.valuation.at)}`),
    row('Loan-to-value within limit', withinLtv, `${percent(ltv)} of ${percent(terms.max_ltv)} allowed`),
  ];
  fill('offer-check-result', h('div', { id: 'collateral-check' }, table([
    ['Check', (r) => r.check],
    ['Result', (r) => h('span', { class: `badge ${r.ok ? 'good' : 'bad'}` }, r.ok ? 'pass' : 'fail')],
    ['Detail', (r) => r.detail],
  ], rows)));
  offerField('send').disabled = !rows.every((r) => r.ok);
});

document.getElementById('offer-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const terms = offerTerms();
  if (!terms) return;
  offerField('send').disabled = true;
  notify('offer-status', 'Signing and waiting for finality…');
  try {
    const done = await operator('transactions', { method: 'POST', body: { payload: { kind: 'offer_loan', body: terms } } });
    const offered = done.events.find((e) => e.kind === 'loan_offered');
    notify('offer-status', `Offered: loan ${offered?.loan}.`, 'ok');
    loanBook();
  } catch (error) {
    notify('offer-status', `${error.code}: ${error.message}`, 'error');
  }
});

// ---- alerts -------------------------------------------------------------------------------

function startAlerts() {
  stopAlerts?.();
  let count = 0;
  stopAlerts = follow({ watcher: session.institution }, (event) => {
    sessionStorage.setItem(LAST_ALERT, event.id);
    if (event.event.kind !== 'adverse') return;
    count += 1;
    fill('alert-count', String(count));
    const a = event.event;
    document.getElementById('alert-list').prepend(h('li', { class: 'card alert', 'data-subject': a.subject },
      h('strong', {}, 'Adverse record '), status(a.status), ` from ${institutionName(a.furnisher)} about `,
      h('a', { href: `#applicant/${a.subject}` }, short(a.subject)),
      h('span', { class: 'muted' }, ` · event ${event.id}`)));
  }, {
    start: sessionStorage.getItem(LAST_ALERT),
    onState: (state) => fill('alerts-state', state),
  });
}

// ---- furnishing ---------------------------------------------------------------------------

const statusSelect = document.getElementById('f-status');
for (const [code, [meaning]] of Object.entries(STATUS)) {
  statusSelect.append(h('option', { value: code }, `${code} — ${meaning}`));
}
statusSelect.value = '11';
const today = isoDate(Date.now());
document.getElementById('f-as-of').value = today;

const PAST_DUE = new Set(['71', '78', '80', '82', '83', '84', '93', '97']);
const MONTH_CODES = new Set(['0', '1', '2', '3', '4', '5', '6', 'B', 'D', 'E', 'G', 'H', 'J', 'K', 'L']);

/** The form as a Metro 2 tradeline, or the list of what is wrong with it. */
function tradeline() {
  const value = (id) => document.getElementById(`f-${id}`).value.trim();
  const problems = [];
  const mark = (id, ok, problem) => {
    document.getElementById(`f-${id}`).setAttribute('aria-invalid', ok ? 'false' : 'true');
    if (!ok) problems.push(problem);
  };
  const amount = (id, label) => {
    const parsed = parseMoney(value(id) || '0');
    mark(id, parsed !== null, `${label} must be an amount like 1234.56`);
    return parsed ?? 0;
  };
  const date = (id, label, required) => {
    const text = value(id);
    const ok = required ? /^\d{4}-\d{2}-\d{2}$/.test(text) : text === '' || /^\d{4}-\d{2}-\d{2}$/.test(text);
    mark(id, ok, `${label} ${required ? 'is required' : 'must be a date'}`);
    return text || null;
  };
  const text = (id, label, max) => {
    const t = value(id);
    mark(id, t.length > 0 && new TextEncoder().encode(t).length <= max, `${label} is required (at most ${max} bytes)`);
    return t;
  };
  const subject = value('subject').toLowerCase();
  mark('subject', /^[0-9a-f]{64}$/.test(subject), 'The subject pseudonym is 64 hex digits');
  const history = value('history').split(/[\s,]+/).filter(Boolean).map((c) => c.toUpperCase());
  mark('history', history.length <= 24 && history.every((c) => MONTH_CODES.has(c)),
    'Payment history takes at most 24 codes from 0–6 B D E G H J K L');
  const accountStatus = value('status');
  const firstDelinquency = date('first-delinquency', 'First delinquency', PAST_DUE.has(accountStatus));
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
      name: text('name', 'Name', 64), national_id: text('national-id', 'National id', 64),
      date_of_birth: date('birth', 'Date of birth', false), address: text('address', 'Address', 64),
    },
  };
  return { subject, line, problems };
}

document.getElementById('furnish-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const { subject, line, problems } = tradeline();
  if (problems.length) {
    fill('furnish-errors', h('div', { class: 'notice error', role: 'alert' },
      h('p', {}, 'Not sent; correct these first:'), h('ul', {}, problems.map((p) => h('li', {}, p)))));
    return;
  }
  fill('furnish-errors');
  notify('furnish-status', 'Sealing to the subject, signing and waiting for finality…');
  try {
    const done = await operator('records', { method: 'POST', body: { subject, tradeline: line } });
    const furnished = done.events.find((e) => e.kind === 'record_furnished');
    notify('furnish-status', `Furnished: record ${furnished?.record}.`, 'ok');
  } catch (error) {
    notify('furnish-status', `${error.code}: ${error.message}`, 'error');
  }
});

start().catch((error) => notify('login-status', error instanceof ApiError
  ? `${error.code}: ${error.message}` : String(error), 'error'));
