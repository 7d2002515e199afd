// Verification throughput of the REAL @sigstore/verify (pinned), for docs/performance.md: the same public-good v0.3
// bundle, trusted root, artifact and identity policy as load-tests/PrivateSigstore.Benchmarks VerifyBenchmarks.
//
//   BUNDLE=… ROOT=… ARTIFACT=… N=1000 node verify-throughput.mjs results.json
//
// Each iteration parses the bundle JSON (bundleFromJSON) and verifies it (Verifier.verify with thresholds 1/1/1 and
// the certificate identity policy), as sigstore-js's own conformance client does.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const n = Number(process.env.N || 1000);
const bundleText = fs.readFileSync(process.env.BUNDLE, 'utf8');
const artifact = fs.readFileSync(process.env.ARTIFACT);
const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(process.env.ROOT, 'utf8')))),
  { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 });
const policy = {
  subjectAlternativeName: 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
  extensions: { issuer: 'https://token.actions.githubusercontent.com' },
};
const once = () => verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(bundleText)), artifact), policy);
for (let i = 0; i < 100; i++) once(); // warm-up (JIT)
const start = performance.now();
for (let i = 0; i < n; i++) once();
const ms = performance.now() - start;
const result = { ok: true, node: process.version, n, totalMs: ms, perBundleMs: ms / n, perSecond: (n * 1000) / ms };
fs.writeFileSync(process.argv[2], JSON.stringify(result));
process.stdout.write(JSON.stringify(result) + '\n');
