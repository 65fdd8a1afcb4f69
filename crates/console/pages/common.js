// What every console page shares: reading the node's API as the page's reader, following
// its event stream without a gap, building elements safely (text is never parsed as HTML),
// and the formats of amounts, times and Metro 2 statuses. Codes, labels and limits come
// from constants.js, which is generated from the Rust that defines them.
//
// Who reads is the page's credential, one of three:
// - none: anonymous, so only the public routes answer (status, the latest header, epochs);
// - an operator token of this node: reads go through the console's proxy
//   (`/console/api/v1/...`), which signs them as the node's own institution;
// - a signing seed (an institution's or a subject's key file): reads go to `/v1/...`,
//   signed in this page (crypto.js `signRequest`), and the seed never leaves the page.
// Writes to `/v1` (transactions) need none: a transaction is signed on its own.

import {
  ACCOUNT_STATUSES,
  BUSY_CODES,
  PAGE_LIMIT_MAX,
  READ_REFUSALS,
  REQUEST_FRESHNESS_MS,
} from './constants.js';
import { signedRequestHeaders, signingKeyOf } from './crypto.js';

/** A refusal from the node: its HTTP status and the API's stable code. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// ---- who reads ----------------------------------------------------------------------------

/** Where this tab remembers its sign-in (sessionStorage: this tab only, gone when it closes). */
const SIGN_IN = 'credence.sign-in';

/** The page's credential: null, `{ token }`, or `{ seed, key }` (bytes, and the key in hex). */
let credential = null;

/** What the page reads as: 'anonymous', 'operator' (a token) or 'key' (a signing seed). */
export const credentialKind = () =>
  credential === null ? 'anonymous' : credential.token !== undefined ? 'operator' : 'key';

/**
 * Reads from now on with `next`: null (anonymous), `{ token }`, or a key file's
 * `{ signing_seed }` (checked as crypto.js `signingKeyOf` checks it). With `remember`, this
 * tab keeps it for the console's other pages and a reload; the borrower portal, which keeps
 * its own keys, does not.
 */
export async function setCredential(next, { remember = false } = {}) {
  if (next === null) {
    credential = null;
  } else if (typeof next.token === 'string') {
    credential = { token: next.token };
  } else {
    credential = await signingKeyOf(next);
  }
  if (!remember) return;
  if (next === null) {
    sessionStorage.removeItem(SIGN_IN);
    return;
  }
  // Of a key file, only the signing seed: reading needs nothing else.
  const kept =
    credential.token !== undefined ? { token: next.token } : { signing_seed: next.signing_seed };
  sessionStorage.setItem(SIGN_IN, JSON.stringify(kept));
}

/** Reads with what this tab remembers, if anything; says whether it did. */
export async function restoreCredential() {
  const stored = sessionStorage.getItem(SIGN_IN);
  if (!stored) return false;
  try {
    await setCredential(JSON.parse(stored));
    return true;
  } catch {
    sessionStorage.removeItem(SIGN_IN);
    return false;
  }
}

/** Forgets the credential, here and in this tab. */
export function signOut() {
  credential = null;
  sessionStorage.removeItem(SIGN_IN);
}

/**
 * The institution the credential reads as (its directory entry, roles included), or null
 * when it reads as a subject or anonymously; loads the directory on the way. A token names
 * its institution through the console's session; a key is looked up by its signing key.
 */
export async function whoAmI() {
  if (credential === null) return null;
  const token = credential.token !== undefined;
  const self = token ? (await api('/console/api/session')).institution : null;
  const directory = await loadInstitutions();
  return directory.find((i) => (token ? i.id === self : i.signing_key === credential.key)) ?? null;
}

let chain = null;

/** The chain's id, from the public status (read once: a node serves one chain). */
export function chainId() {
  chain ??= fetch('/v1/status')
    .then(answer)
    .then((status) => status.chain_id)
    .catch((error) => {
      chain = null;
      throw error;
    });
  return chain;
}

/**
 * Where and with what headers the page sends a request for `path`: a relative path is a
 * `/v1` route, read with the credential (a write goes as it is); an absolute path is sent
 * as it is, with the operator token when it is a console endpoint.
 */
async function address(path, method) {
  const token = credential?.token;
  const bearer = token !== undefined ? { authorization: `Bearer ${token}` } : {};
  if (path.startsWith('/')) {
    return { url: path, headers: path.startsWith('/console/api/') ? bearer : {} };
  }
  if (credential === null || method !== 'GET') return { url: `/v1/${path}`, headers: {} };
  if (token !== undefined) return { url: `/console/api/v1/${path}`, headers: bearer };
  // What is signed is the path and query as the browser will send them: its own encoding.
  const target = new URL(`/v1/${path}`, location.origin);
  const sent = `${target.pathname}${target.search}`;
  const headers = await signedRequestHeaders(
    credential.seed,
    await chainId(),
    method,
    sent,
    Date.now(),
  );
  return { url: sent, headers };
}

/** The JSON of a response, or its refusal as an ApiError. */
async function answer(response) {
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    throw new ApiError(
      response.status,
      parsed?.code ?? 'http_error',
      parsed?.message ?? `the node answered ${response.status}`,
    );
  }
  return parsed;
}

/** Sends a request for `path` as `address` places it. */
async function send(path, { method = 'GET', body, bytes, headers = {}, signal } = {}) {
  const placed = await address(path, method);
  const init = { method, headers: { ...placed.headers, ...headers }, signal };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  } else if (bytes !== undefined) {
    // A file as it is (a Metro 2 upload), not JSON.
    init.headers['content-type'] = 'application/octet-stream';
    init.body = bytes;
  }
  return fetch(placed.url, init);
}

/**
 * Fetches `path` (a `/v1` route unless absolute) as JSON, reading as the page's credential;
 * a refusal throws an ApiError.
 */
export async function api(path, options = {}) {
  return answer(await send(path, options));
}

/**
 * Submits a signed transaction (hex) and returns its hash once the node admitted it. A busy
 * node (`BUSY_CODES`, a 429) is waited out for its `Retry-After` seconds, with up to a quarter
 * more so that pages refused together do not return together, for at most `patienceMs`.
 */
export async function submitTransaction(hex, { patienceMs = 120_000 } = {}) {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const response = await send('transactions', {
      method: 'POST',
      body: { transaction: hex },
    });
    const asked = Number.parseInt(response.headers.get('retry-after') ?? '1', 10);
    try {
      const { hash } = await answer(response);
      return hash;
    } catch (error) {
      const busy = error instanceof ApiError && BUSY_CODES.includes(error.code);
      if (!busy || Date.now() >= deadline) throw error;
    }
    const seconds = Number.isFinite(asked) && asked > 0 ? asked : 1;
    const wait = Math.min(seconds * 1000 * (1 + Math.random() / 4), deadline - Date.now());
    await new Promise((resolve) => setTimeout(resolve, Math.max(wait, 0)));
  }
}

/** Whether `error` is a refusal of who reads (no credentials, wrong ones, or not entitled). */
export const isReadRefusal = (error) =>
  error instanceof ApiError && Object.hasOwn(READ_REFUSALS, error.code);

/** What a refusal means for the person at the page, in a sentence. */
export function explain(error) {
  if (!(error instanceof ApiError)) return String(error?.message ?? error);
  switch (error.code) {
    case 'unauthenticated':
      return 'Sign in to read this: the node shows it to members and to the subject it is about.';
    case 'operator_token_invalid':
      return "That operator token is not this node's: sign in again.";
    case 'signer_unknown':
      return "This key is no active institution's or registered subject's: the node does not know it.";
    case 'request_expired':
      return (
        `The node refused a signed read whose time is more than ${REQUEST_FRESHNESS_MS / 60_000} ` +
        "minutes from its clock: check this computer's clock."
      );
    case 'request_signature_invalid':
      return "The node did not accept this page's signature: sign in again.";
    case 'read_forbidden':
      return `You are not entitled to read this (${error.message}).`;
    default:
      return `${error.code}: ${error.message}`;
  }
}

/** Every item of a paginated listing, following `next` up to `max` items. */
export async function allPages(path, max = 1000) {
  const items = [];
  let from = 0;
  while (from !== null && items.length < max) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api(`${path}${sep}from=${from}&limit=${PAGE_LIMIT_MAX}`);
    items.push(...page.items);
    from = page.next;
  }
  return items;
}

let members = [];

/** Reads every member institution (once a page loads; their names rarely change). */
export async function loadInstitutions() {
  members = await allPages('institutions');
  return members;
}

/** An institution's directory entry by id, once `loadInstitutions` has run; or undefined. */
export const institutionOf = (id) => members.find((i) => i.id === Number(id));

/** An institution's name by id, once `loadInstitutions` has run. */
export const institutionName = (id) => institutionOf(id)?.name ?? `institution ${id}`;

// ---- the event stream ---------------------------------------------------------------------

/**
 * A reader of the server-sent events format (WHATWG HTML §9.2) for text arriving in chunks:
 * `push(chunk)` calls `onMessage({ id, event, data })` for each event completed. Lines end
 * in LF or CRLF (a bare CR, which the node never sends, is not a line end here); comments
 * (keep-alives) and `retry` are skipped; `id` persists from one event to the next as the
 * format says.
 */
export function eventStreamReader(onMessage) {
  let buffer = '';
  let data = [];
  let event = '';
  let id = null;
  const line = (text) => {
    if (text === '') {
      if (data.length) onMessage({ id, event: event || 'message', data: data.join('\n') });
      data = [];
      event = '';
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
  };
  return {
    push(chunk) {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n')) !== -1) {
        line(buffer.slice(0, end).replace(/\r$/, ''));
        buffer = buffer.slice(end + 1);
      }
    },
  };
}

/**
 * Follows the node's event stream from `start` (an event id "height:index", a height, or
 * nothing for "from the next block"), calling `onEvent` once per event, in order, read as
 * the page's credential. When the connection drops it reconnects after the last event it
 * delivered, so nothing is missed and nothing repeats. `onState` hears "live",
 * "reconnecting", and "refused" with the ApiError when the node will not serve this reader
 * the stream (it then stops: asking again would be refused again). Returns a function that
 * stops.
 */
export function follow(query, onEvent, { start = null, onState = () => {} } = {}) {
  let last = typeof start === 'string' ? start : null;
  let fromHeight = typeof start === 'number' ? start : null;
  let stopped = false;
  let aborter = null;
  const deliver = (message) => {
    const event = JSON.parse(message.data);
    last = message.id ?? event.id;
    // A failing handler is the page's bug, reported as such; it does not drop the stream.
    try {
      onEvent(event);
    } catch (error) {
      reportError(error);
    }
  };
  const open = async () => {
    const params = new URLSearchParams(
      Object.entries(query).filter(([, value]) => value !== undefined && value !== null),
    );
    // Reopen after the last event delivered: the resume point is ours whatever dropped
    // the connection.
    if (last) params.set('after', last);
    else if (fromHeight !== null) params.set('from', String(fromHeight));
    aborter = new AbortController();
    try {
      const response = await send(`events?${params}`, {
        headers: { accept: 'text/event-stream' },
        signal: aborter.signal,
      });
      if (!response.ok) await answer(response);
      onState('live');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      const stream = eventStreamReader(deliver);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stream.push(value);
      }
    } catch (error) {
      if (stopped) return;
      if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
        onState('refused', error);
        return;
      }
    }
    if (stopped) return;
    onState('reconnecting');
    setTimeout(() => !stopped && open(), 1000);
  };
  if (last === null && fromHeight === null) {
    // "From the next block" must become a height now: if the first connection drops before
    // any event arrives, the retry must still start where this one did.
    api('status').then(
      (now) => {
        fromHeight = now.height + 1;
        if (!stopped) open();
      },
      () => setTimeout(() => !stopped && open(), 1000),
    );
  } else {
    open();
  }
  return () => {
    stopped = true;
    aborter?.abort();
  };
}

/**
 * Builds an element: `h('a', { href: '#x', class: 'c' }, 'text', child)`. Strings become
 * text nodes, never markup; `on*` attributes take functions.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of the element with id `id`. */
export function fill(id, ...children) {
  const element = document.getElementById(id);
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A table: `columns` are [heading, cell(row, index), numeric?]. */
export function table(columns, rows, empty = 'Nothing yet.') {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map(([title, , num]) =>
            h('th', { scope: 'col', class: num ? 'num' : null }, title),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((row, index) =>
          h(
            'tr',
            {},
            columns.map(([, cell, num]) =>
              h('td', { class: num ? 'num' : null }, cell(row, index)),
            ),
          ),
        ),
      ),
    ),
  );
}

/** A notice in the element `id`: kind is '', 'ok' or 'error'. */
export function notify(id, message, kind = '') {
  fill(
    id,
    h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message),
  );
}

/** Minor units as a decimal amount with two places (the devnet's currencies have cents). */
export function money(minor) {
  const value = BigInt(minor);
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  const units = (abs / 100n).toLocaleString('en-US');
  return `${sign}${units}.${String(abs % 100n).padStart(2, '0')}`;
}

/** A decimal amount typed by a person as minor units, or null when it is not one. */
export function parseMoney(text) {
  const match = /^\s*(\d{1,13})(?:\.(\d{1,2}))?\s*$/.exec(text.replaceAll(',', ''));
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '0').padEnd(2, '0'));
}

/** Basis points as a percentage. */
export const percent = (bp) => `${(bp / 100).toFixed(2)}%`;

/** A millisecond timestamp in UTC. */
export const when = (ms) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '—');

/** The first and last hex digits of a hash or key, in full on hover. */
export function short(hex) {
  const text = String(hex);
  return h(
    'span',
    { class: 'mono', title: text },
    text.length > 16 ? `${text.slice(0, 8)}…${text.slice(-6)}` : text,
  );
}

/** A link to the explorer's page for a block, transaction, subject, asset or loan. */
export const link = (kind, id, label = null) =>
  h('a', { href: `/#/${kind}/${id}` }, label ?? (String(id).length > 16 ? short(id) : String(id)));

/** The owner of an asset or borrower of a loan, as text. */
export function owner(value) {
  if (!value) return '—';
  if (value.subject !== undefined) return link('subject', value.subject);
  return `institution ${value.institution}`;
}

/** A Metro 2 account status as a badge: its code and meaning, coloured by severity. */
export function status(code) {
  const { meaning, severity } = Object.hasOwn(ACCOUNT_STATUSES, code)
    ? ACCOUNT_STATUSES[code]
    : { meaning: code, severity: '' };
  return h('span', { class: `badge ${severity}`, title: meaning }, `${code} ${meaning}`);
}

/** The page's header: the console's sections, the current one marked. */
export function header(current) {
  const pages = [
    ['/', 'Explorer'],
    ['/lender', 'Lender'],
    ['/borrower', 'Borrower'],
    ['/regulator', 'Regulator'],
  ];
  const top = h(
    'header',
    { class: 'top' },
    h('strong', {}, 'Credence'),
    h(
      'nav',
      { 'aria-label': 'Console sections' },
      pages.map(([href, title]) =>
        h('a', { href, 'aria-current': href === current ? 'page' : null }, title),
      ),
    ),
    h('span', { class: 'muted', id: 'chain' }, ''),
  );
  document.body.prepend(top);
  const show = () =>
    api('status')
      .then((s) => fill('chain', `${s.chain_id} · height ${s.height}`))
      .catch(() => fill('chain', 'node unreachable'));
  show();
  setInterval(show, 5000);
}

/**
 * Replaces the options of the `<select>` with id `id`: each item is a `{ value, label }` or a
 * plain value shown as itself. `selected` is the value chosen until the person picks another.
 */
export function options(id, items, selected = null) {
  const select = fill(
    id,
    items.map((item) =>
      typeof item === 'object'
        ? h('option', { value: item.value }, item.label)
        : h('option', { value: item }, item),
    ),
  );
  if (selected !== null) {
    select.value = selected;
    // A default that is no longer among the options would silently become the first one.
    if (select.value !== String(selected)) throw new Error(`#${id} has no option ${selected}`);
  }
  return select;
}

/** Today's date at the chain, as YYYY-MM-DD. */
/** The label of `value` among generated `{ value, label }` options, or the value itself. */
export const labelOf = (options, value) =>
  options.find((o) => o.value === value)?.label ?? String(value);

export const isoDate = (ms) => new Date(ms).toISOString().slice(0, 10);

/** Whether an asset is locked to a loan, as a badge (loan 0 is a loan: compare with null). */
export function lockBadge(asset) {
  return asset.lock !== null && asset.lock !== undefined
    ? h(
        'span',
        { class: 'badge warn' },
        'locked to loan ',
        link('loan', asset.lock, String(asset.lock)),
      )
    : h('span', { class: 'badge good' }, 'free');
}
