// Keyless signing and verification with the REAL npm `sigstore` package (pinned), taking its trust material through our
// TUF repository: the signing config comes from the mirror through @sigstore/tuf (the CA and the Rekor v1 URL used to
// sign), and sigstore.verify() gets the trusted root itself with its `tufMirrorURL` + `tufRootPath` options, DEFAULT
// thresholds, and an identity policy (email + issuer). A tampered artifact and another identity must be rejected.
//
//   TUF_MIRROR_URL=http://… TUF_ROOT_PATH=data/tuf/root.json TUF_CACHE_DIR=<dir> ID_TOKEN=<jwt> EXPECTED_SAN=<email> \
//   EXPECTED_ISSUER=<iss> node tuf-keyless.mjs [results.json]
import fs from 'node:fs';
import path from 'node:path';

import { initTUF } from '@sigstore/tuf';
import { sign, verify } from 'sigstore';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const describe = (err) => `${err?.name ?? 'Error'} ${err?.code ? err.code + ': ' : ''}${err?.message}${err?.cause ? ` (cause: ${err.cause.message ?? err.cause})` : ''}`;
const resultsPath = process.argv[2] || '';
const summary = { ok: false, node: process.version, signingConfig: {}, verify: {}, negatives: {}, failures: [] };

try {
  const mirror = env('TUF_MIRROR_URL');
  const rootPath = env('TUF_ROOT_PATH');
  const cache = env('TUF_CACHE_DIR');
  // 1. The signing config, through TUF (verified against the root, the snapshot and the targets metadata).
  const tuf = await initTUF({ mirrorURL: mirror, rootPath, cachePath: path.join(cache, 'signing'), retry: false, timeout: 10000 });
  const signingConfig = JSON.parse(await tuf.getTarget('signing_config.v0.2.json'));
  const fulcioURL = signingConfig.caUrls[0].url;
  const rekorURL = signingConfig.rekorTlogUrls.find((u) => u.majorApiVersion === 1).url;
  summary.signingConfig = { fulcioURL, rekorURL };

  // 2. sign(): keyless, our CA (SCT from our CT log) and our Rekor v1.
  const artifact = Buffer.from(`signed with trust from TUF ${Date.now()}\n`);
  const bundle = await sign(artifact, { fulcioURL, rekorURL, identityToken: env('ID_TOKEN'), timeout: 30000, retry: 0 });
  fs.writeFileSync(path.join(cache, 'artifact.sigstore.json'), JSON.stringify(bundle));

  // 3. verify(): the trusted root from the TUF mirror (sigstore's own @sigstore/tuf path), default thresholds.
  const options = {
    tufMirrorURL: mirror,
    tufRootPath: rootPath,
    tufCachePath: path.join(cache, 'verify'),
    certificateIdentityEmail: env('EXPECTED_SAN'),
    certificateIssuer: env('EXPECTED_ISSUER'),
    timeout: 10000,
    retry: 0,
  };
  const verifies = async (data, opts) => {
    try {
      await verify(bundle, data, opts);
      return { ok: true };
    } catch (err) {
      return { ok: false, error: describe(err) };
    }
  };
  summary.verify = await verifies(artifact, options);
  if (!summary.verify.ok) summary.failures.push(`verify: ${summary.verify.error}`);
  const tampered = Buffer.from(artifact);
  tampered[0] ^= 1;
  summary.negatives.tamperedArtifact = await verifies(tampered, options);
  summary.negatives.otherIdentity = await verifies(artifact, { ...options, certificateIdentityEmail: 'mallory@example.com' });
  for (const [name, r] of Object.entries(summary.negatives)) if (r.ok) summary.failures.push(`negative ${name} was accepted`);
} catch (err) {
  summary.failures.push(`unexpected: ${describe(err)}`);
}
summary.ok = summary.failures.length === 0;
const text = JSON.stringify(summary, null, 2);
if (resultsPath) fs.writeFileSync(resultsPath, text);
console.log(text);
process.exit(summary.ok ? 0 : 1);
