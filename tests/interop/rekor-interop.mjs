// Drives the REAL sigstore-js packages (versions pinned in package-lock.json) against a running
// PrivateSigstore Rekor v1 service.
//
//   REKOR_URL=http://127.0.0.1:PORT node rekor-interop.mjs [results.json]
//
// Signing goes through sigstore-js's own code: MessageSignatureBundleBuilder / DSSEBundleBuilder with
// a RekorWitness (the @sigstore/sign Rekor v1 client), a key-based signer (ECDSA P-256 from node:crypto).
// Verification goes through @sigstore/verify's Verifier with a TrustedRoot that lists only our log.
// Prints a JSON summary on stdout (and writes it to the results path) and exits 1 on any failure.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { bundleFromJSON, bundleToJSON, envelopeToJSON } from '@sigstore/bundle';
import { json as canonicalJSON } from '@sigstore/core';
import { PublicKey, TrustedRoot } from '@sigstore/protobuf-specs';
import { DSSEBundleBuilder, MessageSignatureBundleBuilder, RekorWitness } from '@sigstore/sign';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const here = path.dirname(fileURLToPath(import.meta.url));
const rekorURL = (process.env.REKOR_URL || '').replace(/\/+$/, '');
const resultsPath = process.argv[2] || process.env.RESULTS_PATH || '';
const TIMEOUT_MS = 30_000;

const summary = {
  ok: false,
  node: process.version,
  rekorURL,
  packages: {},
  log: {},
  hashedrekord: { ok: false },
  dsse: { ok: false },
  negatives: { ok: false, cases: {} },
  conflict409: { ok: false },
  failures: [],
};

function fail(where, message) {
  summary.failures.push(`${where}: ${message}`);
}

function describe(err) {
  if (!err) return String(err);
  const code = err.code ? `${err.code}: ` : '';
  const cause = err.cause ? ` (cause: ${err.cause.message ?? err.cause})` : '';
  return `${err.name ?? 'Error'} ${code}${err.message}${cause}`;
}

function packageVersion(name) {
  const file = path.join(here, 'node_modules', ...name.split('/'), 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

// --- the log's identity: public key PEM -> DER SPKI -> logID = SHA-256(SPKI) ---------------------
async function fetchLogKey() {
  const res = await fetch(`${rekorURL}/api/v1/log/publicKey`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (res.status !== 200) throw new Error(`GET /api/v1/log/publicKey answered ${res.status}`);
  const pem = await res.text();
  const spki = crypto.createPublicKey(pem).export({ type: 'spki', format: 'der' });
  const logId = crypto.createHash('sha256').update(spki).digest();
  return { pem, spki, logId };
}

// --- the trusted root: only our log, valid from an hour before the test ---------------------------
function trustedRootJSON(log, baseUrl) {
  const start = new Date(Date.now() - 3600_000).toISOString();
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: log.spki.toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: log.logId.toString('base64') },
      },
    ],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  };
}

// --- a key-based signer in the shape @sigstore/sign's bundle builders call ------------------------
function keySigner() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' });
  const hint = crypto.createHash('sha256').update(spki).digest('hex');
  return {
    hint,
    spki,
    pem,
    signer: {
      // ECDSA P-256 over SHA-256, DER (node:crypto's default encoding for EC keys).
      sign: async (data) => ({
        signature: crypto.sign('sha256', data, privateKey),
        key: { $case: 'publicKey', publicKey: pem, hint },
      }),
    },
  };
}

// --- verification --------------------------------------------------------------------------------
function verifierFor(rootJSON, key, thresholds) {
  const keys = {
    [key.hint]: PublicKey.fromJSON({
      rawBytes: key.spki.toString('base64'),
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
      validFor: { start: new Date(Date.now() - 3600_000).toISOString() },
    }),
  };
  return new Verifier(toTrustMaterial(TrustedRoot.fromJSON(rootJSON), keys), thresholds);
}

// The brief's thresholds: one tlog entry, no SCT (no certificate), no separate timestamp required.
const KEYED = { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 0 };
// Stricter: the SET's integratedTime must count as the one timestamp (verify/dist/timestamp/index.js
// getTLogTimestamp: an entry with an inclusionPromise and integratedTime != 0 yields a timestamp).
const KEYED_WITH_TIME = { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 1 };

function verifyJSON(verifier, bundleJSON, artifact) {
  verifier.verify(toSignedEntity(bundleFromJSON(bundleJSON), artifact));
}

function clone(x) {
  return JSON.parse(JSON.stringify(x));
}

function flipBase64(b64, byteIndex = 0) {
  const bytes = Buffer.from(b64, 'base64');
  bytes[byteIndex] ^= 0x01;
  return bytes.toString('base64');
}

// Checks every shape of the bundle that must verify; records what was seen.
function checkPositive(name, bundleJSON, artifact, verifier, strictVerifier) {
  const result = summary[name];
  const entry = bundleJSON.verificationMaterial.tlogEntries?.[0];
  if (!entry) throw new Error('the bundle has no tlog entry');
  result.mediaType = bundleJSON.mediaType;
  result.kindVersion = entry.kindVersion;
  result.logIndex = entry.logIndex;
  result.integratedTime = entry.integratedTime;
  result.treeSize = entry.inclusionProof?.treeSize;
  result.proofHashes = entry.inclusionProof?.hashes?.length;
  result.hasSET = Boolean(entry.inclusionPromise?.signedEntryTimestamp);
  result.hasCheckpoint = Boolean(entry.inclusionProof?.checkpoint?.envelope);
  if (!result.hasSET || !result.hasCheckpoint) throw new Error('the tlog entry lacks a SET or a checkpoint');

  verifyJSON(verifier, bundleJSON, artifact);
  result.verified = true;
  verifyJSON(strictVerifier, bundleJSON, artifact);
  result.verifiedWithIntegratedTimeAsTimestamp = true;

  // The inclusion proof + signed checkpoint alone (no SET): checkpoint signature, key hint, name.
  const proofOnly = clone(bundleJSON);
  delete proofOnly.verificationMaterial.tlogEntries[0].inclusionPromise;
  verifyJSON(verifier, proofOnly, artifact);
  result.verifiedProofOnly = true;

  // The SET alone (no inclusion proof); a v0.1 bundle is the shape that allows that.
  const setOnly = clone(bundleJSON);
  setOnly.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
  delete setOnly.verificationMaterial.tlogEntries[0].inclusionProof;
  verifyJSON(strictVerifier, setOnly, artifact);
  result.verifiedSETOnly = true;
  result.ok = true;
}

// Byte-level checks that sigstore-js does not make but other clients (cosign, sigstore-go) rely on:
// the canonical body equals what upstream Rekor would log for the same request (RFC 8785 JSON, key
// re-encoded as Go writes PEM; dsse envelopeHash over the envelope string as submitted), and the
// entry UUID (the response's map key) is 16 hex of tree id + hex(SHA-256(0x00 || body)).
async function checkUpstreamBytes(name, bundleJSON, expectedBody) {
  const result = summary[name];
  const entry = bundleJSON.verificationMaterial.tlogEntries[0];
  const body = Buffer.from(entry.canonicalizedBody, 'base64');
  const expected = Buffer.from(canonicalJSON.canonicalize(expectedBody), 'utf8');
  result.bodyMatchesUpstream = body.equals(expected);
  if (!result.bodyMatchesUpstream) {
    fail(name, `canonical body differs from upstream Rekor's:\n    got      ${body.toString('utf8')}\n    expected ${expected.toString('utf8')}`);
  }
  const res = await fetch(`${rekorURL}/api/v1/log/entries?logIndex=${entry.logIndex}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (res.status !== 200) throw new Error(`GET /api/v1/log/entries?logIndex=${entry.logIndex} answered ${res.status}`);
  const [uuid] = Object.keys(await res.json());
  const leafHash = crypto.createHash('sha256').update(Buffer.from([0])).update(body).digest('hex');
  result.entryUUID = uuid;
  result.entryUUIDMatchesLeafHash = /^[0-9a-f]{80}$/.test(uuid) && uuid.slice(16) === leafHash;
  if (!result.entryUUIDMatchesLeafHash) fail(name, `entry UUID ${uuid} is not <16 hex tree id>${leafHash}`);
  result.ok = result.ok && result.bodyMatchesUpstream && result.entryUUIDMatchesLeafHash;
}

// A negative case passes when verification throws a VerificationError (not a crash).
function expectRejected(name, verifier, bundleJSON, artifact) {
  try {
    verifyJSON(verifier, bundleJSON, artifact);
  } catch (err) {
    const proper = err?.name === 'VerificationError' || err?.name === 'ValidationError';
    summary.negatives.cases[name] = { rejected: proper, error: describe(err) };
    if (!proper) fail(`negative ${name}`, `rejected with an unexpected error type: ${describe(err)}`);
    return;
  }
  summary.negatives.cases[name] = { rejected: false };
  fail(`negative ${name}`, 'verification PASSED but must fail');
}

async function main() {
  if (!rekorURL) throw new Error('REKOR_URL is not set');
  for (const p of ['@sigstore/sign', '@sigstore/verify', '@sigstore/bundle', '@sigstore/core', '@sigstore/protobuf-specs']) {
    summary.packages[p] = packageVersion(p);
  }

  const log = await fetchLogKey();
  summary.log.logId = log.logId.toString('hex');
  const rootJSON = trustedRootJSON(log, rekorURL);
  const key = keySigner();
  const verifier = verifierFor(rootJSON, key, KEYED);
  const strictVerifier = verifierFor(rootJSON, key, KEYED_WITH_TIME);

  // sigstore-js's own Rekor v1 client; 'dsse' = dsse 0.0.1 entries for DSSE content.
  const witness = new RekorWitness({ rekorBaseURL: rekorURL, entryType: 'dsse', fetchOnConflict: true, timeout: TIMEOUT_MS });
  const messageBuilder = new MessageSignatureBundleBuilder({ signer: key.signer, witnesses: [witness] });
  const dsseBuilder = new DSSEBundleBuilder({ signer: key.signer, witnesses: [witness] });

  // Warm-up entries so that the entries under test sit in a tree of several leaves and their
  // inclusion proofs have hashes to tamper with.
  for (let i = 0; i < 2; i++) {
    await messageBuilder.create({ data: Buffer.from(`warm-up ${i} ${crypto.randomUUID()}`) });
  }

  // (b) hashedrekord 0.0.1 through sigstore-js.
  const artifact = Buffer.from(`PrivateSigstore interop artifact ${crypto.randomUUID()}\n`);
  let hashedJSON;
  try {
    const bundle = await messageBuilder.create({ data: artifact });
    hashedJSON = bundleToJSON(bundle);
    checkPositive('hashedrekord', hashedJSON, artifact, verifier, strictVerifier);
    await checkUpstreamBytes('hashedrekord', hashedJSON, {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: crypto.createHash('sha256').update(artifact).digest('hex') } },
        signature: { content: hashedJSON.messageSignature.signature, publicKey: { content: Buffer.from(key.pem).toString('base64') } },
      },
    });
  } catch (err) {
    fail('hashedrekord', describe(err));
  }

  // (c) dsse 0.0.1 through sigstore-js.
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'artifact.txt', digest: { sha256: crypto.createHash('sha256').update(artifact).digest('hex') } }],
    predicateType: 'https://privatesigstore.example/interop/v1',
    predicate: { nonce: crypto.randomUUID() },
  };
  let dsseJSON;
  try {
    const bundle = await dsseBuilder.create({ data: Buffer.from(JSON.stringify(statement)), type: 'application/vnd.in-toto+json' });
    dsseJSON = bundleToJSON(bundle);
    checkPositive('dsse', dsseJSON, undefined, verifier, strictVerifier);
    // The envelope string exactly as @sigstore/sign submitted it (sign/dist/witness/tlog/entry.js).
    const envelopeString = JSON.stringify(envelopeToJSON(bundle.content.dsseEnvelope));
    await checkUpstreamBytes('dsse', dsseJSON, {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: crypto.createHash('sha256').update(envelopeString).digest('hex') },
        payloadHash: { algorithm: 'sha256', value: crypto.createHash('sha256').update(bundle.content.dsseEnvelope.payload).digest('hex') },
        signatures: [{ signature: dsseJSON.dsseEnvelope.signatures[0].sig, verifier: Buffer.from(key.pem).toString('base64') }],
      },
    });
  } catch (err) {
    fail('dsse', describe(err));
  }

  // (f) negatives: each must be rejected by @sigstore/verify.
  if (hashedJSON) {
    const tamperedArtifact = Buffer.from(artifact);
    tamperedArtifact[0] ^= 0x01;
    expectRejected('hashedrekord-tampered-artifact', verifier, hashedJSON, tamperedArtifact);

    const entry = hashedJSON.verificationMaterial.tlogEntries[0];
    if (!entry.inclusionProof?.hashes?.length) {
      fail('negative hashedrekord-flipped-proof-hash', 'the inclusion proof has no hashes to flip');
    } else {
      const flipped = clone(hashedJSON);
      flipped.verificationMaterial.tlogEntries[0].inclusionProof.hashes[0] = flipBase64(entry.inclusionProof.hashes[0]);
      expectRejected('hashedrekord-flipped-proof-hash', verifier, flipped, artifact);
    }

    const badSet = clone(hashedJSON);
    const set = badSet.verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp;
    badSet.verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp = flipBase64(set, Buffer.from(set, 'base64').length - 1);
    expectRejected('hashedrekord-flipped-SET', verifier, badSet, artifact);

    const badTime = clone(hashedJSON);
    badTime.verificationMaterial.tlogEntries[0].integratedTime = String(Number(entry.integratedTime) + 1);
    expectRejected('hashedrekord-tampered-integratedTime', verifier, badTime, artifact);

    const badCheckpoint = clone(hashedJSON);
    const cp = badCheckpoint.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint;
    const lines = cp.envelope.split('\n');
    lines[1] = String(Number(lines[1]) + 1); // the signed tree size
    cp.envelope = lines.join('\n');
    expectRejected('hashedrekord-tampered-checkpoint', verifier, badCheckpoint, artifact);

    const otherLog = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    const otherRoot = clone(rootJSON);
    otherRoot.tlogs[0].publicKey.rawBytes = otherLog.toString('base64');
    expectRejected('hashedrekord-untrusted-log-key', verifierFor(otherRoot, key, KEYED), hashedJSON, artifact);
  } else {
    fail('negatives', 'no hashedrekord bundle to tamper with');
  }
  if (dsseJSON) {
    const tampered = clone(dsseJSON);
    const payload = Buffer.from(tampered.dsseEnvelope.payload, 'base64');
    payload[payload.length - 2] ^= 0x01;
    tampered.dsseEnvelope.payload = payload.toString('base64');
    expectRejected('dsse-tampered-payload', verifier, tampered, undefined);

    const entry = dsseJSON.verificationMaterial.tlogEntries[0];
    if (!entry.inclusionProof?.hashes?.length) {
      fail('negative dsse-flipped-proof-hash', 'the inclusion proof has no hashes to flip');
    } else {
      const flipped = clone(dsseJSON);
      const hashes = flipped.verificationMaterial.tlogEntries[0].inclusionProof.hashes;
      hashes[hashes.length - 1] = flipBase64(hashes[hashes.length - 1], 31);
      expectRejected('dsse-flipped-proof-hash', verifier, flipped, undefined);
    }
  } else {
    fail('negatives', 'no dsse bundle to tamper with');
  }
  const cases = Object.values(summary.negatives.cases);
  summary.negatives.ok = cases.length >= 8 && cases.every((c) => c.rejected);

  // (g) 409: the same hashedrekord again. With fetchOnConflict the witness follows Location and must
  // return the same entry; without it, sigstore-js must report the 409 as a create error.
  if (hashedJSON) {
    try {
      const original = bundleFromJSON(hashedJSON);
      const again = await witness.testify(original.content, key.pem);
      const first = original.verificationMaterial.tlogEntries[0];
      const second = again.tlogEntries[0];
      const same = {
        logIndex: String(second.logIndex) === String(first.logIndex),
        logId: Buffer.compare(second.logId.keyId, first.logId.keyId) === 0,
        integratedTime: String(second.integratedTime) === String(first.integratedTime),
        canonicalizedBody: Buffer.compare(second.canonicalizedBody, first.canonicalizedBody) === 0,
      };
      summary.conflict409.sameEntry = same;
      summary.conflict409.treeSizeOnRefetch = String(second.inclusionProof?.treeSize);
      for (const [k, v] of Object.entries(same)) if (!v) fail('conflict409', `the refetched entry differs in ${k}`);

      // The refetched entry, with its proof against the newer tree, verifies too.
      const rebuilt = clone(hashedJSON);
      rebuilt.verificationMaterial.tlogEntries = [bundleToJSON({ ...original, verificationMaterial: { ...original.verificationMaterial, tlogEntries: [second] } }).verificationMaterial.tlogEntries[0]];
      verifyJSON(strictVerifier, rebuilt, artifact);
      summary.conflict409.refetchedVerified = true;

      const noFetch = new RekorWitness({ rekorBaseURL: rekorURL, fetchOnConflict: false, timeout: TIMEOUT_MS });
      try {
        await noFetch.testify(original.content, key.pem);
        fail('conflict409', 'a duplicate submission without fetchOnConflict did not fail');
      } catch (err) {
        summary.conflict409.withoutFetch = describe(err);
        const status = err?.cause?.statusCode;
        if (err?.code !== 'TLOG_CREATE_ENTRY_ERROR' || status !== 409) {
          fail('conflict409', `expected TLOG_CREATE_ENTRY_ERROR caused by HTTP 409, got ${describe(err)} (status ${status})`);
        }
      }
      summary.conflict409.ok = summary.failures.every((f) => !f.startsWith('conflict409'));
    } catch (err) {
      fail('conflict409', describe(err));
    }
  } else {
    fail('conflict409', 'no hashedrekord bundle to resubmit');
  }

  summary.ok = summary.failures.length === 0 && summary.hashedrekord.ok && summary.dsse.ok && summary.negatives.ok && summary.conflict409.ok;
}

let exitCode = 1;
try {
  await main();
  exitCode = summary.ok ? 0 : 1;
} catch (err) {
  fail('setup', describe(err));
}
const text = JSON.stringify(summary, null, 2);
if (resultsPath) fs.writeFileSync(resultsPath, text + '\n');
process.stdout.write(text + '\n');
if (exitCode !== 0) {
  process.stderr.write(`rekor-interop: FAILED\n${summary.failures.map((f) => `  - ${f}`).join('\n')}\n`);
}
process.exitCode = exitCode;
