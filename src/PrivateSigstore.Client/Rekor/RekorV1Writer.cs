using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Client.Signing;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Dsse;
using PrivateSigstore.Core.Json;
using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Client.Rekor;

/// <summary>
/// Writes Rekor v1 entries (sigstore-js <c>RekorWitness</c>): hashedrekord 0.0.1 for message signatures, dsse 0.0.1 for
/// envelopes, each with the signer's PEM key or certificate; the entry comes back with a SET and an inclusion proof.
/// </summary>
public sealed class RekorV1Writer(RekorClient rekor) : ITransparencyLogWriter
{
    private readonly RekorClient _rekor = rekor ?? throw new ArgumentNullException(nameof(rekor));

    /// <inheritdoc />
    public int MajorApiVersion => 1;

    /// <inheritdoc />
    public Uri BaseUrl => _rekor.BaseUrl;

    /// <inheritdoc />
    public async Task<TransparencyLogEntry> LogMessageSignatureAsync(SignerMaterial signer, HashAlgorithm algorithm, byte[] digest, byte[] signature, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(digest);
        ArgumentNullException.ThrowIfNull(signature);
        var name = algorithm switch
        {
            HashAlgorithm.Sha2_256 => "sha256",
            HashAlgorithm.Sha2_384 => "sha384",
            HashAlgorithm.Sha2_512 => "sha512",
            _ => throw new ArgumentException($"hashedrekord 0.0.1 has no digest {algorithm}", nameof(algorithm)),
        };
        var proposed = new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "hashedrekord",
            ["spec"] = new JsonObject
            {
                ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = name, ["value"] = Convert.ToHexStringLower(digest) } },
                ["signature"] = new JsonObject
                {
                    ["content"] = Convert.ToBase64String(signature),
                    ["publicKey"] = new JsonObject { ["content"] = VerifierPemBase64(signer) },
                },
            },
        };
        var entry = await _rekor.CreateEntryAsync(CanonicalJson.Serialize(proposed), cancellationToken).ConfigureAwait(false);
        return entry.ToTransparencyLogEntry();
    }

    /// <inheritdoc />
    public async Task<TransparencyLogEntry> LogDsseAsync(SignerMaterial signer, DsseEnvelope envelope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(envelope);
        // rekor dsse 0.0.1: the proposed content is the envelope JSON text and the verifiers' PEM, base64.
        var proposed = new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "dsse",
            ["spec"] = new JsonObject
            {
                ["proposedContent"] = new JsonObject
                {
                    ["envelope"] = DsseEnvelopeJson.Serialize(envelope),
                    ["verifiers"] = new JsonArray(VerifierPemBase64(signer)),
                },
            },
        };
        var entry = await _rekor.CreateEntryAsync(Encoding.UTF8.GetBytes(proposed.ToJsonString()), cancellationToken).ConfigureAwait(false);
        return entry.ToTransparencyLogEntry();
    }

    private static string VerifierPemBase64(SignerMaterial signer)
    {
        var pem = signer.CertificateDer is { } cert ? GoPem.EncodeCertificates([cert]) : GoPem.EncodePublicKey(signer.Key.SubjectPublicKeyInfo);
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(pem));
    }
}
