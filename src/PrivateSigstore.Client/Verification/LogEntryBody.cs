using System.Text.Json;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Client.Verification;

/// <summary>
/// What a Rekor v1 canonical body says about the signature it records (sigstore-go <c>tlog.Entry</c>
/// <c>Signature</c>, <c>PublicKey</c>, <c>GetHashedRekordDigest</c>, <c>GetDssePayloadHash</c>): hashedrekord 0.0.1,
/// dsse 0.0.1 and intoto 0.0.2.
/// </summary>
internal sealed record LogEntryBody(string Kind, string ApiVersion, byte[] Signature, PemBlock Verifier, string DigestAlgorithm, byte[] Digest)
{
    /// <summary>True for kinds whose digest is the DSSE payload's (dsse, intoto).</summary>
    public bool IsDsse => Kind is "dsse" or "intoto";

    public static LogEntryBody Parse(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
            var root = document.RootElement;
            var kind = root.GetProperty("kind").GetString() ?? "";
            var apiVersion = root.GetProperty("apiVersion").GetString() ?? "";
            var spec = root.GetProperty("spec");
            return (kind, apiVersion) switch
            {
                ("hashedrekord", "0.0.1") => HashedRekord(spec),
                ("dsse", "0.0.1") => Dsse(spec),
                ("intoto", "0.0.2") => Intoto(spec),
                ("hashedrekord", "0.0.2") => HashedRekordV2(spec.GetProperty("hashedRekordV002")),
                ("dsse", "0.0.2") => DsseV2(spec.GetProperty("dsseV002")),
                _ => throw new VerificationException(VerificationStep.TransparencyLog, $"unsupported entry kind {kind} {apiVersion}"),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or WireFormatException)
        {
            throw new VerificationException(VerificationStep.TransparencyLog, $"malformed entry body: {e.Message}", e);
        }
    }

    private static LogEntryBody HashedRekord(JsonElement spec)
    {
        var signature = spec.GetProperty("signature");
        var hash = spec.GetProperty("data").GetProperty("hash");
        return new LogEntryBody("hashedrekord", "0.0.1",
            signature.GetProperty("content").GetBytesFromBase64(),
            DecodePem(signature.GetProperty("publicKey").GetProperty("content").GetBytesFromBase64()),
            hash.GetProperty("algorithm").GetString() ?? "",
            Convert.FromHexString(hash.GetProperty("value").GetString() ?? ""));
    }

    private static LogEntryBody Dsse(JsonElement spec)
    {
        var first = spec.GetProperty("signatures")[0];
        var payloadHash = spec.GetProperty("payloadHash");
        return new LogEntryBody("dsse", "0.0.1",
            first.GetProperty("signature").GetBytesFromBase64(),
            DecodePem(first.GetProperty("verifier").GetBytesFromBase64()),
            payloadHash.GetProperty("algorithm").GetString() ?? "",
            Convert.FromHexString(payloadHash.GetProperty("value").GetString() ?? ""));
    }

    private static LogEntryBody Intoto(JsonElement spec)
    {
        // intoto 0.0.2 stores the envelope's signature base64-encoded once more, and the key as base64 PEM.
        var content = spec.GetProperty("content");
        var first = content.GetProperty("envelope").GetProperty("signatures")[0];
        var payloadHash = content.GetProperty("payloadHash");
        var sigText = System.Text.Encoding.ASCII.GetString(first.GetProperty("sig").GetBytesFromBase64());
        return new LogEntryBody("intoto", "0.0.2",
            Convert.FromBase64String(sigText),
            DecodePem(first.GetProperty("publicKey").GetBytesFromBase64()),
            payloadHash.GetProperty("algorithm").GetString() ?? "",
            Convert.FromHexString(payloadHash.GetProperty("value").GetString() ?? ""));
    }

    // Rekor v2 bodies are proto-JSON Entry messages (rekor-tiles): bytes base64, enums by name, DER keys and certificates.
    private static LogEntryBody HashedRekordV2(JsonElement spec)
    {
        var signature = spec.GetProperty("signature");
        var data = spec.GetProperty("data");
        return new LogEntryBody("hashedrekord", "0.0.2", signature.GetProperty("content").GetBytesFromBase64(),
            VerifierV2(signature.GetProperty("verifier")), DigestName(data.GetProperty("algorithm").GetString()), data.GetProperty("digest").GetBytesFromBase64());
    }

    private static LogEntryBody DsseV2(JsonElement spec)
    {
        var first = spec.GetProperty("signatures")[0];
        var payloadHash = spec.GetProperty("payloadHash");
        return new LogEntryBody("dsse", "0.0.2", first.GetProperty("content").GetBytesFromBase64(),
            VerifierV2(first.GetProperty("verifier")), DigestName(payloadHash.GetProperty("algorithm").GetString()), payloadHash.GetProperty("digest").GetBytesFromBase64());
    }

    private static PemBlock VerifierV2(JsonElement verifier) =>
        verifier.TryGetProperty("x509Certificate", out var certificate)
            ? new PemBlock(GoPem.CertificateType, certificate.GetProperty("rawBytes").GetBytesFromBase64())
            : new PemBlock(GoPem.PublicKeyType, verifier.GetProperty("publicKey").GetProperty("rawBytes").GetBytesFromBase64());

    private static string DigestName(string? protoName) => protoName switch
    {
        "SHA2_256" => "sha256",
        "SHA2_384" => "sha384",
        "SHA2_512" => "sha512",
        _ => protoName ?? "",
    };

    private static PemBlock DecodePem(byte[] pem)
    {
        var blocks = GoPem.DecodeAll(System.Text.Encoding.UTF8.GetString(pem));
        return blocks.Count > 0 ? blocks[0] : throw new FormatException("entry verifier holds no PEM block");
    }
}
