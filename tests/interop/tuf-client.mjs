// Drives the REAL TUF clients (versions pinned in package-lock.json) against a PrivateSigstore TUF repository:
// the @sigstore/tuf client sigstore-js uses (TUF_CLIENT=sigstore, the default) or tuf-js's Updater directly
// (TUF_CLIENT=tuf-js).
//
//   TUF_MIRROR_URL=http://127.0.0.1:PORT TUF_ROOT_PATH=root.json TUF_CACHE_DIR=dir \
//   TUF_TARGETS=trusted_root.json,signing_config.v0.2.json node tuf-client.mjs [results.json]
//
// Writes {ok, client, targets: {name: {sha256, length}}, error: {name, code, message}} to the results path and
// exits 1 when the update or a download fails. The cache directory is kept, so a second run refreshes from it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { initTUF } from '@sigstore/tuf';
import { Updater } from 'tuf-js';

const resultsPath = process.argv[2] || process.env.RESULTS_PATH || '';
const mirror = (process.env.TUF_MIRROR_URL || '').replace(/\/+$/, '');
const rootPath = process.env.TUF_ROOT_PATH || '';
const cacheDir = process.env.TUF_CACHE_DIR || '';
const client = process.env.TUF_CLIENT || 'sigstore';
const targets = (process.env.TUF_TARGETS || 'trusted_root.json').split(',').filter(Boolean);

const summary = { ok: false, client, mirror, targets: {} };

function finish(code) {
  const text = JSON.stringify(summary, null, 2);
  if (resultsPath) fs.writeFileSync(resultsPath, text);
  console.log(text);
  process.exit(code);
}

function describe(file) {
  return describeBytes(fs.readFileSync(file));
}

function describeBytes(bytes) {
  return { sha256: crypto.createHash('sha256').update(bytes).digest('hex'), length: bytes.length, text: bytes.toString('utf8') };
}

try {
  if (!mirror || !cacheDir) throw new Error('TUF_MIRROR_URL and TUF_CACHE_DIR are required');
  if (client === 'sigstore') {
    const tuf = await initTUF({ mirrorURL: mirror, rootPath: rootPath || undefined, cachePath: cacheDir, retry: false, timeout: 10000 });
    // @sigstore/tuf returns the target's content (verified against the metadata), not a path.
    for (const name of targets) summary.targets[name] = describeBytes(Buffer.from(await tuf.getTarget(name), 'utf8'));
  } else {
    const metadataDir = path.join(cacheDir, 'metadata');
    const targetDir = path.join(cacheDir, 'targets');
    fs.mkdirSync(metadataDir, { recursive: true });
    fs.mkdirSync(targetDir, { recursive: true });
    if (!fs.existsSync(path.join(metadataDir, 'root.json'))) fs.copyFileSync(rootPath, path.join(metadataDir, 'root.json'));
    const updater = new Updater({ metadataBaseUrl: mirror, targetBaseUrl: `${mirror}/targets`, metadataDir, targetDir, config: { fetchRetry: 0, fetchTimeout: 10000 } });
    await updater.refresh();
    for (const name of targets) {
      const info = await updater.getTargetInfo(name);
      if (!info) throw Object.assign(new Error(`target ${name} not found`), { code: 'TARGET_NOT_FOUND' });
      const cached = await updater.findCachedTarget(info);
      summary.targets[name] = describe(cached || (await updater.downloadTarget(info)));
    }
    summary.rootVersion = JSON.parse(fs.readFileSync(path.join(metadataDir, 'root.json'), 'utf8')).signed.version;
  }
  if (client === 'sigstore') {
    // @sigstore/tuf caches under <cache>/<url-encoded host + path of the mirror>/.
    const url = new URL(mirror);
    const repoDir = path.join(cacheDir, encodeURIComponent(url.host + url.pathname.replace(/\/$/, '')));
    summary.rootVersion = JSON.parse(fs.readFileSync(path.join(repoDir, 'root.json'), 'utf8')).signed.version;
  }
  summary.ok = true;
  finish(0);
} catch (e) {
  summary.error = { name: e?.name, code: e?.code, message: String(e?.message || e), cause: e?.cause ? String(e.cause.message || e.cause) : undefined };
  finish(1);
}
