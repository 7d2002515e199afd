// Drives the REAL @sigstore/sign Fulcio client (FulcioSigner → CAClient → POST /api/v2/signingCert, pinned in
// package-lock.json) against a running PrivateSigstore Fulcio-compatible CA.
//
//   FULCIO_URL=http://127.0.0.1:PORT ID_TOKEN=<jwt> BAD_TOKEN=<jwt> EXPECTED_SAN=<email> EXPECTED_ISSUER=<iss> \
//     node fulcio-interop.mjs [results.json]
//
// sigstore-js signs the token's `sub` as its proof of possession (packages/sign/src/util/oidc.ts) with an ephemeral
// P-256 key, sends the token in the body, and takes the first certificate of the returned chain. This script then
// checks, with node:crypto only, that the certificate chains to GET /api/v2/trustBundle and carries the expected
// identity, and that the artifact signature made by the ephemeral key verifies with the certificate's key.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { FulcioSigner } from '@sigstore/sign';

const here = path.dirname(fileURLToPath(import.meta.url));
const fulcioURL = (process.env.FULCIO_URL || '').replace(/\/+$/, '');
const resultsPath = process.argv[2] || '';
const summary = { ok: false, node: process.version, packages: {}, issued: { ok: false }, refused: { ok: false }, failures: [] };

function packageVersion(name) {
  return JSON.parse(fs.readFileSync(path.join(here, 'node_modules', ...name.split('/'), 'package.json'), 'utf8')).version;
}

function describe(err) {
  const cause = err?.cause ? ` (cause: ${err.cause.message ?? err.cause})` : '';
  return `${err?.name ?? 'Error'} ${err?.code ? err.code + ': ' : ''}${err?.message}${cause}`;
}

async function main() {
  summary.packages['@sigstore/sign'] = packageVersion('@sigstore/sign');
  const artifact = Buffer.from('hello from sigstore-js');

  // 1. A certificate for a valid token.
  const signer = new FulcioSigner({
    fulcioBaseURL: fulcioURL,
    identityProvider: { getToken: async () => process.env.ID_TOKEN },
    timeout: 30_000,
    retry: 0,
  });
  const signature = await signer.sign(artifact);
  if (signature.key.$case !== 'x509Certificate') throw new Error(`unexpected key case ${signature.key.$case}`);
  const leaf = new crypto.X509Certificate(signature.key.certificate);

  const bundleRes = await fetch(`${fulcioURL}/api/v2/trustBundle`);
  const trustBundle = await bundleRes.json();
  const chain = trustBundle.chains[0].certificates.map((pem) => new crypto.X509Certificate(pem));
  const issued = summary.issued;
  issued.subjectAltName = leaf.subjectAltName;
  issued.chainLength = chain.length;
  issued.chainsToTrustBundle = leaf.checkIssued(chain[0]) && leaf.verify(chain[0].publicKey)
    && chain.every((c, i) => i === chain.length - 1 ? c.verify(c.publicKey) : c.checkIssued(chain[i + 1]) && c.verify(chain[i + 1].publicKey));
  issued.sanMatches = leaf.subjectAltName === `email:${process.env.EXPECTED_SAN}`;
  issued.issuerExtensionPresent = leaf.raw.includes(Buffer.from(process.env.EXPECTED_ISSUER));
  issued.artifactSignatureVerifies = crypto.verify('sha256', artifact, leaf.publicKey, signature.signature);
  issued.validForMinutes = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 60000;
  issued.ok = issued.chainsToTrustBundle && issued.sanMatches && issued.issuerExtensionPresent && issued.artifactSignatureVerifies;
  if (!issued.ok) summary.failures.push(`issued: ${JSON.stringify(issued)}`);

  // 2. A refused token surfaces Fulcio's error message through sigstore-js.
  const refusing = new FulcioSigner({ fulcioBaseURL: fulcioURL, identityProvider: { getToken: async () => process.env.BAD_TOKEN }, retry: 0 });
  try {
    await refusing.sign(artifact);
    summary.failures.push('refused: a bad token obtained a certificate');
  } catch (err) {
    summary.refused.error = describe(err);
    summary.refused.ok = /There was an error processing the identity token/.test(summary.refused.error);
    if (!summary.refused.ok) summary.failures.push(`refused: unexpected error ${summary.refused.error}`);
  }
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
