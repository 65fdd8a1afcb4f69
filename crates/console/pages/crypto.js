// Credence's client-side cryptography for the borrower portal, on WebCrypto alone.
//
// Everything here computes in the page: signing keys, report keys and the keys they wrap
// never leave the browser. Byte values are `Uint8Array`s throughout.
//
// - Transaction signatures: Ed25519 over the transaction's signing bytes under the
//   `credence/tx` namespace, as the ledger verifies them.
// - Read signatures: Ed25519 over a request's chain, method, path and time under the
//   `credence/read` namespace, as the node checks a signed read.
// - Sealing: RFC 9180 HPKE in base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
//   AES-128-GCM, the suite the ledger's `credence-crypto` seals with. HKDF is composed from
//   WebCrypto's HMAC-SHA256; the curve, hash and cipher operations are WebCrypto's own.

import { KEY_HEADER, READ_NAMESPACE, SIGNATURE_HEADER, TIME_HEADER } from './constants.js';

const subtle = globalThis.crypto.subtle;

// ---------------------------------------------------------------------------------------
// Bytes
// ---------------------------------------------------------------------------------------

/** The UTF-8 encoding of `text`. */
function utf8(text) {
  return new TextEncoder().encode(text);
}

/** The bytes of `parts`, one after another. */
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** `value` as a big-endian unsigned integer of `length` bytes (RFC 8017 I2OSP). */
function i2osp(value, length) {
  const limit = 2 ** (8 * length);
  if (!Number.isInteger(value) || value < 0 || value >= limit) {
    throw new RangeError(`${value} does not fit in ${length} bytes`);
  }
  const out = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i -= 1) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return out;
}

/** The bytes of a base64url string without padding, as a JWK carries them. */
function fromBase64Url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

/** `bytes` as lowercase hexadecimal. */
export function toHex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The bytes written in hexadecimal `text`; throws unless it is an even number of hex digits. */
export function fromHex(text) {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new SyntaxError('not an even number of hexadecimal digits');
  }
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

// ---------------------------------------------------------------------------------------
// Digests
// ---------------------------------------------------------------------------------------

/**
 * SHA-256 of `parts` under `domain`: `SHA-256(len(domain) || domain || parts...)`, with the
 * domain's length as one byte — Credence's `Digest::of`, so a digest made for one purpose
 * never equals one made for another.
 */
export async function digestOf(domain, parts) {
  const name = utf8(domain);
  if (name.length > 255) {
    throw new RangeError('a digest domain is at most 255 bytes');
  }
  const digest = await subtle.digest('SHA-256', concat(Uint8Array.of(name.length), name, ...parts));
  return new Uint8Array(digest);
}

/** The subject id (pseudonym) of the subject who registered with `signingPublicKey`. */
export function subjectIdFromKey(signingPublicKey) {
  return digestOf('credence/subject', [signingPublicKey]);
}

// ---------------------------------------------------------------------------------------
// Ed25519 signatures: transactions and reads
// ---------------------------------------------------------------------------------------

/** The DER prefix that makes a 32-byte Ed25519 seed a PKCS#8 private key (RFC 8410). */
const ED25519_PKCS8_PREFIX = fromHex('302e020100300506032b657004220420');

/**
 * What precedes a message under signature in `namespace` (commonware's namespacing): the
 * namespace behind its length as a varint — one byte, every namespace of Credence being
 * shorter than 128 bytes.
 */
function namespacePrefix(namespace) {
  const bytes = utf8(namespace);
  if (bytes.length >= 128) {
    throw new RangeError('a namespace here is shorter than 128 bytes');
  }
  return Uint8Array.of(bytes.length, ...bytes);
}

const TRANSACTION_PREFIX = namespacePrefix('credence/tx');
const READ_PREFIX = namespacePrefix(READ_NAMESPACE);

/** A fresh Ed25519 seed (RFC 8032 private key): 32 random bytes. */
export function generateSigningSeed() {
  return crypto.getRandomValues(new Uint8Array(32));
}

/** The Ed25519 private key of `seed`, usable to sign. */
function importSigningKey(seed, extractable) {
  return subtle.importKey(
    'pkcs8',
    concat(ED25519_PKCS8_PREFIX, seed),
    { name: 'Ed25519' },
    extractable,
    ['sign'],
  );
}

/** The 32-byte Ed25519 public key of `seed`. */
export async function signingPublicKey(seed) {
  const jwk = await subtle.exportKey('jwk', await importSigningKey(seed, true));
  return fromBase64Url(jwk.x);
}

/** The 64-byte signature of `seed` over `message` behind a namespace's `prefix`. */
async function signUnder(prefix, seed, message) {
  const key = await importSigningKey(seed, false);
  return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, concat(prefix, message)));
}

/** The 64-byte signature of `seed` over a transaction's `signingBytes`, as the ledger checks it. */
export function signTransaction(seed, signingBytes) {
  return signUnder(TRANSACTION_PREFIX, seed, signingBytes);
}

/**
 * The bytes a reader signs (Rust's `access::request_message`): the chain id, the method, the
 * path with its query exactly as sent, and the time in Unix milliseconds, one per line.
 */
export function requestMessage(chainId, method, pathAndQuery, timeMs) {
  if (!Number.isSafeInteger(timeMs) || timeMs < 0) {
    throw new RangeError('a request time is whole Unix milliseconds');
  }
  for (const part of [chainId, method, pathAndQuery]) {
    if (/[\r\n]/.test(part)) throw new RangeError('no part of a signed request holds a newline');
  }
  return utf8(`${chainId}\n${method}\n${pathAndQuery}\n${timeMs}`);
}

/**
 * The 64-byte signature of `seed` over a read of `pathAndQuery` (as sent, percent-encoding
 * included) with `method` at `timeMs` on the chain `chainId`: what the node checks before it
 * answers a read as the key's institution or subject.
 */
export function signRequest(seed, chainId, method, pathAndQuery, timeMs) {
  return signUnder(READ_PREFIX, seed, requestMessage(chainId, method, pathAndQuery, timeMs));
}

/** The three headers of a read signed by `seed`, as `signRequest` signs it. */
export async function signedRequestHeaders(seed, chainId, method, pathAndQuery, timeMs) {
  const signature = await signRequest(seed, chainId, method, pathAndQuery, timeMs);
  return {
    [KEY_HEADER]: toHex(await signingPublicKey(seed)),
    [TIME_HEADER]: String(timeMs),
    [SIGNATURE_HEADER]: toHex(signature),
  };
}

/**
 * The signing key of a key file (as `credence keys` and the borrower portal write it): its
 * 32-byte seed and public key in hex. Throws unless `signing_seed` is 32 bytes of hex and,
 * when the file names `signing_public_key`, that key is the seed's.
 */
export async function signingKeyOf(file) {
  if (typeof file?.signing_seed !== 'string') {
    throw new SyntaxError('a key file names its signing_seed');
  }
  const seed = fromHex(file.signing_seed);
  if (seed.length !== 32) throw new RangeError('signing_seed is 32 bytes');
  const key = toHex(await signingPublicKey(seed));
  if (file.signing_public_key !== undefined && file.signing_public_key !== key) {
    throw new Error('signing_public_key does not match signing_seed');
  }
  return { seed, key };
}

/** The encoded signed transaction, hex: the signing bytes followed by the signature. */
export function signedTransactionHex(signingBytes, signature) {
  return toHex(concat(signingBytes, signature));
}

// ---------------------------------------------------------------------------------------
// X25519 encryption keys
// ---------------------------------------------------------------------------------------

/** The DER prefix that makes a 32-byte X25519 secret a PKCS#8 private key (RFC 8410). */
const X25519_PKCS8_PREFIX = fromHex('302e020100300506032b656e04220420');

/**
 * The canonical bytes of an X25519 secret: the scalar clamped as RFC 7748 decodes it. Using a
 * key is the same either way, but the Rust client always holds (and writes, and hashes) the
 * clamped form, so the portal does too: the same key file then derives the same report key
 * of every epoch in both.
 */
export function canonicalSecret(secret) {
  const clamped = Uint8Array.from(secret);
  clamped[0] &= 248;
  clamped[31] &= 127;
  clamped[31] |= 64;
  return clamped;
}

/** A fresh X25519 secret: 32 random bytes, in canonical form. */
export function generateEncryptionSecret() {
  return canonicalSecret(crypto.getRandomValues(new Uint8Array(32)));
}

/** The X25519 private key of `secret`, usable for Diffie-Hellman. */
function importEncryptionSecret(secret, extractable) {
  return subtle.importKey(
    'pkcs8',
    concat(X25519_PKCS8_PREFIX, secret),
    { name: 'X25519' },
    extractable,
    ['deriveBits'],
  );
}

/** The 32-byte X25519 public key of `secret`. */
export async function encryptionPublicKey(secret) {
  const jwk = await subtle.exportKey('jwk', await importEncryptionSecret(secret, true));
  return fromBase64Url(jwk.x);
}

/** The X25519 shared secret of `secret` and `publicKey`; throws if it is all zeros. */
async function diffieHellman(secret, publicKey) {
  const ours = await importEncryptionSecret(secret, false);
  const theirs = await subtle.importKey('raw', publicKey, { name: 'X25519' }, false, []);
  return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: theirs }, ours, 256));
}

// ---------------------------------------------------------------------------------------
// HKDF-SHA256 (RFC 5869) and its labeled forms (RFC 9180 §4)
// ---------------------------------------------------------------------------------------

const HASH_LENGTH = 32;

/** HMAC-SHA256 of `data` under `key`. */
async function hmac(key, data) {
  const hmacKey = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return new Uint8Array(await subtle.sign('HMAC', hmacKey, data));
}

/** HKDF-Extract: a pseudorandom key from `ikm`, with an empty `salt` read as 32 zero bytes. */
function extract(salt, ikm) {
  return hmac(salt.length > 0 ? salt : new Uint8Array(HASH_LENGTH), ikm);
}

/** HKDF-Expand: `length` bytes of output keying material from `prk` and `info`. */
async function expand(prk, info, length) {
  if (length > 255 * HASH_LENGTH) {
    throw new RangeError('HKDF-Expand yields at most 8160 bytes');
  }
  const blocks = [];
  let previous = new Uint8Array(0);
  for (let counter = 1; blocks.length * HASH_LENGTH < length; counter += 1) {
    previous = await hmac(prk, concat(previous, info, Uint8Array.of(counter)));
    blocks.push(previous);
  }
  return concat(...blocks).slice(0, length);
}

const HPKE_VERSION = utf8('HPKE-v1');
const KEM_ID = 0x0020;
const KDF_ID = 0x0001;
const AEAD_ID = 0x0001;
/** The suite id of the KEM's own derivations. */
const KEM_SUITE = concat(utf8('KEM'), i2osp(KEM_ID, 2));
/** The suite id of the key schedule. */
const HPKE_SUITE = concat(utf8('HPKE'), i2osp(KEM_ID, 2), i2osp(KDF_ID, 2), i2osp(AEAD_ID, 2));

/** RFC 9180 LabeledExtract under `suite`. */
function labeledExtract(suite, salt, label, ikm) {
  return extract(salt, concat(HPKE_VERSION, suite, utf8(label), ikm));
}

/** RFC 9180 LabeledExpand under `suite`. */
function labeledExpand(suite, prk, label, info, length) {
  const labeledInfo = concat(i2osp(length, 2), HPKE_VERSION, suite, utf8(label), info);
  return expand(prk, labeledInfo, length);
}

// ---------------------------------------------------------------------------------------
// HPKE (RFC 9180): DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode
// ---------------------------------------------------------------------------------------

const EMPTY = new Uint8Array(0);
const MODE_BASE = 0x00;
const KEY_LENGTH = 16;
const NONCE_LENGTH = 12;

/**
 * The X25519 secret RFC 9180 `DeriveKeyPair` derives from input keying material `ikm`
 * (§7.1.3); its public key is `encryptionPublicKey` of it.
 */
export async function deriveEncryptionSecret(ikm) {
  const dkpPrk = await labeledExtract(KEM_SUITE, EMPTY, 'dkp_prk', ikm);
  return labeledExpand(KEM_SUITE, dkpPrk, 'sk', EMPTY, 32);
}

/** The KEM shared secret of a Diffie-Hellman value and its context (`ExtractAndExpand`). */
async function extractAndExpand(dh, kemContext) {
  const eaePrk = await labeledExtract(KEM_SUITE, EMPTY, 'eae_prk', dh);
  return labeledExpand(KEM_SUITE, eaePrk, 'shared_secret', kemContext, HASH_LENGTH);
}

/** The AEAD key and base nonce of a base-mode context (`KeySchedule`, no PSK). */
async function keySchedule(sharedSecret, info) {
  const pskIdHash = await labeledExtract(HPKE_SUITE, EMPTY, 'psk_id_hash', EMPTY);
  const infoHash = await labeledExtract(HPKE_SUITE, EMPTY, 'info_hash', info);
  const context = concat(Uint8Array.of(MODE_BASE), pskIdHash, infoHash);
  const secret = await labeledExtract(HPKE_SUITE, sharedSecret, 'secret', EMPTY);
  const key = await labeledExpand(HPKE_SUITE, secret, 'key', context, KEY_LENGTH);
  const baseNonce = await labeledExpand(HPKE_SUITE, secret, 'base_nonce', context, NONCE_LENGTH);
  return { key, baseNonce };
}

/** The AES-128-GCM key for `usage` ("encrypt" or "decrypt") of a context. */
function aeadKey(key, usage) {
  return subtle.importKey('raw', key, { name: 'AES-GCM' }, false, [usage]);
}

/**
 * Seals `plaintext` to `recipientPublic` (single-shot, base mode), binding `info` and the
 * associated data `aad`. Returns the encapsulated key `enc` (32 bytes) and the ciphertext
 * (plaintext length + 16). `ephemeralSecret` fixes the ephemeral key, for test vectors only;
 * by default a fresh one is drawn.
 */
export async function hpkeSeal(recipientPublic, info, plaintext, aad, { ephemeralSecret } = {}) {
  const ephemeral = ephemeralSecret ?? generateEncryptionSecret();
  const enc = await encryptionPublicKey(ephemeral);
  const dh = await diffieHellman(ephemeral, recipientPublic);
  const sharedSecret = await extractAndExpand(dh, concat(enc, recipientPublic));
  const { key, baseNonce } = await keySchedule(sharedSecret, info);
  const ciphertext = await subtle.encrypt(
    { name: 'AES-GCM', iv: baseNonce, additionalData: aad },
    await aeadKey(key, 'encrypt'),
    plaintext,
  );
  return { enc, ciphertext: new Uint8Array(ciphertext) };
}

/**
 * Opens what `hpkeSeal` sealed to the public key of `recipientSecret` under the same `info`
 * and `aad`. Throws if it does not open: a wrong key, info or associated data, or tampered
 * bytes.
 */
export async function hpkeOpen(recipientSecret, enc, info, ciphertext, aad) {
  try {
    const recipientPublic = await encryptionPublicKey(recipientSecret);
    const dh = await diffieHellman(recipientSecret, enc);
    const sharedSecret = await extractAndExpand(dh, concat(enc, recipientPublic));
    const { key, baseNonce } = await keySchedule(sharedSecret, info);
    const plaintext = await subtle.decrypt(
      { name: 'AES-GCM', iv: baseNonce, additionalData: aad },
      await aeadKey(key, 'decrypt'),
      ciphertext,
    );
    return new Uint8Array(plaintext);
  } catch (cause) {
    throw new Error('the ciphertext does not open with this key', { cause });
  }
}

// ---------------------------------------------------------------------------------------
// Credence report keys
// ---------------------------------------------------------------------------------------

const INFO_PAYLOAD = utf8('credence/payload/v1');
const INFO_REPORT_KEY = utf8('credence/report-key/v1');

/**
 * The associated data binding a sealed payload or wrapped report key to its subject and
 * report-key epoch: the 32-byte subject id, then the epoch as 4 big-endian bytes.
 */
export function reportKeyContext(subjectId, epoch) {
  if (subjectId.length !== 32) {
    throw new RangeError('a subject id is 32 bytes');
  }
  return concat(subjectId, i2osp(epoch, 4));
}

/**
 * The subject's report-key secret of `epoch`, derived from its master secret: every epoch, 0
 * included, is `DeriveKeyPair` of a hash of the master and the epoch. The master itself is never
 * wrapped for anyone, so a lender handed any epochs' keys derives no other epoch's: one key file
 * opens every epoch for the subject alone.
 */
export async function reportKey(masterSecret, epoch) {
  const master = canonicalSecret(masterSecret);
  const ikm = await digestOf('credence/report-key', [master, i2osp(epoch, 4)]);
  return canonicalSecret(await deriveEncryptionSecret(ikm));
}

/**
 * The report-key secret `keySecret` of `subjectId`'s `epoch`, wrapped for a reader (a lender
 * or the audit key) with encryption key `readerPublic`: a 32-byte encapsulated key and a
 * 48-byte ciphertext.
 */
export async function wrapKey(readerPublic, keySecret, subjectId, epoch) {
  const { enc, ciphertext } = await hpkeSeal(
    readerPublic,
    INFO_REPORT_KEY,
    keySecret,
    reportKeyContext(subjectId, epoch),
  );
  return { encapsulated_key: enc, ciphertext };
}

/**
 * The plaintext of a credit payload sealed to the report key `reportSecret` of `subjectId`'s
 * `epoch`; throws if it was sealed to another key, subject or epoch, or was altered.
 */
export function openPayload(reportSecret, encapsulatedKey, ciphertext, subjectId, epoch) {
  return hpkeOpen(
    reportSecret,
    encapsulatedKey,
    INFO_PAYLOAD,
    ciphertext,
    reportKeyContext(subjectId, epoch),
  );
}
