#!/usr/bin/env python3
"""Builds fuzz/corpus/<target>/ from real bytes in the repository's test data (bundles, trusted roots, signing
configs, keys, upstream Rekor bodies, sigstore-js's TUF seed root) plus a few inputs made here with openssl
(RFC 3161 requests) or by re-framing the real bytes (JWTs, add-checkpoint bodies, Rekor v2 requests).
Re-running it rewrites the same files except the RFC 3161 requests (openssl picks random nonces). Usage: fuzz/make-corpus.py [OUTDIR]"""
import base64, glob, hashlib, json, os, subprocess, sys, tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "fuzz", "corpus")
MAX_FILE = 16 * 1024  # AFL++ works best on small seeds; larger ones are skipped
seeds = {}

def add(target, data, cap=24):
    if isinstance(data, str):
        data = data.encode()
    if not data or len(data) > MAX_FILE:
        return
    s = seeds.setdefault(target, {})
    if len(s) < cap:
        s.setdefault(hashlib.sha256(data).hexdigest()[:16], data)

def files(*patterns):
    found = set()
    for p in patterns:
        found.update(glob.glob(os.path.join(root, p), recursive=True))
    return sorted(f for f in found if "node_modules" not in f and "/bin/" not in f and "/obj/" not in f)

def b64(s):
    return base64.b64decode(s + "=" * (-len(s) % 4))

def sct_list(der):
    # The embedded-SCT extension: OID 1.3.6.1.4.1.11129.2.4.2, [critical], OCTET STRING { OCTET STRING { TLS list } }.
    oid = bytes.fromhex("060a2b06010401d679020402")
    i = der.find(oid)
    if i < 0:
        return None
    j = i + len(oid)
    def tlv(p):
        tag, l = der[p], der[p + 1]
        p += 2
        if l & 0x80:
            n = l & 0x7F
            l = int.from_bytes(der[p:p + n], "big")
            p += n
        return tag, p, l
    tag, p, l = tlv(j)
    if tag == 0x01:
        tag, p, l = tlv(p + l)
    tag, p, l = tlv(p)  # inner OCTET STRING
    return der[p:p + l]

certs, chains, envelopes, checkpoints, v1bodies, hashes = [], [], [], [], [], []
for f in files("tests/*/testdata/**/*.sigstore.json", "tests/*/testdata/**/bundle.sigstore.json", "tests/*/testdata/**/model.sig"):
    raw = open(f, "rb").read()
    add("bundle", raw, cap=30)
    try:
        b = json.loads(raw)
    except ValueError:
        continue
    vm = b.get("verificationMaterial") or {}
    chain = [c.get("rawBytes") for c in (vm.get("x509CertificateChain") or {}).get("certificates", [])]
    if vm.get("certificate"):
        chain = [vm["certificate"].get("rawBytes")]
    chain = [c for c in chain if isinstance(c, str)]
    if chain:
        chains.append(chain)
        certs.extend(chain)
    if b.get("dsseEnvelope"):
        envelopes.append(b["dsseEnvelope"])
    for e in vm.get("tlogEntries") or []:
        body = e.get("canonicalizedBody")
        if body and e.get("kindVersion", {}).get("version", "").startswith("0.0.1") or body and "0.0.2" == e.get("kindVersion", {}).get("version") and e["kindVersion"].get("kind") == "intoto":
            v1bodies.append(b64(body))
        proof = e.get("inclusionProof") or {}
        if (proof.get("checkpoint") or {}).get("envelope"):
            checkpoints.append((proof["checkpoint"]["envelope"], proof.get("hashes") or []))
        hashes.extend(proof.get("hashes") or [])

for f in files("tests/*/testdata/**/*trusted_root*.json", "tests/*/testdata/**/*client_trust_config*.json"):
    raw = open(f, "rb").read()
    add("trusted-root", raw)
    try:
        for ca in json.loads(raw).get("certificateAuthorities", []):
            for c in (ca.get("certChain") or {}).get("certificates", []):
                certs.append(c["rawBytes"])
    except (ValueError, AttributeError, KeyError):
        pass
for f in files("tests/*/testdata/**/*signing_config*.json", "tests/*/testdata/**/*signingconfig*.json"):
    add("signing-config", open(f, "rb").read())

for c in certs:
    der = base64.b64decode(c)
    add("certificate", der)
    sl = sct_list(der)
    if sl:
        add("sct", sl)
        # the first SCT of the list on its own (uint16 list length, uint16 SCT length, SCT)
        n = int.from_bytes(sl[2:4], "big")
        add("sct", sl[4:4 + n])
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(c[i:i + 64] for i in range(0, len(c), 64)) + "\n-----END CERTIFICATE-----\n"
    add("pem", pem)
for chain in chains:
    add("ct-add-chain", json.dumps({"chain": chain}))
for f in files("tests/*/testdata/**/*.pem", "tests/*/testdata/**/*.pub"):
    add("pem", open(f, "rb").read())

for env in envelopes:
    add("dsse", json.dumps(env))
for body in v1bodies:
    add("rekor-v1", body)
cases = os.path.join(root, "tests/PrivateSigstore.Rekor.Entries.Tests/testdata/rekor-entries")
for f in files("tests/PrivateSigstore.Rekor.Entries.Tests/testdata/rekor-entries/*.rekor-bundle.json"):
    try:
        add("rekor-v1", b64(json.load(open(f))["Payload"]["body"]))
    except (KeyError, ValueError):
        pass
v2 = json.load(open(os.path.join(root, "tests/PrivateSigstore.Rekor.Entries.Tests/testdata/v2/upstream-v2-bodies.json")))
for item in v2:
    body = json.loads(b64(item["canonicalizedBody"]))
    spec = body.get("spec", {})
    if "hashedRekordV002" in spec:
        h = spec["hashedRekordV002"]
        add("rekor-v2", json.dumps({"hashedRekordRequestV002": {"digest": h["data"]["digest"], "signature": h["signature"]}}))
    if "dsseV002" in spec:
        d = spec["dsseV002"]
        for env in envelopes[:2]:
            add("rekor-v2", json.dumps({"dsseRequestV002": {"envelope": env, "verifiers": [s["verifier"] for s in d.get("signatures", [])]}}))
    add("rekor-v1", b64(item["canonicalizedBody"]))  # stored v2 bodies are also read by ReadKind

for note, proof in checkpoints:
    add("checkpoint", note)
    add("add-checkpoint", "old 0\n\n" + note)
    add("add-checkpoint", "old 1\n" + "".join(h + "\n" for h in proof) + "\n" + note)

seed = json.load(open(os.path.join(root, "tests/interop/node_modules/@sigstore/tuf/seeds.json")))
for repo in seed.values():
    r = b64(repo["root.json"])
    add("tuf", r)
    meta = {"length": 1, "hashes": {"sha256": "00" * 32}, "version": 1}
    sig = json.loads(r)["signatures"][:1]
    for t in ({"_type": "timestamp", "spec_version": "1.0", "version": 1, "expires": "2030-01-01T00:00:00Z", "meta": {"snapshot.json": meta}},
              {"_type": "snapshot", "spec_version": "1.0", "version": 1, "expires": "2030-01-01T00:00:00Z", "meta": {"targets.json": {"version": 1}}},
              {"_type": "targets", "spec_version": "1.0", "version": 1, "expires": "2030-01-01T00:00:00Z",
               "targets": {"trusted_root.json": {"length": 1, "hashes": {"sha256": "00" * 32}, "custom": {"sigstore": {"status": "Active"}}}}}):
        add("tuf", json.dumps({"signatures": sig, "signed": t}, indent=1))

def jwt(header, payload, sig=b"\x01" * 64):
    e = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    return e(json.dumps(header).encode()) + "." + e(json.dumps(payload).encode()) + "." + e(sig)
claims = {"iss": "http://127.0.0.1:9", "aud": "sigstore", "sub": "user-123", "email": "alice@example.com",
          "email_verified": True, "iat": 1700000000, "exp": 1700000600, "nbf": 1700000000}
for alg in ("ES256", "RS256", "EdDSA", "none", "PS384"):
    add("jwt", jwt({"alg": alg, "kid": "k1", "typ": "JWT"}, claims))
add("jwt", jwt({"alg": "ES256"}, dict(claims, iss="https://accounts.example.com", aud=["sigstore", "x"])))
add("jwt", jwt({"alg": "ES256"}, dict(claims, email_verified="true", exp=1e30)))

with tempfile.TemporaryDirectory() as tmp:
    data = os.path.join(tmp, "data")
    open(data, "wb").write(b"hello fuzz\n")
    for extra in (["-sha256", "-cert"], ["-sha384", "-no_nonce"], ["-sha512", "-cert", "-tspolicy", "1.3.6.1.4.1.57264.2"], ["-sha1"]):
        q = os.path.join(tmp, "q.tsq")
        subprocess.run(["openssl", "ts", "-query", "-data", data, "-out", q] + extra, check=True, capture_output=True)
        add("timestamp-request", open(q, "rb").read())
    digest = hashlib.sha256(b"hello fuzz\n").digest()
    add("timestamp-request", json.dumps({"artifactHash": base64.b64encode(digest).decode(), "hashAlgorithm": "sha256",
                                          "certificates": True, "nonce": 42, "tsaPolicyOID": "1.3.6.1.4.1.57264.2"}))

for target, items in sorted(seeds.items()):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    for name, data in sorted(items.items()):
        open(os.path.join(d, name), "wb").write(data)
    print(f"{target}: {len(items)} seeds")
