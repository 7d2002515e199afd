// Signs one artifact keylessly with the REAL npm `sigstore` package (pinned): sign() against our Fulcio-compatible CA
// and our Rekor v1, with the identity token given. Used by the monitor's identity-watch proof (issue 16).
//
//   FULCIO_URL=… REKOR_URL=… ID_TOKEN=<jwt> ARTIFACT=<file> BUNDLE=<out.sigstore.json> node sigstore-js-keyless-sign.mjs [results.json]
import fs from 'node:fs';

import { sign } from 'sigstore';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const resultsPath = process.argv[2] || '';
const summary = { ok: false, node: process.version };
try {
  const bundle = await sign(fs.readFileSync(env('ARTIFACT')), {
    fulcioURL: env('FULCIO_URL'), rekorURL: env('REKOR_URL'), identityToken: env('ID_TOKEN'), timeout: 30_000, retry: 0,
  });
  fs.writeFileSync(env('BUNDLE'), JSON.stringify(bundle));
  summary.ok = true;
  summary.logIndex = bundle.verificationMaterial?.tlogEntries?.[0]?.logIndex ?? null;
} catch (err) {
  summary.error = `${err?.name ?? 'Error'} ${err?.code ? err.code + ': ' : ''}${err?.message}${err?.cause ? ` (cause: ${err.cause.message ?? err.cause})` : ''}`;
}
const text = JSON.stringify(summary);
if (resultsPath) fs.writeFileSync(resultsPath, text);
console.log(text);
process.exit(summary.ok ? 0 : 1);
