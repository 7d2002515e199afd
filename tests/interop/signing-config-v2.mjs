// The Rekor v2 + TSA flow with the REAL @sigstore/sign (pinned): bundleBuilderFromSigningConfig reads OUR
// signing_config.v0.2.json (it is the only sigstore-js route to Rekor v2), signs keylessly (our CA, SCT from our CT log),
// logs to our Rekor v2 and gets an RFC 3161 timestamp from our TSA — a message signature and a DSSE envelope — then the
// REAL @sigstore/verify accepts both with our trusted_root.json and DEFAULT thresholds. Tampered artifacts, timestamps
// and inclusion proofs must be rejected.
//
//   SIGNING_CONFIG=signing_config.v0.2.json TRUSTED_ROOT=trusted_root.json ID_TOKEN=<jwt> EXPECTED_SAN=<email> \
//   EXPECTED_ISSUER=<iss> OUT_DIR=<dir> node signing-config-v2.mjs [results.json]
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { bundleFromJSON, bundleToJSON } from '@sigstore/bundle';
import { SigningConfig, TrustedRoot } from '@sigstore/protobuf-specs';
import { bundleBuilderFromSigningConfig } from '@sigstore/sign';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const describe = (err) => `${err?.name ?? 'Error'} ${err?.code ? err.code + ': ' : ''}${err?.message}${err?.cause ? ` (cause: ${err.cause.message ?? err.cause})` : ''}`;
const resultsPath = process.argv[2] || '';
const summary = { ok: false, node: process.version, message: {}, dsse: {}, negatives: {}, failures: [] };

try {
  const signingConfig = SigningConfig.fromJSON(JSON.parse(fs.readFileSync(env('SIGNING_CONFIG'), 'utf8')));
  const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(env('TRUSTED_ROOT'), 'utf8')));
  const verifier = new Verifier(toTrustMaterial(root)); // DEFAULT thresholds
  const policy = { subjectAlternativeName: env('EXPECTED_SAN'), extensions: { issuer: env('EXPECTED_ISSUER') } };
  const identityProvider = { getToken: async () => env('ID_TOKEN') };
  const out = env('OUT_DIR');

  const verifies = (bundleJson, data) => {
    try {
      verifier.verify(toSignedEntity(bundleFromJSON(bundleJson), data), policy);
      return { ok: true };
    } catch (err) {
      return { ok: false, error: describe(err) };
    }
  };

  // 1. A message signature (hashedrekord 0.0.2).
  const artifact = Buffer.from(`signed through the signing config ${crypto.randomUUID()}\n`);
  const messageBuilder = bundleBuilderFromSigningConfig({ signingConfig, identityProvider, bundleType: 'messageSignature' });
  const message = bundleToJSON(await messageBuilder.create({ data: artifact }));
  fs.writeFileSync(path.join(out, 'artifact.txt'), artifact);
  fs.writeFileSync(path.join(out, 'message.sigstore.json'), JSON.stringify(message));
  summary.message = {
    kindVersion: message.verificationMaterial.tlogEntries[0]?.kindVersion,
    integratedTime: message.verificationMaterial.tlogEntries[0]?.integratedTime,
    timestamps: message.verificationMaterial.timestampVerificationData?.rfc3161Timestamps?.length ?? 0,
    verify: verifies(message, artifact),
  };
  if (!summary.message.verify.ok) summary.failures.push(`message signature: ${summary.message.verify.error}`);

  // 2. A DSSE envelope (in-toto statement).
  const statement = Buffer.from(JSON.stringify({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'artifact.txt', digest: { sha256: crypto.createHash('sha256').update(artifact).digest('hex') } }],
    predicateType: 'https://example.com/privatesigstore-v2',
    predicate: {},
  }));
  const dsseBuilder = bundleBuilderFromSigningConfig({ signingConfig, identityProvider, bundleType: 'dsseEnvelope' });
  const dsse = bundleToJSON(await dsseBuilder.create({ data: statement, type: 'application/vnd.in-toto+json' }));
  fs.writeFileSync(path.join(out, 'dsse.sigstore.json'), JSON.stringify(dsse));
  summary.dsse = {
    kindVersion: dsse.verificationMaterial.tlogEntries[0]?.kindVersion,
    timestamps: dsse.verificationMaterial.timestampVerificationData?.rfc3161Timestamps?.length ?? 0,
    verify: verifies(dsse),
  };
  if (!summary.dsse.verify.ok) summary.failures.push(`dsse: ${summary.dsse.verify.error}`);

  // 3. Negatives: each must be rejected.
  const clone = (o) => JSON.parse(JSON.stringify(o));
  const tamperedArtifact = Buffer.concat([artifact, Buffer.from('x')]);
  const badTimestamp = clone(message);
  const ts = Buffer.from(badTimestamp.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp, 'base64');
  ts[ts.length - 5] ^= 0x01; // inside the signature
  badTimestamp.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp = ts.toString('base64');
  const noTimestamp = clone(message);
  noTimestamp.verificationMaterial.timestampVerificationData.rfc3161Timestamps = [];
  // The DSSE entry is the log's second: its inclusion proof has a hash to tamper with (the first entry's proof is empty,
  // and a v2 verifier takes the root from the signed checkpoint, not from inclusionProof.rootHash).
  const badProof = clone(dsse);
  const hashes = badProof.verificationMaterial.tlogEntries[0].inclusionProof.hashes ?? [];
  if (hashes.length > 0) {
    const h = Buffer.from(hashes[0], 'base64');
    h[0] ^= 0x01;
    hashes[0] = h.toString('base64');
  } else {
    throw new Error('the DSSE entry has an empty inclusion proof: the log was not fresh');
  }
  const negatives = {
    tamperedArtifact: verifies(message, tamperedArtifact),
    tamperedTimestamp: verifies(badTimestamp, artifact),
    missingTimestamp: verifies(noTimestamp, artifact),
    tamperedProof: verifies(badProof),
  };
  for (const [name, result] of Object.entries(negatives)) {
    summary.negatives[name] = result.ok ? 'ACCEPTED' : `rejected: ${result.error}`;
    if (result.ok) summary.failures.push(`${name} was accepted`);
  }
  summary.ok = summary.failures.length === 0;
} catch (err) {
  summary.failures.push(describe(err));
}
const text = JSON.stringify(summary, null, 2);
if (resultsPath) fs.writeFileSync(resultsPath, text);
console.log(text);
process.exit(summary.ok ? 0 : 1);
