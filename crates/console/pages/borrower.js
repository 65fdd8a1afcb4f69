// The borrower portal. The subject's keys are created or imported here and kept in this
// browser's storage; every transaction is signed here, every read is signed here with the
// subject's signing key (the node answers a subject its own file only), and report keys are
// wrapped here (HPKE) for the lenders the subject chooses. Beyond reading, the node is asked
// for two things only: the canonical bytes of a transaction to sign, and to take the signed
// transaction.

import {
  allPages,
  api,
  ApiError,
  chainId,
  explain,
  fill,
  h,
  header,
  institutionName,
  institutionOf,
  isReadRefusal,
  labelOf,
  link,
  loadInstitutions,
  lockBadge,
  money,
  notify,
  options,
  percent,
  setCredential,
  status,
  submitTransaction,
  table,
  when,
} from './common.js';
import { DISPUTE_REASONS, DISPUTE_RESOLUTIONS, INQUIRY_KINDS, PURPOSES } from './constants.js';
import {
  canonicalSecret,
  encryptionPublicKey,
  fromHex,
  generateEncryptionSecret,
  generateSigningSeed,
  openPayload,
  reportKey,
  signTransaction,
  signedTransactionHex,
  signingKeyOf,
  subjectIdFromKey,
  toHex,
  wrapKey,
} from './crypto.js';
import { decodeRecord } from './record.js';

header('/borrower');
options('grant-purpose', PURPOSES, 'credit_application');
options('grant-kind', INQUIRY_KINDS, 'hard');

const STORE = 'credence.borrower.keys';
let keys = null; // { seed, master, signer, subject } as bytes / hex: master is the report keys' secret

// ---- keys ---------------------------------------------------------------------------------

async function load(stored) {
  const { seed, key: signer } = await signingKeyOf(stored);
  const master = canonicalSecret(fromHex(stored.encryption_secret ?? ''));
  if (master.length !== 32) throw new Error('encryption_secret is 32 bytes');
  keys = { seed, master, signer, subject: toHex(await subjectIdFromKey(fromHex(signer))) };
  // Every read from now on is signed with the subject's key: this page only, never stored
  // for the console's other pages.
  await setCredential(stored);
  localStorage.setItem(
    STORE,
    JSON.stringify({
      signing_seed: stored.signing_seed,
      encryption_secret: stored.encryption_secret,
    }),
  );
  await show();
}

document.getElementById('create-keys').addEventListener('click', async () => {
  await load({
    signing_seed: toHex(generateSigningSeed()),
    encryption_secret: toHex(generateEncryptionSecret()),
  });
  notify(
    'keys-status',
    'New keys created in this browser. Save a copy of your key file: ' +
      'nobody else holds it, so nobody can restore it.',
    'ok',
  );
});

document.getElementById('import-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const file = document.getElementById('import-file').files[0];
  const text = file ? await file.text() : document.getElementById('import-text').value;
  try {
    await load(JSON.parse(text));
    document.getElementById('import-text').value = '';
    notify('keys-status', 'Key file imported.', 'ok');
  } catch (error) {
    notify('keys-status', `That is not a key file: ${error.message}`, 'error');
  }
});

document.getElementById('export-keys').addEventListener('click', async () => {
  const stored = JSON.parse(localStorage.getItem(STORE));
  const file = {
    signing_public_key: keys.signer,
    encryption_public_key: toHex(await encryptionPublicKey(keys.master)),
    ...stored,
  };
  // The file is made in the page and saved by the browser; nothing is uploaded.
  const url = URL.createObjectURL(
    new Blob([JSON.stringify(file, null, 2)], { type: 'application/json' }),
  );
  const anchor = h('a', { href: url, download: 'credence-keys.json' });
  anchor.click();
  URL.revokeObjectURL(url);
});

document.getElementById('forget-keys').addEventListener('click', async () => {
  localStorage.removeItem(STORE);
  keys = null;
  await setCredential(null);
  document.getElementById('keys-none').classList.remove('hidden');
  document.getElementById('keys-some').classList.add('hidden');
  document.getElementById('file').classList.add('hidden');
  notify('keys-status', 'Keys removed from this browser.');
});

// ---- signing ------------------------------------------------------------------------------

const sleep = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Signs `payload` here, submits it, and waits for it to finalise; a rejection throws. */
async function transact(payload) {
  // A subject not yet registered has signed nothing: its registration is its first nonce.
  const account = subject ? await api(`accounts/${keys.signer}`) : { nonce: 0 };
  const transaction = {
    chain_id: await chainId(),
    signer: keys.signer,
    nonce: account.nonce + 1,
    payload,
  };
  const { signing_bytes: signingBytes } = await api('transactions/encode', {
    method: 'POST',
    body: transaction,
  });
  const bytes = fromHex(signingBytes);
  const signature = await signTransaction(keys.seed, bytes);
  const hash = await submitTransaction(signedTransactionHex(bytes, signature));
  for (let attempt = 0; attempt < 240; attempt += 1) {
    const state = await api(`transactions/${hash}`).catch((error) => {
      // Until a registration finalises the ledger knows no key of this subject's, so its
      // reads are refused as `signer_unknown`; any other refusal will not go away by waiting.
      const registering = !subject && error.code === 'signer_unknown';
      if (isReadRefusal(error) && !registering) throw error;
      return { status: 'pending' };
    });
    if (state.status === 'finalized') {
      if (state.outcome !== 'applied') {
        throw new ApiError(
          422,
          state.outcome.rejected,
          `the ledger rejected it: ${state.outcome.rejected}`,
        );
      }
      return state;
    }
    await sleep(250);
  }
  throw new ApiError(504, 'not_finalised', `transaction ${hash} did not finalise in a minute`);
}

/**
 * The encryption key of the institution `id`, from the directory as last loaded (a subject
 * reads the directory, not the institutions' own entries).
 */
function lenderKey(id) {
  const lender = institutionOf(id);
  if (!lender) throw new Error(`institution ${id} is not in the directory`);
  return fromHex(lender.encryption_key);
}

/** Whether a consent is in force at `time` (ms): not ended, and not past its expiry. */
const inForce = (consent, time) => consent.ended_height === null && time < consent.expires_at;

/** The newest report-key epoch sealed to a consent's lender: it opens that and earlier. */
const newestEpoch = (consent) => Math.max(...consent.report_keys.map((k) => k.epoch));

/**
 * The next report-key epoch's rotation, wrapped for the audit key and re-wrapped for the
 * consents in `kept` (those in force: the ledger asks for exactly those).
 */
async function rotation(kept) {
  const epoch = subject.report_key_epoch + 1;
  const next = await reportKey(keys.master, epoch);
  const subjectId = fromHex(keys.subject);
  const audit = fromHex((await api('meta')).value.audit_key);
  const rewraps = [];
  if (kept.length) await loadInstitutions();
  for (const consent of kept) {
    const reader = lenderKey(consent.lender);
    rewraps.push({
      consent: consent.id,
      key: sealedKey(await wrapKey(reader, next, subjectId, epoch)),
    });
  }
  return {
    epoch,
    body: {
      report_key: toHex(await encryptionPublicKey(next)),
      audit_key_wrap: sealedKey(await wrapKey(audit, next, subjectId, epoch)),
      rewraps,
    },
  };
}

/**
 * Before the subject acts: if a consent no longer in force still holds the current epoch (it
 * expired; a revoked one was rotated past at once), the report key rotates first, so nothing
 * furnished afterwards opens for that lender. The Rust client's `needs_rotation` is the same
 * rule.
 */
async function closeEndedConsents() {
  const { time } = await api('status');
  const consents = await allPages(`subjects/${keys.subject}/consents`);
  const exposed = consents.some(
    (c) => !inForce(c, time) && newestEpoch(c) === subject.report_key_epoch,
  );
  if (!exposed) return;
  const { body } = await rotation(consents.filter((c) => inForce(c, time)));
  await transact({ kind: 'rotate_report_key', body });
  subject = (await api(`subjects/${keys.subject}`)).value;
}

/**
 * Runs `action`, reporting progress and its outcome in the element `id`. A registered subject
 * first closes its file to any consent that ended but still holds its current key.
 */
async function act(id, progress, action) {
  notify(id, progress);
  try {
    if (subject) await closeEndedConsents();
    const message = await action();
    // Show the file as it now is before saying it is done.
    await refresh();
    notify(id, message, 'ok');
  } catch (error) {
    notify(id, explain(error), 'error');
  }
}

// ---- the subject's file -------------------------------------------------------------------

let subject = null;
/** Whether the consent form lists the lenders yet (once the subject may read them). */
let lendersShown = false;

async function show() {
  document.getElementById('keys-none').classList.add('hidden');
  document.getElementById('keys-some').classList.remove('hidden');
  fill('pseudonym', keys.subject);
  lendersShown = false;
  await refresh();
}

/** The lenders a consent may name, once the subject is on the ledger and may read them. */
async function showLenders() {
  const institutions = await loadInstitutions();
  const lenders = institutions.filter((i) => i.roles.includes('lender') && !i.suspended);
  fill(
    'grant-lender',
    lenders.map((i) => h('option', { value: i.id }, `${i.name} (${i.id})`)),
  );
  lendersShown = true;
  applyRequest();
}

/** A consent request link from a lender: `#grant/{lender}/{purpose}` fills the form. */
function applyRequest() {
  const [action, lender, purpose] = location.hash.slice(1).split('/');
  if (action !== 'grant') return;
  if (lender) document.getElementById('grant-lender').value = lender;
  if (purpose) document.getElementById('grant-purpose').value = purpose;
  document.getElementById('grant-kind').value = purpose === 'account_review' ? 'soft' : 'hard';
  notify(
    'grant-status',
    `${institutionName(lender)} asks for your consent (${(purpose ?? '').replaceAll('_', ' ')}). ` +
      'Review it below and grant it only if you agree.',
  );
}
window.addEventListener('hashchange', () => lendersShown && applyRequest());

/**
 * The subject's own entry, or null before it registers: the node does not know its key
 * until then (`signer_unknown`). With a proof, a pseudonym the ledger does not hold is a
 * proven absence rather than a 404.
 */
async function ownEntry() {
  try {
    return (await api(`subjects/${keys.subject}?prove=true`)).value;
  } catch (error) {
    if (error.code === 'signer_unknown') return null;
    throw error;
  }
}

async function refresh() {
  subject = await ownEntry();
  if (!subject) {
    fill(
      'registration',
      h('p', { class: 'notice' }, 'You are not on the ledger yet.'),
      h('button', { id: 'register', type: 'button', onclick: register }, 'Register'),
    );
    document.getElementById('file').classList.add('hidden');
    return;
  }
  fill(
    'registration',
    h(
      'p',
      { class: 'muted' },
      `Registered ${when(subject.registered_at)} · ` +
        `report key epoch ${subject.report_key_epoch}.`,
    ),
  );
  document.getElementById('file').classList.remove('hidden');
  if (!lendersShown) await showLenders();
  const [consents, loans, assets, hard, soft, records, disputes] = await Promise.all(
    ['consents', 'loans', 'assets', 'inquiries', 'private-inquiries', 'records', 'disputes'].map(
      (listing) => allPages(`subjects/${keys.subject}/${listing}`),
    ),
  );
  // The subject sees every read of its file: the hard ones lenders see, and the soft and
  // supervisory ones no lender's report shows.
  const inquiries = [...hard, ...soft].sort((a, b) => a.id - b.id);
  renderConsents(consents);
  renderLoans(loans);
  fill(
    'asset-list',
    table(
      [
        ['Asset', (a) => link('asset', a.id, String(a.id)), true],
        ['Class', (a) => a.class, true],
        ['Valuation', (a) => money(a.valuation.value), true],
        ['Lock', lockBadge],
      ],
      assets,
      'You own no registered assets.',
    ),
  );
  fill(
    'inquiry-list',
    table(
      [
        ['When (UTC)', (q) => when(q.at)],
        ['Institution', (q) => institutionName(q.institution)],
        [
          'Purpose',
          (q) =>
            q.basis.consent
              ? q.basis.consent.purpose.replaceAll('_', ' ')
              : Object.keys(q.basis)[0],
        ],
        ['Kind', (q) => q.basis.consent?.kind ?? '—'],
      ],
      inquiries.slice().reverse(),
      'Nobody has read your file.',
    ),
  );
  renderRecords(records);
  fill(
    'dispute-list',
    table(
      [
        ['Dispute', (d) => d.id, true],
        ['Record', (d) => d.record, true],
        ['Reason', (d) => labelOf(DISPUTE_REASONS, d.reason)],
        ['Answer due (UTC)', (d) => when(d.deadline)],
        ['State', (d) => (d.resolution ? labelOf(DISPUTE_RESOLUTIONS, d.resolution) : 'open')],
      ],
      disputes,
      'You have opened no disputes.',
    ),
  );
}

async function register() {
  await act('keys-status', 'Registering…', async () => {
    const meta = (await api('meta')).value;
    const audit = fromHex(meta.audit_key);
    const subjectId = fromHex(keys.subject);
    // Epoch 0's key is derived from the master like every later one; the master is never
    // wrapped for anyone.
    const first = await reportKey(keys.master, 0);
    const wrapped = await wrapKey(audit, first, subjectId, 0);
    await transact({
      kind: 'register_subject',
      body: {
        report_key: toHex(await encryptionPublicKey(first)),
        audit_key_wrap: sealedKey(wrapped),
      },
    });
    return 'Registered. Your pseudonym is what lenders and furnishers know you by.';
  });
}

const sealedKey = (wrapped) => ({
  encapsulated_key: toHex(wrapped.encapsulated_key),
  ciphertext: toHex(wrapped.ciphertext),
});

// ---- consents -----------------------------------------------------------------------------

document.getElementById('grant-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const lender = Number(document.getElementById('grant-lender').value);
  const purpose = document.getElementById('grant-purpose').value;
  const kind = document.getElementById('grant-kind').value;
  const days = Number(document.getElementById('grant-days').value);
  if (!Number.isInteger(days) || days < 1) {
    notify('grant-status', 'Validity is a whole number of days, at least 1.', 'error');
    return;
  }
  await act('grant-status', 'Wrapping your report keys for the lender and signing…', async () => {
    // The longest a consent may run is a network parameter, changed by governance.
    const longest = (await api('meta')).value.parameters.consent_lifetime_days_max;
    if (days > longest) {
      throw new ApiError(422, 'consent_expiry_invalid', `a consent runs at most ${longest} days`);
    }
    await loadInstitutions();
    const reader = lenderKey(lender);
    const subjectId = fromHex(keys.subject);
    // Every epoch of the report key, oldest first, so the lender opens the whole file.
    const reportKeys = [];
    for (let epoch = 0; epoch <= subject.report_key_epoch; epoch += 1) {
      const secret = await reportKey(keys.master, epoch);
      reportKeys.push({ epoch, key: sealedKey(await wrapKey(reader, secret, subjectId, epoch)) });
    }
    const chainTime = (await api('status')).time;
    await transact({
      kind: 'grant_consent',
      body: {
        lender,
        purpose,
        kind,
        expires_at: chainTime + days * 86_400_000,
        report_keys: reportKeys,
      },
    });
    return `Consent granted to ${institutionName(lender)}.`;
  });
});

function renderConsents(consents) {
  fill(
    'consent-list',
    table(
      [
        ['Consent', (c) => c.id, true],
        ['Lender', (c) => institutionName(c.lender)],
        ['Purpose', (c) => `${c.purpose.replaceAll('_', ' ')} (${c.kind})`],
        ['Granted (UTC)', (c) => when(c.granted_at)],
        ['Expires (UTC)', (c) => when(c.expires_at)],
        [
          'State',
          (c) =>
            c.ended_height !== null
              ? h('span', { class: 'badge' }, c.revoked_at ? 'revoked' : 'expired')
              : h('span', { class: 'badge good' }, 'active'),
        ],
        [
          'Can open',
          (c) =>
            h(
              'span',
              { title: 'records sealed to these report-key epochs, and none later' },
              `epochs 0–${newestEpoch(c)}`,
            ),
        ],
        [
          '',
          (c) =>
            c.ended_height !== null
              ? ''
              : h(
                  'button',
                  {
                    type: 'button',
                    class: 'secondary revoke',
                    'data-consent': c.id,
                    onclick: () => revoke(c),
                  },
                  'Revoke',
                ),
        ],
      ],
      consents,
      'You have granted no consents.',
    ),
  );
}

/**
 * Revokes `consent`: the report key moves to the next epoch, wrapped for the audit key and
 * re-wrapped for every consent that stays active, so what is furnished from now on stays
 * closed to the revoked lender.
 */
async function revoke(consent) {
  await act('grant-status', 'Rotating your report key and signing the revocation…', async () => {
    const { time } = await api('status');
    const consents = await allPages(`subjects/${keys.subject}/consents`);
    const kept = consents.filter((c) => inForce(c, time) && c.id !== consent.id);
    const { epoch, body } = await rotation(kept);
    await transact({ kind: 'revoke_consent', body: { consent: consent.id, rotation: body } });
    return `Consent ${consent.id} revoked; your report key moved to epoch ${epoch}.`;
  });
}

// ---- loans --------------------------------------------------------------------------------

function renderLoans(loans) {
  fill(
    'loan-list',
    table(
      [
        ['Loan', (l) => link('loan', l.id, String(l.id)), true],
        ['Lender', (l) => institutionName(l.lender)],
        ['Principal', (l) => money(l.terms.principal), true],
        ['Rate', (l) => percent(l.terms.rate), true],
        [
          'Collateral',
          (l) =>
            l.terms.collateral
              .map((c) => (c.asset !== undefined ? `asset ${c.asset}` : 'funds'))
              .join(', '),
        ],
        ['Owed', (l) => money(l.principal + l.interest + l.fees), true],
        ['Status', (l) => h('span', { class: 'loan-status' }, l.status)],
        ['', (l) => loanAction(l)],
      ],
      loans,
      'No loans or offers.',
    ),
  );
}

function loanAction(loan) {
  if (loan.status === 'offered') {
    return h(
      'button',
      {
        type: 'button',
        class: 'accept',
        'data-loan': loan.id,
        onclick: () =>
          act('loan-status', 'Signing your acceptance…', async () => {
            await transact({ kind: 'accept_loan', body: loan.id });
            return `Loan ${loan.id} accepted: the collateral is locked to it and the principal is yours.`;
          }),
      },
      'Accept offer',
    );
  }
  if (loan.status === 'active' || loan.status === 'delinquent') {
    return h(
      'button',
      {
        type: 'button',
        class: 'repay',
        'data-loan': loan.id,
        onclick: () =>
          act('loan-status', 'Signing the repayment…', async () => {
            const { payoff } = await api(`loans/${loan.id}/schedule`);
            await transact({ kind: 'repay_loan', body: { loan: loan.id, amount: payoff } });
            return `Repaid ${money(payoff)} on loan ${loan.id}.`;
          }),
      },
      'Repay in full',
    );
  }
  return '';
}

// ---- records and disputes -----------------------------------------------------------------

function renderRecords(records) {
  fill(
    'record-list',
    table(
      [
        ['Record', (r) => r.id, true],
        ['Furnisher', (r) => institutionName(r.furnisher)],
        ['Status', (r) => status(r.status)],
        ['As of', (r) => r.as_of],
        [
          'Contents',
          (r) =>
            h(
              'div',
              { id: `record-${r.id}` },
              h(
                'button',
                { type: 'button', class: 'secondary open-record', onclick: () => openRecord(r) },
                'Open',
              ),
            ),
        ],
        [
          'Dispute',
          (r) =>
            h(
              'form',
              { class: 'inline', onsubmit: (event) => dispute(event, r) },
              h(
                'label',
                {},
                h('span', { class: 'hidden' }, 'Reason'),
                h(
                  'select',
                  { name: 'reason', 'aria-label': `Dispute reason for record ${r.id}` },
                  DISPUTE_REASONS.map((reason) =>
                    h('option', { value: reason.value }, reason.label),
                  ),
                ),
              ),
              h('button', { type: 'submit', class: 'secondary' }, 'Dispute'),
            ),
        ],
      ],
      records,
      'Nothing has been furnished about you.',
    ),
  );
}

/** Opens a record here, with the report key of its epoch. */
async function openRecord(record) {
  try {
    const secret = await reportKey(keys.master, record.report_key_epoch);
    const plaintext = await openPayload(
      secret,
      fromHex(record.payload.encapsulated_key),
      fromHex(record.payload.ciphertext),
      fromHex(keys.subject),
      record.report_key_epoch,
    );
    const line = decodeRecord(plaintext);
    fill(
      `record-${record.id}`,
      h(
        'dl',
        {},
        [
          ['Account', line.account_number],
          ['Type', `${line.portfolio_type} (${line.account_type})`],
          ['Balance', money(line.current_balance)],
          ['Limit', money(line.credit_limit)],
          ['Past due', money(line.amount_past_due)],
          ['Opened', line.date_opened],
          ['Payment history', line.payment_history.join(' ') || '—'],
          ['Name', line.consumer.name],
        ].map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
      ),
    );
  } catch (error) {
    fill(`record-${record.id}`, h('span', { class: 'badge bad' }, `cannot open: ${error.message}`));
  }
}

async function dispute(event, record) {
  event.preventDefault();
  const reason = new FormData(event.target).get('reason');
  await act('record-status', 'Signing the dispute…', async () => {
    await transact({ kind: 'open_dispute', body: { record: record.id, reason } });
    return `Dispute opened on record ${record.id}; the furnisher must answer by the deadline.`;
  });
}

// ---- start --------------------------------------------------------------------------------

const stored = localStorage.getItem(STORE);
if (stored) {
  load(JSON.parse(stored)).catch((error) => notify('keys-status', explain(error), 'error'));
}
