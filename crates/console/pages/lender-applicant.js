// The lender console's applicant tab. Owns the consent request (the applicant's consents to
// this institution, and the link that asks for one), pulling the credit report through the
// operator endpoint (which records an inquiry the borrower sees), and showing it: the score
// gauge and its reasons, the tradelines, and each account's payment grid.

import {
  allPages,
  explain,
  fill,
  h,
  institutionName,
  link,
  lockBadge,
  money,
  notify,
  options,
  short,
  status,
  table,
  when,
} from './common.js';
import { PAYMENT_HISTORY_MONTHS, PAYMENT_MONTHS, PURPOSES, SCORE_REASONS } from './constants.js';
import { operator, session } from './lender-session.js';

/** Wires the applicant form; the purposes a consent request may name come from the ledger. */
export function setUpApplicant() {
  options('consent-purpose', PURPOSES, 'account_review');
  document.getElementById('applicant-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const subject = document.getElementById('applicant-subject').value.trim().toLowerCase();
    if (location.hash === `#applicant/${subject}`) lookUp(subject);
    else location.hash = `#applicant/${subject}`;
  });
}

/** Looks up the applicant `subject` named in the address. */
export function showApplicant(subject) {
  document.getElementById('applicant-subject').value = subject;
  lookUp(subject);
}

/** The applicant's consents to this institution, and the request link when there is none. */
async function lookUp(subject) {
  fill('report');
  const purpose = document.getElementById('consent-purpose').value;
  // The institution's own consents say what it may read; without one the node tells it
  // nothing of the subject, not even whether the pseudonym is registered.
  let consents;
  try {
    consents = (await allPages(`institutions/${session().institution}/consents`)).filter(
      (c) => c.subject === subject,
    );
  } catch (error) {
    fill('consent', h('p', { class: 'notice error', role: 'alert' }, explain(error)));
    return;
  }
  const active = consents.filter((c) => c.ended_height === null && c.expires_at > Date.now());
  const request = `${location.origin}/borrower#grant/${session().institution}/${purpose}`;
  fill(
    'consent',
    h('h3', {}, 'Consent'),
    active.length
      ? h(
          'p',
          { class: 'notice ok', id: 'consent-state' },
          `Active consent ${active[0].id} ` +
            `(${active[0].purpose.replaceAll('_', ' ')}, expires ${when(active[0].expires_at)}).`,
        )
      : h(
          'p',
          { class: 'notice', id: 'consent-state' },
          'No active consent. Send the applicant this ' +
            'request; they grant it in their portal, where their keys are.',
        ),
    active.length
      ? null
      : h(
          'p',
          {},
          h(
            'label',
            {},
            'Consent request link',
            h('input', { id: 'consent-request', readonly: true, value: request, size: 60 }),
          ),
        ),
    table(
      [
        ['Id', (c) => c.id, true],
        ['Purpose', (c) => c.purpose.replaceAll('_', ' ')],
        ['Granted (UTC)', (c) => when(c.granted_at)],
        ['State', (c) => (c.ended_height !== null ? 'ended' : 'active')],
      ],
      consents,
      'This applicant has granted this institution no consent.',
    ),
    h(
      'p',
      {},
      h(
        'button',
        {
          id: 'consent-refresh',
          type: 'button',
          class: 'secondary',
          onclick: () => lookUp(subject),
        },
        'Refresh consent state',
      ),
      ' ',
      h(
        'button',
        {
          id: 'pull-report',
          type: 'button',
          disabled: !active.length,
          onclick: () => pullReport(subject),
        },
        'Pull credit report',
      ),
    ),
  );
}

async function pullReport(subject) {
  notify('report', 'Recording the inquiry and reading the file…');
  try {
    renderReport(await operator(`reports/${subject}`, { method: 'POST' }));
  } catch (error) {
    notify('report', explain(error), 'error');
  }
}

/** A score reason as its stable code and text; a name this page does not know, as itself. */
function reason(name) {
  if (!Object.hasOwn(SCORE_REASONS, name)) return name.replaceAll('_', ' ');
  const { code, text } = SCORE_REASONS[name];
  return `${code} ${text}`;
}

function renderReport(report) {
  const furnishers = new Set(report.accounts.map((a) => a.furnisher_name));
  fill(
    'report',
    h('h3', {}, 'Credit report'),
    h(
      'p',
      { class: 'muted' },
      `As of ${report.as_of}; ${report.accounts.length} account(s) from ` +
        `${furnishers.size} furnisher(s). This read is recorded as an inquiry the borrower sees.`,
    ),
    h(
      'div',
      { class: 'grid' },
      h(
        'div',
        { class: 'card', id: 'score' },
        report.score ? gauge(report.score.value) : h('p', {}, `Unscorable: ${report.unscorable}`),
      ),
      h(
        'div',
        { class: 'card' },
        h('h4', {}, 'What moves the score'),
        h(
          'ol',
          { id: 'reasons' },
          (report.score?.reasons ?? []).map((r) => h('li', {}, reason(r))),
        ),
      ),
    ),
    h('h4', {}, 'Tradelines'),
    table(
      [
        ['Furnisher', (a) => a.furnisher_name],
        [
          'Account',
          (a) =>
            a.tradeline
              ? `${a.tradeline.portfolio_type.replaceAll('_', ' ')} (${a.tradeline.account_type})`
              : short(a.account),
        ],
        ['Status', (a) => status(a.status)],
        ['Balance', (a) => (a.tradeline ? money(a.tradeline.current_balance) : '—'), true],
        [
          'Limit / high credit',
          (a) =>
            a.tradeline ? money(a.tradeline.credit_limit || a.tradeline.highest_credit) : '—',
          true,
        ],
        ['Opened', (a) => a.tradeline?.date_opened ?? '—'],
        ['Disputed', (a) => (a.disputed ? 'yes' : 'no')],
      ],
      report.accounts,
    ),
    h('h4', {}, `Payment history, last ${PAYMENT_HISTORY_MONTHS} months (most recent first)`),
    report.accounts.map((a) =>
      h(
        'div',
        { class: 'card' },
        h('div', {}, `${a.furnisher_name} · `, status(a.status)),
        history(a.tradeline?.payment_history ?? []),
      ),
    ),
    h('h4', {}, 'Inquiries'),
    table(
      [
        ['Institution', (q) => institutionName(q.institution)],
        ['Basis', (q) => basis(q.basis)],
        ['At (UTC)', (q) => when(q.at)],
      ],
      report.inquiries,
    ),
    h('h4', {}, 'Disputes'),
    table(
      [
        ['Id', (d) => d.id, true],
        ['Record', (d) => d.record, true],
        ['Reason', (d) => String(d.reason).replaceAll('_', ' ')],
        ['Deadline', (d) => when(d.deadline)],
      ],
      report.disputes,
    ),
    h('h4', {}, 'Collateral pledged'),
    table(
      [
        ['Asset', (a) => link('asset', a.id, String(a.id)), true],
        ['Class', (a) => a.class, true],
        ['Valuation', (a) => money(a.valuation.value), true],
        ['Lock', lockBadge],
      ],
      report.pledged,
    ),
    h('h4', {}, 'Loans on the ledger'),
    table(
      [
        ['Loan', (l) => link('loan', l.id, String(l.id)), true],
        ['Lender', (l) => institutionName(l.lender)],
        ['Status', (l) => l.status],
        ['Owed', (l) => money(l.principal + l.interest + l.fees), true],
      ],
      report.loans,
    ),
  );
}

const basis = (b) =>
  b.consent ? `${b.consent.purpose.replaceAll('_', ' ')}, ${b.consent.kind}` : JSON.stringify(b);

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

/** The payment grid: one cell per month of the profile, coloured by Metro 2 payment code. */
function history(months) {
  const cells = [];
  for (let i = 0; i < PAYMENT_HISTORY_MONTHS; i += 1) {
    const code = months[i] ?? 'B';
    const month = Object.hasOwn(PAYMENT_MONTHS, code) ? PAYMENT_MONTHS[code] : null;
    cells.push(
      h(
        'span',
        {
          class: month?.class ?? 'm-none',
          title: `${i === 0 ? 'latest month' : `${i} month(s) earlier`}: ${month?.meaning ?? code}`,
        },
        i < months.length ? code : '',
      ),
    );
  }
  return h(
    'div',
    {
      class: 'history',
      role: 'img',
      'aria-label': `Payment history: ${months.join(' ') || 'none'}`,
    },
    cells,
  );
}
