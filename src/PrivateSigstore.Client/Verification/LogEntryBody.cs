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

    private static PemBlock DecodePem(byte[] pem)
    {
        var blocks = GoPem.DecodeAll(System.Text.Encoding.UTF8.GetString(pem));
        return blocks.Count > 0 ? blocks[0] : throw new FormatException("entry verifier holds no PEM block");
    }
}
