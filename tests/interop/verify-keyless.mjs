// Verifies one keyless bundle with the REAL @sigstore/verify (pinned), DEFAULT thresholds (1 SCT, 1 tlog entry) and an
// identity policy (SAN + issuer extension).
//
//   TRUSTED_ROOT=trusted_root.json BUNDLE=b.sigstore.json ARTIFACT=file EXPECTED_SAN=… EXPECTED_ISSUER=… \
//     node verify-keyless.mjs results.json
//
// Writes {"ok": bool, "node", "error"?} to results.json and exits 0 when the bundle verified, 1 otherwise.
import fs from 'node:fs';

import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const resultsPath = process.argv[2] || '';
const summary = { ok: false, node: process.version };
try {
  const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(process.env.TRUSTED_ROOT, 'utf8')));
  const verifier = new Verifier(toTrustMaterial(root));
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(process.env.BUNDLE, 'utf8')));
  verifier.verify(toSignedEntity(bundle, fs.readFileSync(process.env.ARTIFACT)), {
    subjectAlternativeName: process.env.EXPECTED_SAN,
    extensions: { issuer: process.env.EXPECTED_ISSUER },
  });
  summary.ok = true;
} catch (err) {
  summary.error = `${err?.name ?? 'Error'} ${err?.code ? err.code + ': ' : ''}${err?.message}`;
}
const text = JSON.stringify(summary, null, 2);
if (resultsPath) fs.writeFileSync(resultsPath, text);
console.log(text);
process.exit(summary.ok ? 0 : 1);
