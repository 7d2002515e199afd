using System.Text;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// Rekor's x509 public key (<c>pkg/pki/x509/x509.go NewPublicKey</c>): PEM text holding a <c>PUBLIC KEY</c>,
/// a <c>CERTIFICATE</c>, or — when anything follows the first block — a chain of up to 10 certificates.
/// Its canonical form (<c>CanonicalValue</c>) is the Go re-encoding of the key or certificates.
/// </summary>
internal sealed class RekorPublicKey
{
    private RekorPublicKey(PublicKey? key, IReadOnlyList<ParsedCertificate> certificates, bool isChain)
    {
        PlainKey = key;
        Certificates = certificates;
        IsChain = isChain;
    }

    /// <summary>The key of a <c>PUBLIC KEY</c> block, or null for certificates.</summary>
    public PublicKey? PlainKey { get; }

    /// <summary>The certificates (one for a single certificate, leaf first for a chain); empty for a plain key.</summary>
    public IReadOnlyList<ParsedCertificate> Certificates { get; }

    /// <summary>Whether the input held more than one block (upstream's <c>certs</c> case).</summary>
    public bool IsChain { get; }

    /// <summary><c>CryptoPubKey()</c>: the plain key, or the (leaf) certificate's key.</summary>
    public PublicKey Key => PlainKey ?? Certificates[0].Key;

    /// <summary><c>Subjects()</c>: the leaf certificate's SAN values, none for a plain key.</summary>
    public IReadOnlyList<string> Subjects => Certificates.Count > 0 ? Certificates[0].Subjects : [];

    /// <summary>
    /// Parses PEM bytes as <c>x509.NewPublicKey</c> does; throws <see cref="EntryFailure"/> with upstream's
    /// messages (<c>invalid public key: failure decoding PEM</c>, <c>too many certificates specified in PEM block</c>, …).
    /// </summary>
    public static RekorPublicKey Parse(ReadOnlySpan<byte> pem, int maxChain)
    {
        // Go works on bytes; Latin-1 maps each byte to one char so offsets and base64 text survive.
        var trimmed = GoPemBlocks.TrimSpace(Encoding.Latin1.GetString(pem));
        var block = GoPemBlocks.Decode(trimmed, out var rest) ?? throw new EntryFailure("invalid public key: failure decoding PEM", FailureStage.Processing);

        if (rest.Length > 0)
        {
            // cryptoutils.UnmarshalCertificatesFromPEMLimited(trimmed, 10): every block is parsed as a certificate.
            var certificates = new List<ParsedCertificate>();
            var remaining = trimmed;
            while (remaining.Length > 0)
            {
                if (certificates.Count == maxChain)
                {
                    throw new EntryFailure("too many certificates specified in PEM block", FailureStage.Processing);
                }

                var next = GoPemBlocks.Decode(remaining, out remaining) ?? throw new EntryFailure("error during PEM decoding", FailureStage.Processing);
                certificates.Add(ParsedCertificate.Parse(next.Bytes));
            }

            return new RekorPublicKey(null, certificates, isChain: true);
        }

        return block.Type switch
        {
            GoPem.PublicKeyType => new RekorPublicKey(SigstoreVerifier.Parse(block.Bytes), [], isChain: false),
            GoPem.CertificateType => new RekorPublicKey(null, [ParsedCertificate.Parse(block.Bytes)], isChain: false),
            _ => throw new EntryFailure($"invalid public key: cannot handle type {block.Type}", FailureStage.Processing),
        };
    }

    /// <summary><c>CanonicalValue()</c>: <c>MarshalPublicKeyToPEM</c>, <c>MarshalCertificateToPEM</c> or <c>MarshalCertificatesToPEM</c>, as Go writes PEM.</summary>
    public byte[] CanonicalPem()
    {
        var text = PlainKey is not null
            ? GoPem.EncodePublicKey(PlainKey.SubjectPublicKeyInfo)
            : GoPem.EncodeCertificates(Certificates.Select(c => c.Der));
        return Encoding.ASCII.GetBytes(text);
    }

    /// <summary>Rekor's <c>Signature.Verify</c> key selection: a chain must verify (<c>verifyCertChain</c>) before its leaf key is used.</summary>
    public string? VerifyChain() => IsChain ? CertificateChain.Verify(Certificates) : null;
}
