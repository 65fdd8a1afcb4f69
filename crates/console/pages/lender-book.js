// The lender console's loan book tab. Owns the loan book (this institution's loans by
// status, with the next installment due of each running one), the form that offers a loan
// against an asset, within the bounds the ledger accepts, and the collateral check the
// ledger will make on acceptance, shown before the offer can be sent.

import {
  allPages,
  api,
  explain,
  fill,
  h,
  isoDate,
  link,
  lockBadge,
  money,
  notify,
  options,
  owner,
  parseMoney,
  percent,
  table,
  when,
} from './common.js';
import { LOAN_LIMITS, SCHEDULES } from './constants.js';
import { operator, session } from './lender-session.js';

const offerField = (id) => document.getElementById(`offer-${id}`);

/** Wires the refresh button and the offer form; the schedules come from the ledger. */
export function setUpBook() {
  document.getElementById('book-refresh').addEventListener('click', () => showBook());
  options('offer-schedule', SCHEDULES, 'amortizing');
  // A changed borrower, asset, amount or limit needs a new collateral check before sending.
  for (const id of ['borrower', 'asset', 'principal', 'ltv', 'currency']) {
    offerField(id).addEventListener('input', () => {
      offerField('send').disabled = true;
    });
  }
  offerField('first-due').value = isoDate(Date.now() + 30 * 86_400_000);
  offerField('check').addEventListener('click', checkCollateral);
  document.getElementById('offer-form').addEventListener('submit', sendOffer);
}

const GROUPS = [
  ['offered', ['offered'], 'Offers'],
  ['active', ['active'], 'Active'],
  ['delinquent', ['delinquent'], 'Delinquent'],
  ['defaulted', ['defaulted'], 'Defaulted'],
  ['closed', ['repaid', 'withdrawn', 'expired'], 'Closed'],
];

/** Reads and shows this institution's loan book. */
export async function showBook() {
  let loans;
  try {
    loans = await allPages(`institutions/${session().institution}/loans`);
  } catch (error) {
    notify('book-tables', explain(error), 'error');
    return;
  }
  const running = loans.filter((l) => l.status === 'active' || l.status === 'delinquent');
  const schedules = new Map(
    await Promise.all(
      running.map(async (l) => [l.id, await api(`loans/${l.id}/schedule`).catch(() => null)]),
    ),
  );
  fill(
    'book-figures',
    GROUPS.map(([id, statuses, title]) =>
      h(
        'div',
        { class: 'card' },
        h('div', { class: 'muted' }, title),
        h(
          'div',
          { class: 'figure', id: `book-count-${id}` },
          String(loans.filter((l) => statuses.includes(l.status)).length),
        ),
      ),
    ),
  );
  fill(
    'book-tables',
    GROUPS.map(([id, statuses, title]) =>
      h(
        'div',
        { id: `book-${id}` },
        h('h3', {}, title),
        table(
          [
            ['Loan', (l) => link('loan', l.id, String(l.id)), true],
            ['Borrower', (l) => owner(l.terms.borrower)],
            ['Principal', (l) => money(l.terms.principal), true],
            ['Balance', (l) => money(l.principal + l.interest + l.fees), true],
            ['Next due', (l) => schedules.get(l.id)?.installments?.[0]?.due ?? '—'],
            [
              'Collateral',
              (l) =>
                l.terms.collateral.map((c) =>
                  c.asset !== undefined ? link('asset', c.asset, `asset ${c.asset}`) : 'funds',
                ),
            ],
            ['Status', (l) => h('span', { class: 'loan-status' }, l.status)],
          ],
          loans.filter((l) => statuses.includes(l.status)),
          'None.',
        ),
      ),
    ),
  );
}

/** Reads the offer form; null (with the fields marked) when something is not valid. */
function offerTerms() {
  const problems = [];
  const check = (id, ok, bounds = null) => {
    offerField(id).setAttribute('aria-invalid', ok ? 'false' : 'true');
    const label = offerField(id).labels[0].firstChild.textContent.trim();
    if (!ok) problems.push(bounds ? `${label} (${bounds})` : label);
  };
  const borrower = offerField('borrower').value.trim().toLowerCase();
  check('borrower', /^[0-9a-f]{64}$/.test(borrower));
  const asset = Number(offerField('asset').value);
  check('asset', /^\d+$/.test(offerField('asset').value.trim()));
  const principal = parseMoney(offerField('principal').value);
  check('principal', principal !== null && principal > 0);
  const currency = Number(offerField('currency').value);
  check('currency', /^\d+$/.test(offerField('currency').value.trim()));
  // The ledger's bounds on loan terms: an offer outside them would only be refused.
  const rate = Math.round(Number(offerField('rate').value) * 100);
  const rateMax = LOAN_LIMITS.rate_bps_max;
  check('rate', Number.isFinite(rate) && rate >= 0 && rate <= rateMax, `0 to ${percent(rateMax)}`);
  const installments = Number(offerField('installments').value);
  const installmentsMax = LOAN_LIMITS.installments_max;
  check(
    'installments',
    Number.isInteger(installments) && installments >= 1 && installments <= installmentsMax,
    `1 to ${installmentsMax}`,
  );
  const ltv = Math.round(Number(offerField('ltv').value) * 100);
  const ltvMax = LOAN_LIMITS.max_ltv_bps_max;
  check(
    'ltv',
    Number.isFinite(ltv) && ltv > 0 && ltv <= ltvMax,
    `above 0, up to ${percent(ltvMax)}`,
  );
  const lateFee = parseMoney(offerField('late-fee').value);
  check('late-fee', lateFee !== null);
  const cure = Number(offerField('cure').value);
  const cureMax = LOAN_LIMITS.cure_days_max;
  check('cure', Number.isInteger(cure) && cure >= 0 && cure <= cureMax, `0 to ${cureMax} days`);
  check('first-due', /^\d{4}-\d{2}-\d{2}$/.test(offerField('first-due').value));
  if (problems.length) {
    notify('offer-check-result', `Check: ${problems.join(', ')}.`, 'error');
    return null;
  }
  return {
    borrower: { subject: borrower },
    principal,
    denomination: { on_ledger: currency },
    rate,
    day_count: 'actual365_fixed',
    schedule: offerField('schedule').value,
    first_due: offerField('first-due').value,
    period_months: 1,
    installments,
    grace_days: 10,
    late_fee: lateFee,
    collateral: [{ asset }],
    max_ltv: ltv,
    cure_days: cure,
    remedy: offerField('remedy').value,
    offer_expires_at: Date.now() + 86_400_000,
  };
}

/** The collateral check the ledger will make on acceptance, shown before the offer goes. */
async function checkCollateral() {
  const terms = offerTerms();
  if (!terms) return;
  let asset;
  try {
    asset = (await api(`assets/${terms.collateral[0].asset}`)).value;
  } catch (error) {
    notify('offer-check-result', explain(error), 'error');
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
    row(
      'Owned by the borrower',
      owned,
      owned ? 'yes' : h('span', {}, 'owner is ', owner(asset.owner)),
    ),
    row('Not pledged', free, free ? 'free' : lockBadge(asset)),
    row(
      'Valued in the loan currency',
      sameCurrency,
      `valuation ${money(asset.valuation.value)} at ${when(asset.valuation.at)}`,
    ),
    row(
      'Loan-to-value within limit',
      withinLtv,
      `${percent(ltv)} of ${percent(terms.max_ltv)} allowed`,
    ),
  ];
  fill(
    'offer-check-result',
    h(
      'div',
      { id: 'collateral-check' },
      table(
        [
          ['Check', (r) => r.check],
          [
            'Result',
            (r) => h('span', { class: `badge ${r.ok ? 'good' : 'bad'}` }, r.ok ? 'pass' : 'fail'),
          ],
          ['Detail', (r) => r.detail],
        ],
        rows,
      ),
    ),
  );
  offerField('send').disabled = !rows.every((r) => r.ok);
}

/** Signs and sends the offer through the operator endpoint, and waits for finality. */
async function sendOffer(event) {
  event.preventDefault();
  const terms = offerTerms();
  if (!terms) return;
  offerField('send').disabled = true;
  notify('offer-status', 'Signing and waiting for finality…');
  try {
    const done = await operator('transactions', {
      method: 'POST',
      body: { payload: { kind: 'offer_loan', body: terms } },
    });
    const offered = done.events.find((e) => e.kind === 'loan_offered');
    notify('offer-status', `Offered: loan ${offered?.loan}.`, 'ok');
    showBook();
  } catch (error) {
    notify('offer-status', explain(error), 'error');
  }
}
