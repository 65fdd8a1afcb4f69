// Tests of crypto.js against published vectors and independent computations.
// Run: node --test crates/console/pages/crypto.test.mjs (Node 20; no flag needed — its
// WebCrypto has Ed25519 and X25519).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, sign as nodeSign } from 'node:crypto';

import {
  canonicalSecret,
  deriveEncryptionSecret,
  digestOf,
  encryptionPublicKey,
  fromHex,
  generateEncryptionSecret,
  generateSigningSeed,
  hpkeOpen,
  hpkeSeal,
  openPayload,
  reportKey,
  reportKeyContext,
  requestMessage,
  signedRequestHeaders,
  signedTransactionHex,
  signingKeyOf,
  signingPublicKey,
  signRequest,
  signTransaction,
  subjectIdFromKey,
  toHex,
  wrapKey,
} from './crypto.js';

const subtle = globalThis.crypto.subtle;
const utf8 = (text) => new TextEncoder().encode(text);
const concat = (...parts) => new Uint8Array(Buffer.concat(parts));

/** Asserts that `promise` rejects. */
async function assertFails(promise) {
  await assert.rejects(promise);
}

// ---------------------------------------------------------------------------------------
// RFC 9180 Appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, mode base.
// Values copied from the RFC's published vector (sequence number 0).
// ---------------------------------------------------------------------------------------

const A11 = {
  info: '4f6465206f6e2061204772656369616e2055726e',
  ikmE: '7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234',
  pkEm: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  skEm: '52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736',
  ikmR: '6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037',
  pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
  skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
  enc: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  pt: '4265617574792069732074727574682c20747275746820626561757479',
  aad: '436f756e742d30',
  ct: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
};

test("DeriveKeyPair reproduces RFC 9180 A.1.1's key pairs", async () => {
  const skEm = await deriveEncryptionSecret(fromHex(A11.ikmE));
  const skRm = await deriveEncryptionSecret(fromHex(A11.ikmR));
  assert.equal(toHex(skEm), A11.skEm);
  assert.equal(toHex(skRm), A11.skRm);
  assert.equal(toHex(await encryptionPublicKey(skEm)), A11.pkEm);
  assert.equal(toHex(await encryptionPublicKey(skRm)), A11.pkRm);
});

test("hpkeSeal reproduces RFC 9180 A.1.1's enc and sequence-0 ciphertext", async () => {
  const ephemeralSecret = await deriveEncryptionSecret(fromHex(A11.ikmE));
  const { enc, ciphertext } = await hpkeSeal(
    fromHex(A11.pkRm),
    fromHex(A11.info),
    fromHex(A11.pt),
    fromHex(A11.aad),
    { ephemeralSecret },
  );
  assert.equal(toHex(enc), A11.enc);
  assert.equal(toHex(ciphertext), A11.ct);
});

test("hpkeOpen opens RFC 9180 A.1.1's ciphertext, and only with its info and aad", async () => {
  const open = (info, aad) =>
    hpkeOpen(fromHex(A11.skRm), fromHex(A11.enc), info, fromHex(A11.ct), aad);
  const pt = await open(fromHex(A11.info), fromHex(A11.aad));
  assert.equal(toHex(pt), A11.pt);
  await assertFails(open(utf8('another info'), fromHex(A11.aad)));
  await assertFails(open(fromHex(A11.info), utf8('Count-1')));
});

test('hpkeOpen rejects tampered bytes, other keys and a low-order encapsulated key', async () => {
  const tampered = fromHex(A11.ct);
  tampered[0] ^= 1;
  const info = fromHex(A11.info);
  const aad = fromHex(A11.aad);
  await assertFails(hpkeOpen(fromHex(A11.skRm), fromHex(A11.enc), info, tampered, aad));
  await assertFails(hpkeOpen(fromHex(A11.skEm), fromHex(A11.enc), info, fromHex(A11.ct), aad));
  // The all-zero point gives an all-zero shared secret, which RFC 9180 §7.1.4 rejects.
  await assertFails(hpkeOpen(fromHex(A11.skRm), new Uint8Array(32), info, fromHex(A11.ct), aad));
});

test('hpkeSeal draws a fresh ephemeral key for each seal', async () => {
  const secret = generateEncryptionSecret();
  const recipient = await encryptionPublicKey(secret);
  const first = await hpkeSeal(recipient, utf8('i'), utf8('same'), utf8('a'));
  const second = await hpkeSeal(recipient, utf8('i'), utf8('same'), utf8('a'));
  assert.notDeepEqual(first.enc, second.enc);
  assert.notDeepEqual(first.ciphertext, second.ciphertext);
  for (const { enc, ciphertext } of [first, second]) {
    assert.deepEqual(await hpkeOpen(secret, enc, utf8('i'), ciphertext, utf8('a')), utf8('same'));
  }
});

// ---------------------------------------------------------------------------------------
// Ed25519: RFC 8032 §7.1 test 1, and the `credence/tx` namespace.
// ---------------------------------------------------------------------------------------

const RFC8032_TEST1 = {
  secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  signature:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};

/** A reference Ed25519 signer, node:crypto's, independent of crypto.js's key import. */
function referenceSign(seed, message) {
  const key = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8',
  });
  return new Uint8Array(nodeSign(null, message, key));
}

test('the reference signer reproduces RFC 8032 test 1', () => {
  const signature = referenceSign(fromHex(RFC8032_TEST1.secret), new Uint8Array(0));
  assert.equal(toHex(signature), RFC8032_TEST1.signature);
});

test("signingPublicKey reproduces RFC 8032 test 1's public key", async () => {
  assert.equal(toHex(await signingPublicKey(fromHex(RFC8032_TEST1.secret))), RFC8032_TEST1.public);
});

test("signTransaction signs varint(11) || 'credence/tx' || bytes, and nothing else", async () => {
  const seed = fromHex(RFC8032_TEST1.secret);
  const signingBytes = utf8("a transaction's signing bytes");
  const namespaced = concat(Uint8Array.of(0x0b), utf8('credence/tx'), signingBytes);
  const signature = await signTransaction(seed, signingBytes);

  assert.equal(signature.length, 64);
  assert.deepEqual(signature, referenceSign(seed, namespaced));

  const publicKey = await subtle.importKey(
    'raw',
    fromHex(RFC8032_TEST1.public),
    { name: 'Ed25519' },
    false,
    ['verify'],
  );
  const verifies = (message) => subtle.verify({ name: 'Ed25519' }, publicKey, signature, message);
  assert.equal(await verifies(namespaced), true);
  assert.equal(await verifies(signingBytes), false);
});

test('a fresh seed signs verifiably under its own public key', async () => {
  const seed = generateSigningSeed();
  assert.equal(seed.length, 32);
  const signingBytes = utf8('tx');
  const signature = await signTransaction(seed, signingBytes);
  assert.deepEqual(
    signature,
    referenceSign(seed, concat(Uint8Array.of(0x0b), utf8('credence/tx'), signingBytes)),
  );
  assert.notDeepEqual(await signingPublicKey(seed), await signingPublicKey(generateSigningSeed()));
});

test('signedTransactionHex is the signing bytes followed by the signature', () => {
  assert.equal(signedTransactionHex(fromHex('0102'), fromHex('aabb')), '0102aabb');
});

// ---------------------------------------------------------------------------------------
// Signed reads: the `credence/read` namespace over chain, method, path and time.
// ---------------------------------------------------------------------------------------

// Made by the Rust signer in crates/console/tests/read_signature.rs, which asserts the same
// signature: Ed25519 is deterministic, so the page and the node agree on every signed read.
const READ_VECTOR = {
  seed: new Uint8Array(32).fill(9),
  chainId: 'credence-devnet',
  method: 'GET',
  path: '/v1/subjects/eb1830ff0ad1e2d8647f43a1f5d0cda72affd37be65794bf4f61360934d39b25/records?from=0&limit=100',
  timeMs: 1_764_690_000_000,
  key: 'fd1724385aa0c75b64fb78cd602fa1d991fdebf76b13c58ed702eac835e9f618',
  signature:
    'b13fb5ad77abbaaf057ccaefa50dfd8383afa9878332171877e58a32c7b9b49d468fcdbf3f86081c5fb94051e800bbddddee83ca5d301c024fd53991dab4c607',
};

test("signRequest reproduces the Rust signer's signature of a read", async () => {
  const { seed, chainId, method, path, timeMs } = READ_VECTOR;
  const signature = await signRequest(seed, chainId, method, path, timeMs);
  assert.equal(toHex(signature), READ_VECTOR.signature);
  // Independently: varint(13) || 'credence/read' || the request's lines.
  const message = utf8(`${chainId}\n${method}\n${path}\n${timeMs}`);
  assert.deepEqual(requestMessage(chainId, method, path, timeMs), message);
  assert.deepEqual(
    signature,
    referenceSign(seed, concat(Uint8Array.of(13), utf8('credence/read'), message)),
  );
  // Not a transaction signature over the same bytes: the namespaces keep them apart.
  assert.notDeepEqual(signature, await signTransaction(seed, message));
});

test('a signed read changes with each of chain, method, path and time', async () => {
  const { seed, chainId, method, path, timeMs } = READ_VECTOR;
  const variants = [
    [seed, 'another-chain', method, path, timeMs],
    [seed, chainId, 'POST', path, timeMs],
    [seed, chainId, method, `${path}0`, timeMs],
    [seed, chainId, method, path, timeMs + 1],
  ];
  for (const variant of variants) {
    assert.notEqual(toHex(await signRequest(...variant)), READ_VECTOR.signature);
  }
});

test('requestMessage refuses a newline in any part and a time that is not whole ms', () => {
  assert.throws(() => requestMessage('a\nb', 'GET', '/v1/status', 1));
  assert.throws(() => requestMessage('c', 'GET', '/v1/x\r', 1));
  assert.throws(() => requestMessage('c', 'GET', '/v1/x', 1.5));
  assert.throws(() => requestMessage('c', 'GET', '/v1/x', -1));
});

test('signedRequestHeaders carries the key, the time and the signature', async () => {
  const { seed, chainId, method, path, timeMs } = READ_VECTOR;
  assert.deepEqual(await signedRequestHeaders(seed, chainId, method, path, timeMs), {
    'credence-key': READ_VECTOR.key,
    'credence-time': String(timeMs),
    'credence-signature': READ_VECTOR.signature,
  });
});

test("signingKeyOf reads a key file's signing key and refuses a mismatched one", async () => {
  const file = { signing_seed: toHex(READ_VECTOR.seed), signing_public_key: READ_VECTOR.key };
  const { seed, key } = await signingKeyOf(file);
  assert.deepEqual(seed, READ_VECTOR.seed);
  assert.equal(key, READ_VECTOR.key);
  assert.equal((await signingKeyOf({ signing_seed: file.signing_seed })).key, READ_VECTOR.key);
  await assertFails(signingKeyOf({ ...file, signing_public_key: RFC8032_TEST1.public }));
  await assertFails(signingKeyOf({ signing_seed: 'abcd' }));
  await assertFails(signingKeyOf({}));
  await assertFails(signingKeyOf(null));
});

// ---------------------------------------------------------------------------------------
// Digests and hex
// ---------------------------------------------------------------------------------------

/** SHA-256 of len(domain) || domain || parts, by node:crypto. */
function referenceDigest(domain, parts) {
  const hash = createHash('sha256').update(Uint8Array.of(Buffer.byteLength(domain)));
  hash.update(domain);
  for (const part of parts) {
    hash.update(part);
  }
  return new Uint8Array(hash.digest());
}

test('digestOf is SHA-256 of the length-prefixed domain and the parts', async () => {
  const parts = [fromHex('00ff'), utf8('abc'), new Uint8Array(0)];
  assert.deepEqual(await digestOf('credence/tx', parts), referenceDigest('credence/tx', parts));
  // The length prefix separates domains: moving a byte across the boundary changes the digest.
  assert.notDeepEqual(await digestOf('a', [utf8('bc')]), await digestOf('ab', [utf8('c')]));
  assert.deepEqual(await digestOf('a', [utf8('b'), utf8('c')]), await digestOf('a', [utf8('bc')]));
});

test("subjectIdFromKey is the key's digest under credence/subject", async () => {
  const key = fromHex(RFC8032_TEST1.public);
  assert.deepEqual(await subjectIdFromKey(key), referenceDigest('credence/subject', [key]));
});

test('hex round-trips and rejects what is not hex', () => {
  const bytes = Uint8Array.of(0, 1, 0x7f, 0x80, 0xff);
  assert.equal(toHex(bytes), '00017f80ff');
  assert.deepEqual(fromHex('00017F80ff'), bytes);
  assert.deepEqual(fromHex(''), new Uint8Array(0));
  assert.throws(() => fromHex('abc'));
  assert.throws(() => fromHex('zz'));
  assert.throws(() => fromHex('0x00'));
});

// ---------------------------------------------------------------------------------------
// Credence report keys
// ---------------------------------------------------------------------------------------

const SUBJECT = new Uint8Array(32).fill(3);
const OTHER_SUBJECT = new Uint8Array(32).fill(4);

test('reportKeyContext is the subject id then the epoch, big-endian', () => {
  const context = reportKeyContext(SUBJECT, 0x01020304);
  assert.equal(context.length, 36);
  assert.deepEqual(context.subarray(0, 32), SUBJECT);
  assert.deepEqual(context.subarray(32), Uint8Array.of(1, 2, 3, 4));
  assert.deepEqual(
    reportKeyContext(SUBJECT, 2 ** 32 - 1).subarray(32),
    Uint8Array.of(255, 255, 255, 255),
  );
  assert.throws(() => reportKeyContext(SUBJECT, 2 ** 32));
  assert.throws(() => reportKeyContext(SUBJECT, -1));
  assert.throws(() => reportKeyContext(new Uint8Array(31), 0));
});

test('a wrapped report key opens for the reader under its subject and epoch only', async () => {
  const readerSecret = generateEncryptionSecret();
  const keySecret = generateEncryptionSecret();
  const wrapped = await wrapKey(await encryptionPublicKey(readerSecret), keySecret, SUBJECT, 2);
  assert.equal(wrapped.encapsulated_key.length, 32);
  assert.equal(wrapped.ciphertext.length, 48);

  const unwrap = (secret, info, subject, epoch) =>
    hpkeOpen(
      secret,
      wrapped.encapsulated_key,
      info,
      wrapped.ciphertext,
      reportKeyContext(subject, epoch),
    );
  const info = utf8('credence/report-key/v1');
  assert.deepEqual(await unwrap(readerSecret, info, SUBJECT, 2), keySecret);
  await assertFails(unwrap(readerSecret, info, SUBJECT, 1));
  await assertFails(unwrap(readerSecret, info, OTHER_SUBJECT, 2));
  await assertFails(unwrap(readerSecret, utf8('credence/payload/v1'), SUBJECT, 2));
  await assertFails(unwrap(keySecret, info, SUBJECT, 2));
});

test('openPayload opens a payload sealed to its report key, subject and epoch only', async () => {
  const reportSecret = generateEncryptionSecret();
  const payload = utf8('a tradeline');
  const { enc, ciphertext } = await hpkeSeal(
    await encryptionPublicKey(reportSecret),
    utf8('credence/payload/v1'),
    payload,
    reportKeyContext(SUBJECT, 1),
  );
  assert.deepEqual(await openPayload(reportSecret, enc, ciphertext, SUBJECT, 1), payload);
  await assertFails(openPayload(reportSecret, enc, ciphertext, SUBJECT, 0));
  await assertFails(openPayload(reportSecret, enc, ciphertext, OTHER_SUBJECT, 1));
  await assertFails(openPayload(generateEncryptionSecret(), enc, ciphertext, SUBJECT, 1));
});

test('reportKey: every epoch, 0 included, derives from the master; none is the master', async () => {
  const master = generateEncryptionSecret();
  const epochs = await Promise.all([0, 1, 2, 3].map((epoch) => reportKey(master, epoch)));
  const distinct = new Set([master, ...epochs].map(toHex));
  assert.equal(distinct.size, 5);
  assert.deepEqual(await reportKey(master, 2), epochs[2]);
  // Epoch n's key is DeriveKeyPair of the epoch digest, whose two parts are checked above,
  // in canonical (clamped) form as the Rust client holds it.
  const ikm = referenceDigest('credence/report-key', [master, Uint8Array.of(0, 0, 0, 1)]);
  assert.deepEqual(epochs[1], canonicalSecret(await deriveEncryptionSecret(ikm)));
  // A secret given unclamped derives what its canonical form derives.
  const raw = crypto.getRandomValues(new Uint8Array(32));
  assert.deepEqual(await reportKey(raw, 1), await reportKey(canonicalSecret(raw), 1));
  // An epoch key is no master: what it derives is no epoch of the subject's.
  for (const held of epochs.slice(0, 2)) {
    for (const epoch of [0, 1, 2, 3]) {
      const derived = toHex(await reportKey(held, epoch));
      assert.ok(!epochs.map(toHex).includes(derived));
    }
  }
});

// The same values are pinned on the Rust side (crates/client/src/build.rs, test
// `browser_and_client_derive_the_same_keys`): the portal and the client must agree on the
// subject pseudonym of a signing key and on every epoch of a report key.
test('keys derive exactly as the Rust client derives them', async () => {
  const master = new Uint8Array(32).fill(7);
  assert.equal(
    toHex(await encryptionPublicKey(master)),
    '13be4feaeaf204c7fd3358fc9c00721881d174278128227ec674f37f7fe97b6d',
  );
  assert.equal(
    toHex(await encryptionPublicKey(await reportKey(master, 0))),
    '4e30ee66fa1cb87da4aac87b5e5a2f75ca64e19989db60569cab0349681def3f',
  );
  assert.equal(
    toHex(await encryptionPublicKey(await reportKey(master, 1))),
    '56fa784b9bdb2648a6435a29525170f618ab55ad36b347d09e2cd27206f1c951',
  );
  const signing = await signingPublicKey(new Uint8Array(32).fill(9));
  assert.equal(toHex(signing), 'fd1724385aa0c75b64fb78cd602fa1d991fdebf76b13c58ed702eac835e9f618');
  assert.equal(
    toHex(await subjectIdFromKey(signing)),
    'eb1830ff0ad1e2d8647f43a1f5d0cda72affd37be65794bf4f61360934d39b25',
  );
});
