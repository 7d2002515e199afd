using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>
/// Proof that the requester holds the private key (upstream <c>pkg/server/grpc_server.go</c> and
/// <c>pkg/challenges</c>): either a signature over the principal's name with the requested key, or a PKCS#10 CSR
/// whose self-signature verifies. Both return the key after the key policy (<see cref="ClientKeyPolicy"/>).
/// </summary>
public static class ProofOfPossession
{
    private const string EcdsaWithSha256 = "1.2.840.10045.4.3.2";
    private const string EcdsaWithSha384 = "1.2.840.10045.4.3.3";
    private const string EcdsaWithSha512 = "1.2.840.10045.4.3.4";
    private const string Sha256WithRsa = "1.2.840.113549.1.1.11";
    private const string Sha384WithRsa = "1.2.840.113549.1.1.12";
    private const string Sha512WithRsa = "1.2.840.113549.1.1.13";
    private const string Ed25519 = "1.3.101.112";

    /// <summary>
    /// Parses <paramref name="publicKeyContent"/> (PEM or DER), applies the key policy and verifies
    /// <paramref name="signature"/> over the UTF-8 bytes of one of <see cref="Principal.ChallengeValues"/> (Fulcio
    /// itself checks only <see cref="Principal.Name"/>; clients sign <c>sub</c> or <c>email</c>, reference/fulcio.md §1.1).
    /// </summary>
    /// <exception cref="IssuanceException">The key does not parse or is insecure, or the signature verifies over none of them.</exception>
    public static PublicKey VerifyChallenge(ReadOnlySpan<byte> publicKeyContent, ReadOnlySpan<byte> signature, Principal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var key = ClientKeyPolicy.Parse(publicKeyContent);
        foreach (string value in principal.AcceptedChallenges)
        {
            if (ClientKeyPolicy.Verify(key, Encoding.UTF8.GetBytes(value), signature))
            {
                return key;
            }
        }

        throw new IssuanceException(IssuanceError.InvalidSignature, IssuanceException.Messages.InvalidSignature, "the proof of possession verifies over neither sub nor email");
    }

    /// <summary>
    /// Reads a PKCS#10 CSR (PEM <c>CERTIFICATE REQUEST</c> / <c>NEW CERTIFICATE REQUEST</c>, or DER), applies the key
    /// policy to its key and verifies its self-signature with the hash its signature algorithm names. Subject and
    /// attributes are ignored, as upstream does.
    /// </summary>
    /// <exception cref="IssuanceException">Unparseable CSR, insecure key, disallowed (key, hash) pair, or a bad signature.</exception>
    public static PublicKey VerifyCsr(ReadOnlySpan<byte> csr)
    {
        byte[] der = CsrDer(csr);
        ReadOnlyMemory<byte> info;
        byte[] spki;
        string algorithm;
        byte[] signature;
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.DER);
            var request = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            info = request.ReadEncodedValue();
            var algorithmId = request.ReadSequence();
            algorithm = algorithmId.ReadObjectIdentifier();
            signature = request.ReadBitString(out int unused);
            request.ThrowIfNotEmpty();
            if (unused != 0)
            {
                throw new AsnContentException("signature has unused bits");
            }

            var infoReader = new AsnReader(info, AsnEncodingRules.DER).ReadSequence();
            infoReader.ReadInteger();
            infoReader.ReadEncodedValue(); // subject
            spki = infoReader.ReadEncodedValue().ToArray();
        }
        catch (AsnContentException e)
        {
            throw new IssuanceException(IssuanceError.InvalidCsr, IssuanceException.Messages.InvalidCsr, e.Message, e);
        }

        HashAlgorithmName? hash = algorithm switch
        {
            EcdsaWithSha256 or Sha256WithRsa => HashAlgorithmName.SHA256,
            EcdsaWithSha384 or Sha384WithRsa => HashAlgorithmName.SHA384,
            EcdsaWithSha512 or Sha512WithRsa => HashAlgorithmName.SHA512,
            Ed25519 => null,
            _ => throw new IssuanceException(IssuanceError.InvalidCsr, IssuanceException.Messages.InvalidCsr, $"unsupported CSR signature algorithm {algorithm}"),
        };

        var key = ClientKeyPolicy.FromSubjectPublicKeyInfo(spki);
        var keyAlgorithm = ClientKeyPolicy.AlgorithmOf(key);
        bool keyMatches = algorithm switch
        {
            Ed25519 => keyAlgorithm == SigningAlgorithm.Ed25519,
            Sha256WithRsa or Sha384WithRsa or Sha512WithRsa => keyAlgorithm == SigningAlgorithm.RsaPkcs1v15Sha256,
            _ => keyAlgorithm is SigningAlgorithm.EcdsaP256Sha256 or SigningAlgorithm.EcdsaP384Sha384 or SigningAlgorithm.EcdsaP521Sha512,
        };

        // csr.CheckSignature: the signature algorithm must fit the key, and the signature must verify.
        if (!keyMatches || !ClientKeyPolicy.Verify(key, info.Span, signature, hash))
        {
            throw new IssuanceException(IssuanceError.InvalidSignature, IssuanceException.Messages.InvalidSignature, "the CSR's self-signature does not verify");
        }

        return key;
    }

    private static byte[] CsrDer(ReadOnlySpan<byte> csr)
    {
        string text = Encoding.UTF8.GetString(csr);
        if (!text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            return csr.ToArray();
        }

        try
        {
            var fields = PemEncoding.Find(text);
            string label = text[fields.Label];
            if (label is not ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST"))
            {
                throw new IssuanceException(IssuanceError.InvalidCsr, IssuanceException.Messages.InvalidCsr, $"PEM type {label} is not CERTIFICATE REQUEST");
            }

            return Convert.FromBase64String(text[fields.Base64Data]);
        }
        catch (ArgumentException e)
        {
            throw new IssuanceException(IssuanceError.InvalidCsr, IssuanceException.Messages.InvalidCsr, e.Message, e);
        }
    }
}
