// Signs with the REAL @sigstore/sign (pinned) against a PrivateSigstore Rekor v1 service, so that psig can verify
// bundles it did not write.
//
//   REKOR_URL=http://127.0.0.1:PORT OUT_DIR=/tmp/x node sigstore-js-sign.mjs results.json
//
// Key-based (ECDSA P-256 from node:crypto, as rekor-interop.mjs): a blob (hashedrekord via MessageSignatureBundleBuilder)
// and an in-toto statement (dsse via DSSEBundleBuilder). Writes into OUT_DIR: key.pub.pem, artifact.txt,
// artifact.sigstore.json, statement.sigstore.json; and {"ok": true, ...} to results.json.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { bundleToJSON } from '@sigstore/bundle';
import { DSSEBundleBuilder, MessageSignatureBundleBuilder, RekorWitness } from '@sigstore/sign';

const rekorURL = (process.env.REKOR_URL || '').replace(/\/+$/, '');
const out = process.env.OUT_DIR;
const summary = { ok: false, node: process.version };
try {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' });
  const hint = crypto.createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  const signer = {
    sign: async (data) => ({ signature: crypto.sign('sha256', data, privateKey), key: { $case: 'publicKey', publicKey: pem, hint } }),
  };
  const witness = new RekorWitness({ rekorBaseURL: rekorURL, entryType: 'dsse', fetchOnConflict: true, timeout: 30_000 });
  const artifact = Buffer.from(`signed by sigstore-js ${crypto.randomUUID()}\n`);
  const blob = await new MessageSignatureBundleBuilder({ signer, witnesses: [witness] }).create({ data: artifact });
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'artifact.txt', digest: { sha256: crypto.createHash('sha256').update(artifact).digest('hex') } }],
    predicateType: 'https://example.com/sigstore-js',
    predicate: {},
  };
  const dsse = await new DSSEBundleBuilder({ signer, witnesses: [witness] })
    .create({ data: Buffer.from(JSON.stringify(statement)), type: 'application/vnd.in-toto+json' });
  fs.writeFileSync(path.join(out, 'key.pub.pem'), pem);
  fs.writeFileSync(path.join(out, 'artifact.txt'), artifact);
  fs.writeFileSync(path.join(out, 'artifact.sigstore.json'), JSON.stringify(bundleToJSON(blob)));
  fs.writeFileSync(path.join(out, 'statement.sigstore.json'), JSON.stringify(bundleToJSON(dsse)));
  summary.ok = true;
} catch (err) {
  summary.error = `${err.name}: ${err.message}`;
}
fs.writeFileSync(process.argv[2], JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
