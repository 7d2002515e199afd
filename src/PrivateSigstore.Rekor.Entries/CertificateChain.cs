using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Crypto;
using PublicKey = PrivateSigstore.Core.Crypto.PublicKey;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// Rekor's <c>verifyCertChain</c> (<c>pkg/pki/x509/x509.go</c>): the last certificate is the only root, the
/// ones between are intermediates, and the first must chain to the root under Go's <c>x509.Verify</c> rules
/// with <c>CurrentTime</c> = the leaf's NotBefore and any key usage: issuer/subject names, signatures
/// (no SHA-1/MD5), CA basic constraints and keyCertSign, validity at that time, path-length constraints and
/// no unhandled critical extensions. Name and policy constraints are not evaluated.
/// </summary>
internal static class CertificateChain
{
    // crypto/x509 maxChainSignatureChecks.
    private const int MaxSignatureChecks = 100;

    /// <summary>Returns null when the chain verifies, else Go's error text.</summary>
    public static string? Verify(IReadOnlyList<ParsedCertificate> chain)
    {
        if (chain.Count == 0)
        {
            return "no certificate chain provided";
        }

        if (chain.Count == 1)
        {
            return null;
        }

        var leaf = chain[0];
        var root = chain[^1];
        var intermediates = chain.Skip(1).Take(chain.Count - 2).ToList();
        var now = leaf.NotBeforeUtc;

        var leafError = IsValid(leaf, CertificateRole.Leaf, [], now);
        if (leafError is not null)
        {
            return leafError;
        }

        // opts.Roots.contains(leaf): the leaf itself is the root.
        if (leaf.Der.AsSpan().SequenceEqual(root.Der))
        {
            return null;
        }

        var search = new Search(root, intermediates, now);
        return search.Build([leaf]) ? null : search.Failure();
    }

    private enum CertificateRole
    {
        Leaf,
        Intermediate,
        Root,
    }

    private static string? IsValid(ParsedCertificate certificate, CertificateRole role, IReadOnlyList<ParsedCertificate> currentChain, DateTime now)
    {
        if (certificate.HasUnhandledCriticalExtension)
        {
            return "x509: unhandled critical extension";
        }

        if (now < certificate.NotBeforeUtc)
        {
            return $"x509: certificate has expired or is not yet valid: current time {GoTime(now)} is before {GoTime(certificate.NotBeforeUtc)}";
        }

        if (now > certificate.NotAfterUtc)
        {
            return $"x509: certificate has expired or is not yet valid: current time {GoTime(now)} is after {GoTime(certificate.NotAfterUtc)}";
        }

        if (role == CertificateRole.Intermediate && (!certificate.BasicConstraintsValid || !certificate.IsCa))
        {
            return "x509: certificate is not authorized to sign other certificates";
        }

        if (role != CertificateRole.Leaf && certificate.BasicConstraintsValid && certificate.MaxPathLength >= 0)
        {
            var intermediatesBelow = currentChain.Count - 1;
            if (intermediatesBelow > certificate.MaxPathLength)
            {
                return "x509: too many intermediates for path length constraint";
            }
        }

        return null;
    }

    private static string GoTime(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Go's <c>CheckSignatureFrom</c>: parent may sign certificates, and its key verifies the child's signature.</summary>
    private static string? CheckSignatureFrom(ParsedCertificate child, ParsedCertificate parent)
    {
        if ((parent.Version == 3 && !parent.BasicConstraintsValid) || (parent.BasicConstraintsValid && !parent.IsCa))
        {
            return "x509: invalid signature: parent certificate cannot sign this kind of certificate";
        }

        if (parent.KeyUsage != X509KeyUsageFlags.None && (parent.KeyUsage & X509KeyUsageFlags.KeyCertSign) == 0)
        {
            return "x509: invalid signature: parent certificate cannot sign this kind of certificate";
        }

        return CheckSignature(child.SignatureAlgorithm, child.SignatureParameters, child.Tbs, child.Signature, parent.Key);
    }

    private static string? CheckSignature(string algorithm, byte[]? parameters, byte[] signed, byte[] signature, PublicKey key)
    {
        (PublicKeyType Key, HashAlgorithmName Hash, bool Pss)? scheme = algorithm switch
        {
            "1.2.840.113549.1.1.11" => (PublicKeyType.Rsa, HashAlgorithmName.SHA256, false),
            "1.2.840.113549.1.1.12" => (PublicKeyType.Rsa, HashAlgorithmName.SHA384, false),
            "1.2.840.113549.1.1.13" => (PublicKeyType.Rsa, HashAlgorithmName.SHA512, false),
            "1.2.840.113549.1.1.10" => PssHash(parameters) is { } pssHash ? (PublicKeyType.Rsa, pssHash, true) : null,
            "1.2.840.10045.4.3.2" => (PublicKeyType.Ecdsa, HashAlgorithmName.SHA256, false),
            "1.2.840.10045.4.3.3" => (PublicKeyType.Ecdsa, HashAlgorithmName.SHA384, false),
            "1.2.840.10045.4.3.4" => (PublicKeyType.Ecdsa, HashAlgorithmName.SHA512, false),
            "1.3.101.112" => (PublicKeyType.Ed25519, default, false),
            _ => null,
        };
        if (scheme is null)
        {
            // SHA-1 and MD5 based algorithms are insecure for crypto/x509; anything else is unknown.
            return algorithm is "1.2.840.113549.1.1.5" or "1.2.840.113549.1.1.4" or "1.2.840.10045.4.1"
                ? "x509: cannot verify signature: insecure algorithm"
                : "x509: cannot verify signature: algorithm unimplemented";
        }

        var (keyAlgorithm, hash, pss) = scheme.Value;
        if (keyAlgorithm != key.Type)
        {
            return "x509: signature algorithm specifies a different public key type";
        }

        try
        {
            bool valid;
            switch (keyAlgorithm)
            {
                case PublicKeyType.Rsa:
                    using (var rsa = RSA.Create())
                    {
                        rsa.ImportSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
                        valid = rsa.VerifyData(signed, signature, hash, pss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
                    }

                    break;
                case PublicKeyType.Ecdsa:
                    using (var ecdsa = ECDsa.Create())
                    {
                        ecdsa.ImportSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
                        valid = ecdsa.VerifyData(signed, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
                    }

                    break;
                default:
                    valid = Ed25519.Verify(key.KeyBytes, signed, signature);
                    break;
            }

            return valid ? null : "x509: invalid signature";
        }
        catch (CryptographicException)
        {
            return "x509: invalid signature";
        }
    }

    private static HashAlgorithmName? PssHash(byte[]? parameters)
    {
        // RSASSA-PSS-params: Go accepts SHA-256/384/512 (salt = hash length, MGF1 with the same hash).
        if (parameters is null)
        {
            return null;
        }

        try
        {
            var sequence = new AsnReader(parameters, AsnEncodingRules.DER).ReadSequence();
            if (!sequence.HasData || !sequence.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                return null; // default SHA-1
            }

            var hashAlgorithm = sequence.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence();
            return hashAlgorithm.ReadObjectIdentifier() switch
            {
                "2.16.840.1.101.3.4.2.1" => HashAlgorithmName.SHA256,
                "2.16.840.1.101.3.4.2.2" => HashAlgorithmName.SHA384,
                "2.16.840.1.101.3.4.2.3" => HashAlgorithmName.SHA512,
                _ => null,
            };
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    /// <summary>Go's <c>buildChains</c> over one root and a pool of intermediates.</summary>
    private sealed class Search(ParsedCertificate root, List<ParsedCertificate> intermediates, DateTime now)
    {
        private int _signatureChecks;
        private string? _hintError;
        private ParsedCertificate? _hintCertificate;
        private bool _limitReached;

        public bool Build(List<ParsedCertificate> currentChain)
        {
            var current = currentChain[^1];
            if (Consider(CertificateRole.Root, root, currentChain))
            {
                return true;
            }

            foreach (var candidate in Candidates(current, intermediates))
            {
                if (Consider(CertificateRole.Intermediate, candidate, currentChain))
                {
                    return true;
                }
            }

            return false;
        }

        public string Failure()
        {
            if (_limitReached)
            {
                return "x509: signature check attempts limit reached while verifying certificate chain";
            }

            var message = "x509: certificate signed by unknown authority";
            if (_hintError is not null)
            {
                message += $" (possibly because of \"{_hintError}\" while trying to verify candidate authority certificate \"{_hintCertificate!.DisplayName}\")";
            }

            return message;
        }

        private static IEnumerable<ParsedCertificate> Candidates(ParsedCertificate child, List<ParsedCertificate> pool)
        {
            // findPotentialParents: same subject as the child's issuer; matching key IDs first.
            var named = pool.Where(c => c.RawSubject.AsSpan().SequenceEqual(child.RawIssuer)).ToList();
            return named.OrderBy(c => c.SubjectKeyId.AsSpan().SequenceEqual(child.AuthorityKeyId) ? 0 : (c.SubjectKeyId.Length == 0) != (child.AuthorityKeyId.Length == 0) ? 1 : 2);
        }

        private bool Consider(CertificateRole role, ParsedCertificate candidate, List<ParsedCertificate> currentChain)
        {
            if (_limitReached || !candidate.RawSubject.AsSpan().SequenceEqual(currentChain[^1].RawIssuer))
            {
                return false;
            }

            if (currentChain.Exists(c => c.Der.AsSpan().SequenceEqual(candidate.Der)))
            {
                return false;
            }

            if (++_signatureChecks > MaxSignatureChecks)
            {
                _limitReached = true;
                return false;
            }

            var error = CheckSignatureFrom(currentChain[^1], candidate) ?? IsValid(candidate, role, currentChain, now);
            if (error is not null)
            {
                if (_hintError is null)
                {
                    _hintError = error;
                    _hintCertificate = candidate;
                }

                return false;
            }

            return role == CertificateRole.Root || Build([.. currentChain, candidate]);
        }
    }
}
