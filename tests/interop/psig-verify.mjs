// Verifies bundles WRITTEN BY psig with the REAL @sigstore/verify (versions pinned in package-lock.json).
//
//   CASES_PATH=cases.json node psig-verify.mjs results.json
//
// cases.json: { "trustedRoot": <trusted_root.json object>, "cases": [ { "name", "bundle": <path>,
//   "artifact": <path or null for DSSE>, "keyPem": <PEM public key>, "keyHint": <bundle hint> } ] }
// Key-based bundles need the key in the trust material under the bundle's hint (toTrustMaterial's keys).
// Thresholds: one tlog entry, no SCT (no certificate), and the SET's integrated time as the one timestamp.
// Writes {"ok": true, "node", "results": {name: "ok" | "error: ..."}} to results.json (tests/TestSupport/NodeScript.cs
// reads it); exits 0 when it ran (the results say what verified).
import crypto from 'node:crypto';
import fs from 'node:fs';

import { bundleFromJSON } from '@sigstore/bundle';
import { PublicKey, TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const input = JSON.parse(fs.readFileSync(process.env.CASES_PATH, 'utf8'));
const root = TrustedRoot.fromJSON(input.trustedRoot);
const results = {};
for (const c of input.cases) {
  try {
    const spki = crypto.createPublicKey(c.keyPem).export({ type: 'spki', format: 'der' });
    const keys = {
      [c.keyHint]: PublicKey.fromJSON({
        rawBytes: spki.toString('base64'),
        keyDetails: 'PKIX_ECDSA_P256_SHA_256',
        validFor: { start: new Date(Date.now() - 3600_000).toISOString() },
      }),
    };
    const verifier = new Verifier(toTrustMaterial(root, keys), { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 1 });
    const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(c.bundle, 'utf8')));
    const artifact = c.artifact ? fs.readFileSync(c.artifact) : undefined;
    verifier.verify(toSignedEntity(bundle, artifact));
    results[c.name] = 'ok';
  } catch (err) {
    results[c.name] = `error: ${err.code ?? err.name}: ${err.message}`;
  }
}
fs.writeFileSync(process.argv[2], JSON.stringify({ ok: true, node: process.version, results }));
