// PrivateSigstore log explorer: checks an entry's inclusion proof and the log's signed checkpoint (or CT signed tree
// head) in the browser, with WebCrypto only, against the keys of the trusted root. Written for this project; no
// dependencies. RFC 9162 §2.1.3.2 (inclusion), C2SP signed-note (checkpoints), RFC 6962 §3.5 (tree head signature).
'use strict';
(() => {
  const section = document.getElementById('proof');
  if (!section) return;
  const result = document.getElementById('verify-result');
  const steps = document.getElementById('verify-steps');
  const button = document.getElementById('verify');
  const enc = new TextEncoder();

  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  };
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const unhex = (s) => {
    if (typeof s !== 'string' || s.length % 2 !== 0 || /[^0-9a-f]/i.test(s)) throw new Error('not hexadecimal: ' + String(s).slice(0, 20));
    return Uint8Array.from(s.match(/../g) || [], (h) => parseInt(h, 16));
  };
  const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const sha256 = async (...parts) => new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts)));
  const leafHash = (data) => sha256(Uint8Array.of(0), data);
  const nodeHash = (l, r) => sha256(Uint8Array.of(1), l, r);

  // RFC 9162 §2.1.3.2: the root implied by a leaf hash, its index, the tree size and the audit path.
  async function rootFromInclusion(index, size, leaf, proof) {
    if (!(index < size)) throw new Error('the index is beyond the tree size');
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (p.length !== 32) throw new Error('a proof hash is not 32 bytes');
      if (sn === 0) throw new Error('the proof is too long');
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error('the proof is too short');
    return r;
  }

  // C2SP signed note: the text (ending in a newline), a blank line, then "— <name> <base64(keyhash || signature)>" lines.
  function parseNote(note) {
    const split = note.indexOf('\n\n');
    if (split < 0) throw new Error('the checkpoint has no signature block');
    const text = note.slice(0, split + 1);
    const lines = text.split('\n');
    const signatures = note.slice(split + 2).split('\n').filter((l) => l.length > 0).map((line) => {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m) throw new Error('a signature line is malformed');
      const raw = unb64(m[2]);
      return { name: m[1], hint: raw.slice(0, 4), signature: raw.slice(4) };
    });
    return { text, origin: lines[0], size: Number(lines[1]), root: unb64(lines[2]), signatures };
  }

  // ASN.1 DER ECDSA-Sig-Value → IEEE P1363 r||s (what WebCrypto verifies), for P-256.
  function derToP1363(der) {
    let o = 0;
    const read = () => { if (der[o++] !== 0x02) throw new Error('bad ECDSA signature'); const n = der[o++]; const v = der.slice(o, o + n); o += n; return v; };
    if (der[o++] !== 0x30) throw new Error('bad ECDSA signature');
    if (der[o] & 0x80) o += 1 + (der[o] & 0x7f); else o += 1;
    const fix = (v) => { while (v.length > 32 && v[0] === 0) v = v.slice(1); if (v.length > 32) throw new Error('bad ECDSA signature'); return concat(new Uint8Array(32 - v.length), v); };
    return concat(fix(read()), fix(read()));
  }

  async function verifyEcdsa(spki, message, der) {
    const key = await crypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    return crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, derToP1363(der), message);
  }

  async function verifyEd25519(spki, message, signature) {
    const key = await crypto.subtle.importKey('spki', spki, { name: 'Ed25519' }, false, ['verify']);
    return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
  }

  const isEd25519 = (spki) => spki.length === 44 && hex(spki.slice(0, 12)) === '302a300506032b6570032100';

  // A note signature's key hash: ECDSA (Rekor v1) the first 4 bytes of SHA-256(SPKI); Ed25519 (C2SP) of
  // SHA-256(name || "\n" || 0x01 || raw key).
  async function keyHint(name, spki) {
    if (isEd25519(spki)) return (await sha256(enc.encode(name + '\n'), Uint8Array.of(1), spki.slice(12))).slice(0, 4);
    return (await sha256(spki)).slice(0, 4);
  }

  function logKeys(root, ct) {
    const list = (ct ? root.ctlogs : root.tlogs) || [];
    return list.filter((l) => l.publicKey && l.publicKey.rawBytes).map((l) => ({ url: l.baseUrl, spki: unb64(l.publicKey.rawBytes) }));
  }

  function step(ok, text) {
    const li = document.createElement('li');
    li.className = ok ? 'ok' : 'fail';
    li.textContent = (ok ? '\u2713 ' : '\u2717 ') + text;
    steps.appendChild(li);
    if (!ok) throw new Error(text);
  }

  async function verify() {
    steps.textContent = '';
    result.className = 'verify pending';
    result.textContent = 'Checking\u2026';
    try {
      const [proofRes, rootRes] = await Promise.all([fetch(section.dataset.proofUrl), fetch(section.dataset.trustedRoot)]);
      if (!proofRes.ok) throw new Error('the explorer could not get the proof (HTTP ' + proofRes.status + ')');
      if (!rootRes.ok) throw new Error('the trusted root could not be read (HTTP ' + rootRes.status + ')');
      const p = await proofRes.json();
      const root = await rootRes.json();
      const leaf = unb64(p.leaf);
      const lh = await leafHash(leaf);
      step(true, 'leaf hash SHA-256(0x00 || entry) = ' + hex(lh));
      const hashes = (p.hashes || []).map(unhex);
      const computed = await rootFromInclusion(p.proofIndex, p.treeSize, lh, hashes);
      step(equal(computed, unhex(p.rootHash)), 'the inclusion proof (' + hashes.length + ' hashes) leads from entry ' + p.proofIndex + ' to root ' + hex(computed) + ' of a tree of ' + p.treeSize);
      if (p.kind === 'Ct') {
        const sth = p.sth;
        const sthRoot = unb64(sth.sha256_root_hash);
        step(Number(sth.tree_size) === p.treeSize && equal(sthRoot, computed), 'the signed tree head names the same size and root');
        const ds = unb64(sth.tree_head_signature);
        if (ds[0] !== 4 || ds[1] !== 3) step(false, 'the tree head signature is not ECDSA with SHA-256');
        const sig = ds.slice(4, 4 + ((ds[2] << 8) | ds[3]));
        const data = new Uint8Array(50);
        const view = new DataView(data.buffer);
        data[0] = 0; data[1] = 1; // v1, tree_hash
        view.setBigUint64(2, BigInt(sth.timestamp));
        view.setBigUint64(10, BigInt(sth.tree_size));
        data.set(sthRoot, 18);
        let signer = null;
        for (const k of logKeys(root, true)) if (await verifyEcdsa(k.spki, data, sig).catch(() => false)) { signer = k; break; }
        step(signer !== null, signer ? 'the tree head is signed by the CT log key of ' + signer.url + ' in the trusted root' : 'no CT log key in the trusted root verifies the tree head signature');
      } else {
        const note = parseNote(p.checkpoint);
        step(note.size === p.treeSize && equal(note.root, computed), 'the checkpoint (' + note.origin + ') names the same size ' + note.size + ' and root');
        let signer = null;
        for (const k of logKeys(root, false)) {
          for (const s of note.signatures) {
            if (!equal(await keyHint(s.name, k.spki), s.hint)) continue;
            const ok = isEd25519(k.spki)
              ? await verifyEd25519(k.spki, enc.encode(note.text), s.signature).catch(() => false)
              : await verifyEcdsa(k.spki, enc.encode(note.text), s.signature).catch(() => false);
            if (ok) { signer = k; break; }
          }
          if (signer) break;
        }
        step(signer !== null, signer ? 'the checkpoint is signed by the log key of ' + signer.url + ' in the trusted root' : 'no log key in the trusted root verifies the checkpoint signature');
      }
      result.className = 'verify ok';
      result.textContent = 'Verified in this browser: the entry is in the log, under a checkpoint signed by a trusted log key.';
    } catch (e) {
      result.className = 'verify fail';
      result.textContent = 'Verification FAILED: ' + (e && e.message ? e.message : String(e));
    }
  }

  button.addEventListener('click', verify);
  verify();
})();
