// The web console in a real browser (Debian's headless Chromium, driven by playwright-core),
// against a real four-validator network that crates/cli/tests/console.rs starts and passes in:
//
//   CREDENCE_BIN   the credence binary     NETWORK_DIR  the network's directory (keys, tokens)
//   NODE_URLS      the validators' APIs    SCREENSHOTS  where to save a picture of each page
//
// The lender is bank-b (node 1); the borrower uses the portal on node 2; bank-a and bank-c
// furnish; the regulator signs in to its view with its key file. Every page reads as who it
// signs in as (the node answers only what that reader is entitled to), and an anonymous
// visitor's explorer reads nothing but the chain's head. Fails (exit 1) on the first broken
// expectation, or if any page logged an error.

import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const bin = process.env.CREDENCE_BIN;
const networkDir = process.env.NETWORK_DIR;
const nodes = process.env.NODE_URLS.split(',');
const shots = process.env.SCREENSHOTS;
mkdirSync(shots, { recursive: true });

const LENDER = nodes[1];
const PORTAL = nodes[2];
const token = (node) =>
  readFileSync(join(networkDir, `node-${node}`, 'operator-token'), 'utf8').trim();
const keyFile = (name) => readFileSync(join(networkDir, 'keys', `${name}.json`), 'utf8');

/** What a test run reads as a member: node `node`'s institution, through its console. */
async function readAs(node, path) {
  const response = await fetch(`${nodes[node]}/console/api/v1/${path}`, {
    headers: { authorization: `Bearer ${token(node)}` },
  });
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  return response.json();
}

/** The routes anyone may read: nothing in them is about a subject. */
const PUBLIC_READS = /^\/v1\/(status|headers\/latest|epochs\/\d+|openapi\.json)(\?|$)/;
const step = (what) => console.log(`— ${what}`);

/** Runs the credence command line against node 0, as an institution's back office would. */
function credence(...args) {
  return execFileSync(bin, args, {
    cwd: join(networkDir, '..'),
    env: {
      ...process.env,
      CREDENCE_NODE: nodes[0],
      CREDENCE_NETWORK: join(networkDir, 'network.json'),
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Submits a payload signed with one of the devnet's institution keys. */
function submit(keyName, payload) {
  const file = join(
    networkDir,
    '..',
    `payload-${Date.now()}-${Math.random().toString(16).slice(2)}.json`,
  );
  writeFileSync(file, JSON.stringify(payload));
  credence('submit', '--key', join(networkDir, 'keys', `${keyName}.json`), '--file', file);
}

function tradeline(accountNumber, status, history, extra = {}) {
  return {
    account_number: accountNumber,
    portfolio_type: 'revolving',
    account_type: '18',
    currency: 'usd',
    date_opened: '2020-01-15',
    credit_limit: 500000,
    highest_credit: 200000,
    terms_months: 0,
    scheduled_monthly_payment: 2500,
    actual_payment: 2500,
    account_status: status,
    payment_history: history,
    current_balance: 120000,
    amount_past_due: 0,
    original_charge_off: 0,
    date_of_account_information: new Date().toISOString().slice(0, 10),
    first_delinquency: null,
    date_closed: null,
    date_of_last_payment: null,
    consumer: {
      name: 'Browser Test',
      national_id: '000-00-0042',
      date_of_birth: null,
      address: '2 Test Lane',
    },
    ...extra,
  };
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

// Every console error and uncaught exception of every page, with the page it came from.
const errors = [];
let expectedUnauthorized = 0;
// Until her registration finalises, the ledger knows no key of the borrower's: each of her
// signed reads meanwhile (is she registered? has it finalised?) is refused `signer_unknown`.
let registering = false;
// The deliberate correction of another account than the disputed one answers 422.
let expectedUnprocessable = 0;
// While the lender's node is down on purpose, the pages' failed connections to it.
let outage = false;
let restarted = null;
async function context(name) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  ctx.on('page', (page) => watch(name, page));
  return ctx;
}
// Every page opened, so a failure can say what each was showing.
const pages = [];
function watch(name, page) {
  pages.push([name, page]);
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // The deliberate wrong-token sign-in answers 401, which the browser reports.
    if (expectedUnauthorized > 0 && /401/.test(message.text())) {
      expectedUnauthorized -= 1;
      return;
    }
    if (expectedUnprocessable > 0 && /422/.test(message.text())) {
      expectedUnprocessable -= 1;
      return;
    }
    if (registering && name === 'borrower' && /401/.test(message.text())) return;
    if (
      outage &&
      /ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|Failed to load resource/.test(message.text())
    )
      return;
    errors.push(`${name} ${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`${name} ${page.url()}: ${error.message}`));
}

const shot = async (page, file) => {
  await page.screenshot({ path: join(shots, file), fullPage: true });
  console.log(`  screenshot ${join(shots, file)}`);
};

try {
  const lenderContext = await context('lender');
  const borrowerContext = await context('borrower');
  const lender = await lenderContext.newPage();
  const borrower = await borrowerContext.newPage();

  // Everything the borrower's page sends, headers included, to prove its keys never leave
  // it; and that it signs every read of the node's API.
  const sent = [];
  const unsigned = [];
  borrower.on('request', (request) => {
    const headers = request.headers();
    sent.push(
      `${request.method()} ${request.url()}\n${JSON.stringify(headers)}\n${request.postData() ?? ''}`,
    );
    const { pathname, search } = new URL(request.url());
    const read = request.method() === 'GET' && pathname.startsWith('/v1/');
    if (read && !PUBLIC_READS.test(pathname + search) && !headers['credence-signature']) {
      unsigned.push(request.url());
    }
  });

  step('the borrower creates keys in the browser and registers');
  await borrower.goto(`${PORTAL}/borrower`);
  registering = true;
  await borrower.click('#create-keys');
  await borrower.waitForSelector('#register');
  await borrower.click('#register');
  await borrower.waitForSelector('#file:not(.hidden)', { timeout: 30_000 });
  registering = false;
  const pseudonym = (await borrower.textContent('#pseudonym')).trim();
  assert.match(pseudonym, /^[0-9a-f]{64}$/);
  const secrets = JSON.parse(
    await borrower.evaluate(() => localStorage.getItem('credence.borrower.keys')),
  );

  step('money and a car on the ledger for her');
  submit('bank-a', { kind: 'issue_currency', body: { symbol: 'usd' } });
  submit('bank-a', {
    kind: 'mint_funds',
    body: { currency: 0, account: { institution: 1 }, amount: 100000000 },
  });
  submit('bank-a', {
    kind: 'mint_funds',
    body: { currency: 0, account: { subject: pseudonym }, amount: 50000 },
  });
  submit('registry', {
    kind: 'define_asset_class',
    body: { name: 'vehicle', schema: 'ab'.repeat(32) },
  });
  submit('registry', {
    kind: 'register_asset',
    body: {
      class: 0,
      owner: { subject: pseudonym },
      identity: 'cd'.repeat(32),
      value: 2000000,
      denomination: { on_ledger: 0 },
    },
  });

  step('a wrong operator token is refused');
  await lender.goto(`${LENDER}/lender`);
  expectedUnauthorized = 1;
  await lender.fill('#token', 'not-the-token-not-the-token-not-the-token');
  await lender.click('#login-form button[type=submit]');
  await lender.waitForSelector('#login-status .notice.error');
  assert.match(await lender.textContent('#login-status'), /not this node's/);
  assert.equal(await lender.isVisible('#app'), false);

  step('the lender signs in and asks for consent');
  await lender.fill('#token', token(1));
  await lender.click('#login-form button[type=submit]');
  await lender.waitForSelector('#app:not(.hidden)');
  assert.match(await lender.textContent('#who'), /bank-b/);
  await lender.fill('#applicant-subject', pseudonym);
  await lender.selectOption('#consent-purpose', 'account_review');
  await lender.click('#applicant-form button[type=submit]');
  await lender.waitForSelector('#consent-request');
  const request = await lender.inputValue('#consent-request');
  assert.ok(request.endsWith('/borrower#grant/1/account_review'), request);

  step('the borrower grants it from the request link, wrapping her report key in the browser');
  await borrower.goto(request.replace(new URL(request).origin, PORTAL));
  await borrower.waitForSelector('#grant-status .notice');
  assert.equal(await borrower.inputValue('#grant-lender'), '1');
  await borrower.click('#grant-submit');
  await borrower.waitForSelector('#grant-status .notice.ok', { timeout: 30_000 });

  step('two furnishers report her accounts: bank-a from its back office, bank-c from its console');
  const card = join(networkDir, '..', 'card.json');
  writeFileSync(
    card,
    JSON.stringify(
      tradeline('4111-0042', '11', ['0', '0', '0', '1', '0', '0', '0', '0', '0', '0', '0', '0']),
    ),
  );
  credence(
    'furnish',
    '--key',
    join(networkDir, 'keys', 'bank-a.json'),
    '--subject',
    pseudonym,
    '--file',
    card,
  );
  const furnisher = await lenderContext.newPage();
  await furnisher.goto(`${nodes[2]}/lender#furnish`);
  await furnisher.fill('#token', token(2));
  await furnisher.click('#login-form button[type=submit]');
  await furnisher.waitForSelector('#furnish:not(.hidden)');
  await furnisher.fill('#f-subject', pseudonym);
  await furnisher.fill('#f-account-number', 'AUTO-42');
  await furnisher.selectOption('#f-portfolio', 'installment');
  await furnisher.fill('#f-account-type', '00');
  // Validated before sending: a past-due status needs its first delinquency.
  await furnisher.selectOption('#f-status', '71');
  await furnisher.fill('#f-name', 'Browser Test');
  await furnisher.fill('#f-national-id', '000-00-0042');
  await furnisher.fill('#f-address', '2 Test Lane');
  await furnisher.fill('#f-opened', '2023-06-01');
  await furnisher.click('#furnish-form button[type=submit]');
  await furnisher.waitForSelector('#furnish-errors .notice.error');
  assert.match(await furnisher.textContent('#furnish-errors'), /First delinquency is required/);
  await furnisher.selectOption('#f-status', '11');
  await furnisher.fill('#f-balance', '11500.00');
  await furnisher.fill('#f-highest', '18000.00');
  await furnisher.fill('#f-terms', '60');
  await furnisher.fill('#f-history', '0 0 0 0 0 0 0 0 0 0 0 0');
  await furnisher.click('#furnish-form button[type=submit]');
  await furnisher.waitForSelector('#furnish-status .notice.ok', { timeout: 30_000 });
  await shot(furnisher, 'furnish.png');

  step('the lender pulls the report: both furnishers, the score and its reasons');
  await lender.click('#consent-refresh');
  await lender.waitForSelector('#pull-report:not([disabled])');
  await lender.click('#pull-report');
  await lender.waitForSelector('#score-value', { timeout: 30_000 });
  const report = await lender.textContent('#report');
  assert.ok(
    report.includes('bank-a') && report.includes('bank-c'),
    'the report shows both furnishers',
  );
  const score = Number(await lender.textContent('#score-value'));
  assert.ok(score >= 300 && score <= 850, `score ${score}`);
  assert.ok((await lender.$$('#reasons li')).length >= 1, 'the score has reason codes');
  assert.equal((await lender.$$('.history')).length, 2, 'a payment grid per account');
  await shot(lender, 'report.png');

  step('the lender offers a loan against her car, after the collateral check');
  await lender.click('a[href="#book"]');
  await lender.fill('#offer-borrower', pseudonym);
  await lender.fill('#offer-asset', '0');
  await lender.fill('#offer-principal', '10000.00');
  await lender.click('#offer-check');
  await lender.waitForSelector('#collateral-check');
  assert.equal(
    (await lender.$$('#collateral-check .badge.good')).length,
    4,
    'every collateral check passes',
  );
  await lender.click('#offer-send');
  await lender.waitForSelector('#offer-status .notice.ok', { timeout: 30_000 });

  step('the borrower accepts in the portal: the car locks and the principal moves');
  await borrower.goto(`${PORTAL}/borrower`);
  await borrower.waitForSelector('button.accept');
  await borrower.click('button.accept');
  await borrower.waitForSelector('#loan-status .notice.ok', { timeout: 30_000 });
  await borrower.waitForSelector('#asset-list .badge.warn');

  step('the loan book shows it active, and the explorer shows the car locked');
  await lender.click('#book-refresh');
  await lender.waitForSelector('#book-active td');
  assert.equal(await lender.textContent('#book-count-active'), '1');
  await shot(lender, 'loan-book.png');
  // The explorer reads as bank-b once signed in with its node's token; bank-b may read the
  // car while it holds her consent.
  const explorer = await lenderContext.newPage();
  await explorer.goto(`${LENDER}/#/asset/0`);
  await explorer.waitForSelector('#members-only');
  await explorer.fill('#sign-in-token', token(1));
  await explorer.click('#sign-in-token-form button[type=submit]');
  await explorer.waitForSelector('#signed-in');
  assert.match(await explorer.textContent('#signed-in'), /bank-b \(validator/);
  await explorer.waitForSelector('text=locked to loan');

  step('the borrower repays in full: the loan closes and the car unlocks');
  await borrower.click('button.repay');
  await borrower.waitForSelector('#loan-status .notice.ok', { timeout: 30_000 });
  await borrower.waitForSelector('#asset-list .badge.good');
  assert.match(await borrower.textContent('#loan-list'), /repaid/);
  await borrower.click('button.open-record');
  await borrower.waitForSelector('#record-list dl');
  assert.match(await borrower.textContent('#record-list'), /4111-0042|AUTO-42/);
  await shot(borrower, 'borrower.png');
  await explorer.reload();
  await explorer.waitForSelector('text=free');

  step('an adverse record from another lender reaches the risk alerts within two seconds');
  await lender.goto(`${LENDER}/lender#alerts`);
  await lender.waitForSelector('#alerts-state:text("live")');
  const late = tradeline(
    'AUTO-42',
    '71',
    ['1', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0'],
    {
      first_delinquency: new Date(Date.now() - 35 * 86_400_000).toISOString().slice(0, 10),
      amount_past_due: 34000,
    },
  );
  const started = Date.now();
  const furnished = await fetch(`${nodes[2]}/console/api/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token(2)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ subject: pseudonym, tradeline: late }),
  });
  assert.equal(furnished.status, 200, await furnished.text());
  const finalised = Date.now();
  await lender.waitForSelector(`li.alert[data-subject="${pseudonym}"]`, { timeout: 10_000 });
  const shown = Date.now();
  console.log(
    `  alert shown ${shown - finalised} ms after the record finalised, ` +
      `${shown - started} ms after it was submitted`,
  );
  assert.ok(shown - finalised <= 2000, `alert took ${shown - finalised} ms after finality`);
  await shot(lender, 'alerts.png');

  step('the alert feed resumes without a gap when its node is killed and restarted');
  const nodeConfig = join(networkDir, 'node-1', 'node.toml');
  outage = true;
  execFileSync('pkill', ['-KILL', '-f', nodeConfig]);
  await lender.waitForSelector('#alerts-state:text("reconnecting")', { timeout: 10_000 });
  const later = tradeline(
    'AUTO-42',
    '78',
    ['2', '1', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0'],
    {
      first_delinquency: new Date(Date.now() - 65 * 86_400_000).toISOString().slice(0, 10),
      amount_past_due: 68000,
    },
  );
  const whileDown = await fetch(`${nodes[2]}/console/api/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token(2)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ subject: pseudonym, tradeline: later }),
  });
  assert.equal(whileDown.status, 200, await whileDown.text());
  restarted = spawn(bin, ['node', '--config', nodeConfig], { stdio: 'ignore' });
  await lender.waitForSelector('#alerts-state:text("live")', { timeout: 60_000 });
  await lender.waitForFunction(() => document.querySelectorAll('li.alert').length === 2, null, {
    timeout: 60_000,
  });
  outage = false;
  await lender.waitForTimeout(2000);
  assert.equal(
    (await lender.$$('li.alert')).length,
    2,
    'the missed alert arrived once, none repeated',
  );
  assert.match(await lender.textContent('li.alert >> nth=0'), /78/);

  step('the borrower disputes a record and revokes the consent');
  await borrower.reload();
  await borrower.waitForSelector('#record-list form');
  await borrower.selectOption('#record-list form select >> nth=0', 'inaccurate_amount');
  await borrower.click('#record-list form button >> nth=0');
  await borrower.waitForSelector('#record-status .notice.ok', { timeout: 30_000 });
  assert.match(await borrower.textContent('#dispute-list'), /inaccurate amount/);
  await borrower.click('button.revoke');
  await borrower.waitForSelector('#consent-list .badge:text("revoked")', { timeout: 30_000 });
  assert.match(await borrower.textContent('#consent-list'), /revoked/);
  assert.match(await borrower.textContent('#registration'), /epoch 1/);

  step("bank-a's console lists the dispute of its record with the deadline, and corrects it");
  const bankA = await lenderContext.newPage();
  const asked = [];
  bankA.on('dialog', (dialog) => {
    asked.push(dialog.message());
    dialog.accept();
  });
  await bankA.goto(`${nodes[0]}/lender#disputes`);
  await bankA.fill('#token', token(0));
  await bankA.click('#login-form button[type=submit]');
  await bankA.waitForSelector('#disputes:not(.hidden) #disputes-open button.answer-corrected');
  assert.equal(await bankA.textContent('#dispute-count'), '1');
  const open = await bankA.textContent('#disputes-open tbody');
  assert.match(open, /inaccurate amount/);
  // Thirty days to answer, counted from the chain's time: the deadline is shown in UTC.
  assert.match(open, /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (29|30) days left/);
  await shot(bankA, 'disputes.png');
  await bankA.click('#disputes-open button.answer-corrected');
  await bankA.waitForSelector('#correction-form:not(.hidden)');
  // What the ledger shows of the record in clear is filled in; the rest is checked here.
  assert.equal(await bankA.inputValue('#c-status'), '11');
  assert.equal(await bankA.evaluate(() => document.activeElement.id), 'c-account-number');
  await bankA.click('#correction-send');
  await bankA.waitForSelector('#correction-errors .notice.error');
  assert.match(await bankA.textContent('#correction-errors'), /Account number is required/);
  const correct = {
    '#c-opened': '2020-01-15',
    '#c-limit': '5000.00',
    '#c-highest': '2000.00',
    '#c-balance': '950.00',
    '#c-scheduled': '25.00',
    '#c-actual': '25.00',
    '#c-history': '0 0 0 0 0 0 0 0 0 0 0 0',
    '#c-name': 'Browser Test',
    '#c-national-id': '000-00-0042',
    '#c-address': '2 Test Lane',
  };
  for (const [field, value] of Object.entries(correct)) await bankA.fill(field, value);
  // Another account's number is refused: a correction is of the disputed account only.
  await bankA.fill('#c-account-number', '4111-9999');
  expectedUnprocessable = 1;
  await bankA.click('#correction-send');
  await bankA.waitForSelector('#correction-errors .notice.error:text("correction_mismatch")', {
    timeout: 30_000,
  });
  assert.match(await bankA.textContent('#disputes-status'), /correction_mismatch/);
  await shot(bankA, 'dispute-correction.png');
  assert.equal(await bankA.textContent('#dispute-count'), '1');
  await bankA.fill('#c-account-number', '4111-0042');
  await bankA.click('#correction-send');
  await bankA.waitForSelector('#disputes-status .notice.ok', { timeout: 30_000 });
  assert.match(
    await bankA.textContent('#disputes-status'),
    /answered corrected: record \d+ supersedes record \d+/,
  );
  assert.equal(asked.length, 2, 'each correction sent was confirmed first');
  assert.match(asked[0], /^Answer dispute \d+ with this correction\?/);
  assert.equal(await bankA.isVisible('#correction-form'), false);
  assert.equal(await bankA.textContent('#dispute-count'), '0');
  assert.match(await bankA.textContent('#disputes-open'), /No open disputes/);
  await bankA.click('#disputes-answered-details summary');
  assert.match(await bankA.textContent('#disputes-answered tbody'), /inaccurate amount.*corrected/);
  await shot(bankA, 'disputes-answered.png');
  await bankA.close();
  await borrower.reload();
  await borrower.waitForSelector('#dispute-list td');
  assert.match(await borrower.textContent('#dispute-list'), /corrected/);

  step('the explorer, as a validator: head, chart, search, a block and its transaction');
  await explorer.goto(`${LENDER}/`);
  await explorer.waitForSelector('#recent td');
  await explorer.waitForSelector('#chart svg', { timeout: 10_000 });
  await explorer.waitForSelector('#latest dd');
  await shot(explorer, 'explorer.png');
  let busy = 1;
  for (; ; busy += 1) {
    const block = await readAs(1, `blocks/${busy}`);
    if (block.transactions.length) break;
  }
  await explorer.fill('#search-query', String(busy));
  await explorer.click('#search button[type=submit]');
  await explorer.waitForSelector(`h2:text("Block ${busy}")`);
  await explorer.click('#view a[href*="#/tx/"]');
  await explorer.waitForSelector('#view .badge.good:text("applied")');
  await shot(explorer, 'transaction.png');

  step('the regulator view: bank-b is not the regulator; the regulator signs in with its key file');
  await explorer.goto(`${LENDER}/regulator`);
  await explorer.waitForSelector('#not-regulator .notice.error');
  assert.match(await explorer.textContent('#not-regulator'), /bank-b is not the regulator/);
  assert.equal(await explorer.isVisible('#figures'), false);
  await explorer.click('#sign-out');
  await explorer.fill('#sign-in-key', keyFile('regulator'));
  await explorer.click('#sign-in-key-form button[type=submit]');
  await explorer.waitForSelector('#signed-in');
  assert.match(
    await explorer.textContent('#signed-in'),
    /regulator \(regulator\), with its key file/,
  );
  await explorer.waitForSelector('#loans td');
  await explorer.click('#totals button.drill');
  await explorer.waitForSelector('#drill table');
  await shot(explorer, 'regulator.png');
  // Signed in with its key in this tab, the regulator finds her file in the explorer too,
  // consents included.
  await explorer.goto(`${LENDER}/`);
  await explorer.waitForSelector('#signed-in');
  await explorer.fill('#search-query', pseudonym);
  await explorer.click('#search button[type=submit]');
  await explorer.waitForSelector('text=Report key epoch');
  assert.match(await explorer.textContent('#view'), /revoked|ended/);

  step('an anonymous visitor: the head of the chain, and nothing about any subject');
  const visitorContext = await context('visitor');
  const visitor = await visitorContext.newPage();
  const visitorAsked = [];
  visitor.on('request', (request) => {
    const { pathname, search } = new URL(request.url());
    if (pathname.startsWith('/v1/') || pathname.startsWith('/console/api/')) {
      visitorAsked.push(pathname + search);
    }
  });
  await visitor.goto(`${LENDER}/`);
  await visitor.waitForSelector('#latest dd');
  await visitor.waitForSelector('#members-only');
  assert.match(await visitor.textContent('#latest'), /Finalisation certificate\s*\d+ bytes/);
  await shot(visitor, 'explorer-anonymous.png');
  await visitor.fill('#search-query', pseudonym);
  await visitor.click('#search button[type=submit]');
  await visitor.waitForSelector('#search-result .notice');
  assert.match(await visitor.textContent('#search-result'), /Sign in to search/);
  // What the visitor's pages show: the chain's head and explanations, nothing of hers.
  const seen = [await visitor.textContent('body')];
  for (const view of [`subject/${pseudonym}`, 'asset/0', 'loan/0', `block/${busy}`]) {
    await visitor.goto(`${LENDER}/#/${view}`);
    await visitor.waitForSelector('#view #members-only');
    seen.push(await visitor.textContent('body'));
  }
  await visitor.goto(`${LENDER}/regulator`);
  await visitor.waitForSelector('#sign-in-key-form');
  assert.equal(await visitor.isVisible('#figures'), false);
  seen.push(await visitor.textContent('body'));
  for (const text of seen) {
    assert.doesNotMatch(text, /Report key epoch|locked to loan|4111-0042|AUTO-42|Browser Test/);
  }
  const privateReads = visitorAsked.filter((path) => !PUBLIC_READS.test(path));
  assert.deepEqual(privateReads, [], 'the anonymous pages asked only for public routes');
  assert.ok(visitorAsked.some((path) => path.startsWith('/v1/headers/latest')));
  // What they would have been told: 401, with the stable code.
  const refused = await fetch(`${LENDER}/v1/subjects/${pseudonym}`);
  assert.equal(refused.status, 401);
  assert.equal((await refused.json()).code, 'unauthenticated');
  await visitorContext.close();

  step('a phone-width view of the report');
  await lender.setViewportSize({ width: 390, height: 844 });
  await lender.goto(`${LENDER}/lender#applicant/${pseudonym}`);
  await lender.waitForSelector('#pull-report');
  await shot(lender, 'lender-phone.png');
  for (const page of [lender, borrower]) {
    await page.setViewportSize({ width: 390, height: 844 });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `${page.url()} is ${width} px wide on a 390 px phone`);
  }

  step('bank-c uploads a Metro 2 file in its console: progress, field errors, summary');
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const base = (account, ssn, status) => ({
    base: {
      processing_indicator: '1',
      time_stamp: `${yesterday}T12:00:00`,
      correction_indicator: '0',
      identification_number: 'BANKC0001',
      cycle_identifier: '01',
      consumer_account_number: account,
      portfolio_type: 'R',
      account_type: '18',
      date_opened: '2021-04-01',
      credit_limit: 3000,
      highest_credit: 1200,
      terms_duration: 'REV',
      terms_frequency: 'M',
      scheduled_monthly_payment_amount: 25,
      actual_payment_amount: 25,
      account_status: status,
      payment_history_profile: '000000000000BBBBBBBBBBBB',
      current_balance: 800,
      amount_past_due: 0,
      original_charge_off_amount: 0,
      date_of_account_information: yesterday,
      date_of_last_payment: yesterday,
      surname: 'EXAMPLE',
      first_name: 'BROWSER',
      social_security_number: ssn,
      date_of_birth: '1990-05-17',
      ecoa_code: '1',
      country_code: 'US',
      first_line_of_address: '2 TEST LANE',
      city: 'SPRINGFIELD',
      state: 'IL',
      postal_code: '62701',
      address_indicator: 'Y',
      residence_code: 'O',
    },
  });
  const month = {
    header: {
      cycle_identifier: '01',
      equifax_program_identifier: 'EFX0000001',
      activity_date: yesterday,
      date_created: yesterday,
      program_date: '2020-01-01',
      program_revision_date: '2024-01-01',
      reporter_name: 'BANK C',
      reporter_address: '3 LEDGER WAY SPRINGFIELD IL 62701',
      reporter_telephone_number: 2175550100,
    },
    // Hers (linked), one with a status Metro 2 does not define, one nobody linked.
    bases: [
      base('M2-0001', 666000042, '11'),
      base('M2-0002', 666000042, '99'),
      base('M2-0003', 666000099, '11'),
    ],
    trailer: {},
  };
  const monthJson = join(networkDir, '..', 'month.json');
  const monthFile = join(networkDir, '..', 'month.m2');
  writeFileSync(monthJson, JSON.stringify(month));
  credence(
    'metro2',
    'convert',
    monthJson,
    '--to',
    'character',
    '--recompute-trailer',
    '--out',
    monthFile,
  );
  credence(
    'subject',
    'link',
    '--key',
    join(networkDir, 'keys', 'bank-c.json'),
    '--book',
    join(networkDir, 'node-2', 'data', 'book'),
    '--ssn',
    '666-00-0042',
    '--subject',
    pseudonym,
  );
  const importer = await lenderContext.newPage();
  await importer.goto(`${nodes[2]}/lender#furnish`);
  await importer.fill('#token', token(2));
  await importer.click('#login-form button[type=submit]');
  await importer.waitForSelector('#furnish:not(.hidden)');
  await importer.setInputFiles('#m2-file', monthFile);
  await importer.click('#m2-form button[type=submit]');
  await importer.waitForSelector('#m2-status .notice.ok', { timeout: 60_000 });
  assert.match(await importer.textContent('#m2-furnished'), /Furnished: 1 \(0 by an earlier/);
  const summary = await importer.textContent('#m2-summary');
  assert.match(summary, /Skipped: 1/);
  assert.match(summary, /record 3: invalid:account_status/);
  assert.match(summary, /Unlinked: 1/);
  assert.match(summary, /record 4: no link/);
  assert.match(await importer.textContent('#m2-errors'), /account_status/);
  assert.equal(await importer.getAttribute('#m2-progress', 'value'), '3');
  assert.doesNotMatch(summary + (await importer.textContent('#m2-errors')), /666|EXAMPLE|M2-000/);
  await shot(importer, 'metro2-import.png');

  step('the borrower signed every read, and her secrets were never sent');
  assert.ok(sent.length > 10, 'the borrower page talked to the node');
  assert.deepEqual(unsigned, [], 'every read of her file was signed with her key');
  for (const secret of [secrets.signing_seed, secrets.encryption_secret]) {
    assert.ok(
      !sent.some((r) => r.toLowerCase().includes(secret.toLowerCase())),
      'a borrower secret appeared in a request',
    );
  }

  step('no page logged an error');
  assert.deepEqual(errors, []);
  console.log('console browser test: all passed');
} catch (error) {
  console.error(error);
  console.error(`page errors so far: ${JSON.stringify(errors, null, 2)}`);
  for (const [name, page] of pages) {
    if (page.isClosed()) continue;
    const notices = await page.$$eval('.notice', (all) => all.map((n) => n.textContent));
    console.error(`${name} ${page.url()} shows: ${JSON.stringify(notices)}`);
  }
  process.exitCode = 1;
} finally {
  await browser.close();
  restarted?.kill('SIGKILL');
}
