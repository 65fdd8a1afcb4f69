// What every console page shares: reading the node's public API, following its event
// stream without a gap, building elements safely (text is never parsed as HTML), and the
// formats of amounts, times and Metro 2 statuses. Codes, labels and limits come from
// constants.js, which is generated from the Rust that defines them.

import { ACCOUNT_STATUSES, EVENT_KINDS, PAGE_LIMIT_MAX } from './constants.js';

/** A refusal from the node: its HTTP status and the API's stable code. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Fetches `path` (under `/v1/` unless absolute) as JSON; a refusal throws an ApiError. */
export async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const url = path.startsWith('/') ? path : `/v1/${path}`;
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
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

/** An institution's name by id, once `loadInstitutions` has run. */
export const institutionName = (id) =>
  members.find((i) => i.id === Number(id))?.name ?? `institution ${id}`;

/**
 * Follows the node's event stream from `start` (an event id "height:index", a height, or
 * nothing for "from the next block"), calling `onEvent` once per event, in order. When the
 * connection drops it reconnects after the last event it delivered, so nothing is missed and
 * nothing repeats. `onState` hears "live" and "reconnecting". Returns a function that stops.
 */
export function follow(query, onEvent, { start = null, onState = () => {} } = {}) {
  let last = typeof start === 'string' ? start : null;
  let fromHeight = typeof start === 'number' ? start : null;
  const kinds = (query.kinds ?? '').split(',').filter(Boolean);
  let source = null;
  let stopped = false;
  const deliver = (message) => {
    const event = JSON.parse(message.data);
    last = event.id;
    onEvent(event);
  };
  const open = () => {
    const params = new URLSearchParams(
      Object.entries(query).filter(([, value]) => value !== undefined && value !== null),
    );
    if (last) params.set('after', last);
    else if (fromHeight !== null) params.set('from', String(fromHeight));
    source = new EventSource(`/v1/events?${params}`);
    source.onopen = () => onState('live');
    source.onmessage = deliver;
    // Named SSE events do not reach onmessage: listen to each kind the stream may send.
    for (const kind of kinds.length ? kinds : EVENT_KINDS) source.addEventListener(kind, deliver);
    // Reopen after the last event delivered rather than trusting the browser's own retry,
    // so the resume point is ours whatever dropped the connection.
    source.onerror = () => {
      source.close();
      if (stopped) return;
      onState('reconnecting');
      setTimeout(open, 1000);
    };
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
    source?.close();
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
