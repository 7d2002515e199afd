// The full keyless flow with the REAL npm `sigstore` package (pinned): sign() and attest() against our Fulcio-compatible
// CA (embedded SCT from our CT log) and our Rekor, then @sigstore/verify with our trusted_root.json and the DEFAULT
// thresholds (1 SCT, 1 tlog entry) plus an identity policy on SAN and issuer.
//
//   FULCIO_URL=… REKOR_URL=… TRUSTED_ROOT=trusted_root.json OTHER_TRUSTED_ROOT=other_root.json ID_TOKEN=<jwt> \
//   EXPECTED_SAN=<email> EXPECTED_ISSUER=<iss> OUT_DIR=<dir> node keyless-interop.mjs [results.json]
//
// Writes the bundles to OUT_DIR (blob.sigstore.json, attestation.sigstore.json, artifact.txt, statement.json) so that the
// .NET side can check them independently (SCT, proofs, psig). Negative cases: a policy for another identity, a tampered
// artifact, and a trusted root whose CA is another one must all be rejected.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { attest, sign } from 'sigstore';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const resultsPath = process.argv[2] || '';
const summary = { ok: false, node: process.version, packages: {}, blob: {}, attestation: {}, negatives: {}, failures: [] };

function packageVersion(name) {
  return JSON.parse(fs.readFileSync(path.join(here, 'node_modules', ...name.split('/'), 'package.json'), 'utf8')).version;
}

function describe(err) {
  const cause = err?.cause ? ` (cause: ${err.cause.message ?? err.cause})` : '';
  return `${err?.name ?? 'Error'} ${err?.code ? err.code + ': ' : ''}${err?.message}${cause}`;
}

function verifier(rootFile) {
  // DEFAULT thresholds: no options passed (ctlogThreshold 1, tlogThreshold 1, tsaThreshold 0).
  return new Verifier(toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootFile, 'utf8')))));
}

function verifies(v, bundleJSON, data, policy) {
  try {
    const result = v.verify(toSignedEntity(bundleFromJSON(bundleJSON), data), policy);
    return { ok: true, identity: result?.identity ?? null };
  } catch (err) {
    return { ok: false, error: describe(err) };
  }
}

async function main() {
  for (const p of ['sigstore', '@sigstore/sign', '@sigstore/verify', '@sigstore/bundle']) summary.packages[p] = packageVersion(p);
  const options = { fulcioURL: env('FULCIO_URL'), rekorURL: env('REKOR_URL'), identityToken: env('ID_TOKEN'), timeout: 30_000, retry: 0 };
  const policy = { subjectAlternativeName: env('EXPECTED_SAN'), extensions: { issuer: env('EXPECTED_ISSUER') } };
  const trusted = verifier(env('TRUSTED_ROOT'));
  const outDir = env('OUT_DIR');

  // 1. sign(): message signature + hashedrekord.
  const artifact = Buffer.from(`keyless artifact ${Date.now()}\n`);
  const blobBundle = await sign(artifact, options);
  fs.writeFileSync(path.join(outDir, 'artifact.txt'), artifact);
  fs.writeFileSync(path.join(outDir, 'blob.sigstore.json'), JSON.stringify(blobBundle));
  summary.blob = {
    mediaType: blobBundle.mediaType,
    tlogKind: blobBundle.verificationMaterial?.tlogEntries?.[0]?.kindVersion,
    verify: verifies(trusted, blobBundle, artifact, policy),
  };
  if (!summary.blob.verify.ok) summary.failures.push(`blob: ${summary.blob.verify.error}`);

  // 2. attest(): DSSE in-toto statement + dsse entry.
  const statement = Buffer.from(JSON.stringify({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'artifact.txt', digest: { sha256: (await import('node:crypto')).createHash('sha256').update(artifact).digest('hex') } }],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: { buildDefinition: { buildType: 'https://example.com/private' } },
  }));
  const attBundle = await attest(statement, 'application/vnd.in-toto+json', options);
  fs.writeFileSync(path.join(outDir, 'statement.json'), statement);
  fs.writeFileSync(path.join(outDir, 'attestation.sigstore.json'), JSON.stringify(attBundle));
  summary.attestation = {
    mediaType: attBundle.mediaType,
    tlogKind: attBundle.verificationMaterial?.tlogEntries?.[0]?.kindVersion,
    verify: verifies(trusted, attBundle, undefined, policy),
  };
  if (!summary.attestation.verify.ok) summary.failures.push(`attestation: ${summary.attestation.verify.error}`);

  // 3. Negatives: each must be rejected.
  const n = summary.negatives;
  n.otherIdentity = verifies(trusted, blobBundle, artifact, { subjectAlternativeName: 'mallory@example.com', extensions: { issuer: env('EXPECTED_ISSUER') } });
  n.otherIssuer = verifies(trusted, blobBundle, artifact, { subjectAlternativeName: env('EXPECTED_SAN'), extensions: { issuer: 'https://accounts.google.com' } });
  const tampered = Buffer.from(artifact);
  tampered[0] ^= 1;
  n.tamperedArtifact = verifies(trusted, blobBundle, tampered, policy);
  n.otherCa = verifies(verifier(env('OTHER_TRUSTED_ROOT')), blobBundle, artifact, policy);
  for (const [name, r] of Object.entries(n)) if (r.ok) summary.failures.push(`negative ${name} was accepted`);
}

try {
  await main();
} catch (err) {
  summary.failures.push(`unexpected: ${describe(err)}`);
}
summary.ok = summary.failures.length === 0;
const text = JSON.stringify(summary, null, 2);
if (resultsPath) fs.writeFileSync(resultsPath, text);
console.log(text);
process.exit(summary.ok ? 0 : 1);
