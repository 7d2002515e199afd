using System.Collections.Concurrent;
using System.Security.Cryptography;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Ct;

namespace PrivateSigstore.CtLog;

/// <summary>
/// What the log accepts (RFC 6962 §3.1, ctfe handlers.go / chain_validation.go): a chain in which every certificate is
/// signed by the next, ending in (or issued by) a configured root; a leaf with an allowed EKU; a poisoned leaf for
/// add-pre-chain and an unpoisoned one for add-chain. Certificates are read with Core's <see cref="DerCertificate"/>
/// and issuer keys are imported once and cached (the intermediates repeat on every submission), and a verified CA link is remembered, which
/// keeps a check to one signature verification (the leaf's) and a few microseconds of parsing.
/// </summary>
public sealed class CtChainPolicy
{
    private const string AnyEku = "2.5.29.37.0";
    private const string PrecertSigningEku = "1.3.6.1.4.1.11129.2.4.4";
    private const int MaxCachedKeys = 1024;
    private readonly List<DerCertificate> _roots;
    private readonly HashSet<string> _allowedEkus;
    private readonly int _maxChainLength;
    private readonly ConcurrentDictionary<string, AsymmetricAlgorithm> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _verifiedLinks = new(StringComparer.Ordinal);

    /// <summary>Creates the policy over the trusted roots (DER).</summary>
    /// <exception cref="ArgumentException">A root is not a strict-DER certificate.</exception>
    public CtChainPolicy(IEnumerable<byte[]> rootsDer, IEnumerable<string> allowedEkus, int maxChainLength)
    {
        ArgumentNullException.ThrowIfNull(rootsDer);
        ArgumentNullException.ThrowIfNull(allowedEkus);
        try
        {
            _roots = [.. rootsDer.Select(DerCertificate.Parse)];
        }
        catch (WireFormatException ex)
        {
            throw new ArgumentException($"a trusted root is not a DER certificate: {ex.Reason}", nameof(rootsDer), ex);
        }
        Roots = [.. _roots.Select(r => r.Der)];
        _allowedEkus = [.. allowedEkus];
        _maxChainLength = maxChainLength;
    }

    /// <summary>The trusted roots, DER, in configuration order (get-roots).</summary>
    public IReadOnlyList<byte[]> Roots { get; }

    /// <summary>Reads the certificates of a PEM bundle (ctfe --roots_pem_file); non-certificate blocks are an error.</summary>
    public static IReadOnlyList<byte[]> ParsePemBundle(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var roots = new List<byte[]>();
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label];
            if (!label.SequenceEqual("CERTIFICATE")) throw new ArgumentException($"the roots PEM holds a {label} block; only CERTIFICATE blocks are allowed");
            roots.Add(Convert.FromBase64String(rest[fields.Base64Data].ToString()));
            rest = rest[fields.Location.End.Value..];
        }
        return roots;
    }

    /// <summary>Checks a submitted chain (leaf first) and builds the entry to log.</summary>
    /// <exception cref="CtSubmissionException">The chain is refused; the message says why.</exception>
    public AcceptedChain Accept(IReadOnlyList<byte[]> submitted, bool precert)
    {
        ArgumentNullException.ThrowIfNull(submitted);
        // RFC 6962 §4.1: the chain holds at least the leaf; ours is bounded.
        if (submitted.Count == 0) throw new CtSubmissionException("chain is empty");
        if (submitted.Count > _maxChainLength) throw new CtSubmissionException($"chain has {submitted.Count} certificates; at most {_maxChainLength} are accepted");
        var certs = new List<DerCertificate>(submitted.Count + 1);
        for (var i = 0; i < submitted.Count; i++) certs.Add(Parse(submitted[i], i));

        // Each certificate is signed by the next one, which must be a CA (RFC 5280 §6.1 path rules, as x509.Verify).
        for (var i = 0; i + 1 < certs.Count; i++)
        {
            if (!(i > 0 ? IssuedByCached(certs[i], certs[i + 1]) : IssuedBy(certs[i], certs[i + 1]))) throw new CtSubmissionException($"certificate {i} in the chain is not signed by certificate {i + 1}");
        }

        // The chain ends in a trusted root, or its last certificate is issued by one (which is then appended, as ctfe does).
        var last = certs[^1];
        if (!_roots.Any(r => r.Der.AsSpan().SequenceEqual(last.Der)))
        {
            var root = _roots.FirstOrDefault(r => IssuedByCached(last, r))
                ?? throw new CtSubmissionException("chain does not end in (or chain to) a trusted root");
            certs.Add(root);
        }

        var leaf = certs[0];
        CheckExtKeyUsage(leaf);
        var chain = certs.Select(c => c.Der).ToList();
        var poison = leaf.Extension(SigstoreOids.CtPoison);
        if (!precert)
        {
            // add-chain takes final certificates only (RFC 6962 §4.1).
            if (poison is not null) throw new CtSubmissionException("add-chain: the leaf is a precertificate (it carries the CT poison extension); use add-pre-chain");
            return new AcceptedChain(CtLogEntryType.X509, chain[0], null, CtExtraData.ForX509([.. chain.Skip(1)]), chain);
        }

        // add-pre-chain: the leaf carries the critical poison extension (RFC 6962 §3.1).
        if (poison is null) throw new CtSubmissionException("add-pre-chain: the leaf has no CT poison extension (1.3.6.1.4.1.11129.2.4.3); use add-chain");
        if (!poison.Critical) throw new CtSubmissionException("add-pre-chain: the CT poison extension must be critical");
        if (certs.Count < 2) throw new CtSubmissionException("add-pre-chain: the precertificate's issuer is missing");
        // A Precertificate Signing Certificate would require rewriting the TBS issuer (RFC 6962 §3.1); Fulcio signs
        // precertificates with the issuing CA itself, so such chains are refused rather than half supported.
        if (Ekus(certs[1]) is { } issuerEkus && issuerEkus.Contains(PrecertSigningEku)) throw new CtSubmissionException("add-pre-chain: precertificate signing certificates are not supported; sign the precertificate with the issuing CA");
        byte[] tbs;
        try
        {
            tbs = Precertificate.GetTbsWithoutPoison(chain[0]);
        }
        catch (WireFormatException ex)
        {
            throw new CtSubmissionException($"add-pre-chain: cannot remove the poison extension: {ex.Reason}");
        }
        var issuerKeyHash = SHA256.HashData(certs[1].SubjectPublicKeyInfo);
        return new AcceptedChain(CtLogEntryType.Precert, tbs, issuerKeyHash, CtExtraData.ForPrecert(chain[0], [.. chain.Skip(1)]), chain);
    }

    private static DerCertificate Parse(byte[] der, int position)
    {
        try
        {
            // Strict DER at every depth: the clients that verify SCTs re-parse these bytes with DER-only parsers.
            return DerCertificate.Parse(der);
        }
        catch (WireFormatException)
        {
            throw new CtSubmissionException($"certificate {position} in the chain is not a valid DER X.509 certificate");
        }
    }

    /// <summary>
    /// <see cref="IssuedBy"/> for CA certificates, remembered: the same intermediate → root link arrives with every
    /// submission, so its signature is checked once (only successes are kept; the key is both certificates' hashes).
    /// </summary>
    private bool IssuedByCached(DerCertificate cert, DerCertificate issuer)
    {
        Span<byte> both = stackalloc byte[64];
        SHA256.HashData(cert.Der, both[..32]);
        SHA256.HashData(issuer.Der, both[32..]);
        var id = Convert.ToBase64String(both);
        if (_verifiedLinks.ContainsKey(id)) return true;
        if (!IssuedBy(cert, issuer)) return false;
        if (_verifiedLinks.Count >= MaxCachedKeys) _verifiedLinks.Clear();
        _verifiedLinks.TryAdd(id, true);
        return true;
    }

    private bool IssuedBy(DerCertificate cert, DerCertificate issuer)
    {
        if (!cert.Issuer.Span.SequenceEqual(issuer.Subject.Span)) return false;
        try
        {
            // The issuer must be a CA (RFC 5280 §4.2.1.9); a v1 root without extensions is accepted as Go's x509 does.
            if (issuer.IsCertificateAuthority() == false) return false;
            return cert.SignatureAlgorithm switch
            {
                "1.2.840.10045.4.3.2" => VerifyEcdsa(issuer, cert, HashAlgorithmName.SHA256),
                "1.2.840.10045.4.3.3" => VerifyEcdsa(issuer, cert, HashAlgorithmName.SHA384),
                "1.2.840.10045.4.3.4" => VerifyEcdsa(issuer, cert, HashAlgorithmName.SHA512),
                "1.2.840.113549.1.1.11" => VerifyRsa(issuer, cert, HashAlgorithmName.SHA256),
                "1.2.840.113549.1.1.12" => VerifyRsa(issuer, cert, HashAlgorithmName.SHA384),
                "1.2.840.113549.1.1.13" => VerifyRsa(issuer, cert, HashAlgorithmName.SHA512),
                _ => false,
            };
        }
        catch (Exception ex) when (ex is WireFormatException or CryptographicException)
        {
            return false;
        }
    }

    private bool VerifyEcdsa(DerCertificate issuer, DerCertificate cert, HashAlgorithmName hash) =>
        Key(issuer, "ec:", static spki =>
        {
            var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(spki, out _);
            return key;
        }) is ECDsa ec && ec.VerifyData(cert.Tbs.Span, cert.Signature, hash, DSASignatureFormat.Rfc3279DerSequence);

    private bool VerifyRsa(DerCertificate issuer, DerCertificate cert, HashAlgorithmName hash) =>
        Key(issuer, "rsa:", static spki =>
        {
            var key = RSA.Create();
            key.ImportSubjectPublicKeyInfo(spki, out _);
            return key;
        }) is RSA rsa && rsa.VerifyData(cert.Tbs.Span, cert.Signature, hash, RSASignaturePadding.Pkcs1);

    /// <summary>The issuer's public key, imported once (bounded cache; a key that does not import throws CryptographicException).</summary>
    private AsymmetricAlgorithm Key(DerCertificate issuer, string kind, Func<byte[], AsymmetricAlgorithm> import)
    {
        var id = kind + Convert.ToBase64String(issuer.SubjectPublicKeyInfo);
        if (_keys.TryGetValue(id, out var key)) return key;
        key = import(issuer.SubjectPublicKeyInfo);
        // Keys of unknown chains are not kept for ever: a full cache starts over (the configured CAs are re-imported at once).
        if (_keys.Count >= MaxCachedKeys) _keys.Clear();
        return _keys.GetOrAdd(id, key);
    }

    private void CheckExtKeyUsage(DerCertificate leaf)
    {
        if (_allowedEkus.Count == 0) return;
        var ekus = Ekus(leaf);
        // No EKU extension means any usage, and anyExtendedKeyUsage matches every usage (Go x509.Verify KeyUsages, as ctfe).
        if (ekus is null || ekus.Contains(AnyEku) || ekus.Any(_allowedEkus.Contains)) return;
        throw new CtSubmissionException($"the leaf's extended key usages ({string.Join(", ", ekus)}) include none of the accepted ones ({string.Join(", ", _allowedEkus)})");
    }

    private static IReadOnlyList<string>? Ekus(DerCertificate cert)
    {
        try
        {
            return cert.ExtendedKeyUsages();
        }
        catch (WireFormatException ex)
        {
            throw new CtSubmissionException($"a certificate's extended key usage extension is malformed: {ex.Reason}");
        }
    }
}
