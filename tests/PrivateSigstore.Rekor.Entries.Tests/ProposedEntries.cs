using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Dsse;

namespace PrivateSigstore.Rekor.Entries.Tests;

/// <summary>Builds proposed Rekor v1 entries the way clients send them (sigstore-go, sigstore-js, cosign).</summary>
internal static class ProposedEntries
{
    public static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    public static JsonObject HashedRekord(byte[] signature, string pem, string algorithm, string digestHex) => new()
    {
        ["apiVersion"] = "0.0.1",
        ["kind"] = "hashedrekord",
        ["spec"] = new JsonObject
        {
            ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = algorithm, ["value"] = digestHex } },
            ["signature"] = new JsonObject
            {
                ["content"] = Convert.ToBase64String(signature),
                ["publicKey"] = new JsonObject { ["content"] = Base64(pem) },
            },
        },
    };

    public static JsonObject Dsse(string envelopeJson, params string[] verifierPems)
    {
        var verifiers = new JsonArray();
        foreach (var pem in verifierPems)
        {
            verifiers.Add(Base64(pem));
        }

        return new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "dsse",
            ["spec"] = new JsonObject { ["proposedContent"] = new JsonObject { ["envelope"] = envelopeJson, ["verifiers"] = verifiers } },
        };
    }

    /// <summary>
    /// intoto 0.0.2 as sigstore-js sends it: payload and signatures double base64, each signature with its PEM;
    /// <paramref name="hash"/> null computes sigstore-js's client hash.
    /// </summary>
    public static JsonObject IntotoV002(string payloadType, string payloadBase64, IReadOnlyList<(string Sig, string Pem, string KeyId)> signatures, string? hash = null, string? payloadHash = null)
    {
        var list = new JsonArray();
        foreach (var (sig, pem, keyId) in signatures)
        {
            var item = new JsonObject { ["sig"] = Base64(sig), ["publicKey"] = Base64(pem) };
            if (keyId.Length > 0)
            {
                item["keyid"] = keyId;
            }

            list.Add(item);
        }

        var content = new JsonObject
        {
            ["envelope"] = new JsonObject { ["payloadType"] = payloadType, ["payload"] = Base64(payloadBase64), ["signatures"] = list },
            ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = hash ?? SigstoreJsHash(payloadType, payloadBase64, signatures) },
        };
        if (payloadHash is not null)
        {
            content["payloadHash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = payloadHash };
        }

        return new JsonObject { ["apiVersion"] = "0.0.2", ["kind"] = "intoto", ["spec"] = new JsonObject { ["content"] = content } };
    }

    public static JsonObject IntotoV001(string envelopeJson, string pem) => new()
    {
        ["apiVersion"] = "0.0.1",
        ["kind"] = "intoto",
        ["spec"] = new JsonObject { ["content"] = new JsonObject { ["envelope"] = envelopeJson }, ["publicKey"] = Base64(pem) },
    };

    /// <summary>sigstore-js <c>toProposedIntotoEntry</c>'s hash: SHA-256 of the canonical JSON of the single-base64 envelope with PEM keys.</summary>
    public static string SigstoreJsHash(string payloadType, string payloadBase64, IReadOnlyList<(string Sig, string Pem, string KeyId)> signatures)
    {
        var list = new JsonArray();
        foreach (var (sig, pem, keyId) in signatures)
        {
            var item = new JsonObject { ["sig"] = sig, ["publicKey"] = pem };
            if (keyId.Length > 0)
            {
                item["keyid"] = keyId;
            }

            list.Add(item);
        }

        var canonical = PrivateSigstore.Core.Json.CanonicalJson.Serialize(new JsonObject { ["payloadType"] = payloadType, ["payload"] = payloadBase64, ["signatures"] = list });
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(canonical));
    }

    /// <summary>The compact envelope JSON clients send: payload, payloadType, signatures (sig, then keyid when asked for).</summary>
    public static string EnvelopeJson(string payloadType, byte[] payload, IEnumerable<(byte[] Sig, string? KeyId)> signatures)
    {
        var list = new JsonArray();
        foreach (var (sig, keyId) in signatures)
        {
            var item = new JsonObject { ["sig"] = Convert.ToBase64String(sig) };
            if (keyId is not null)
            {
                item["keyid"] = keyId;
            }

            list.Add(item);
        }

        return new JsonObject { ["payload"] = Convert.ToBase64String(payload), ["payloadType"] = payloadType, ["signatures"] = list }
            .ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public static byte[] Pae(string payloadType, byte[] payload) => DsseEnvelope.PreAuthenticationEncoding(payloadType, payload);

    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>PEM the way some non-Go clients write it: CRLF line ends, 76-character lines, no final line break.</summary>
    public static string UnusualPem(string type, byte[] der)
    {
        var base64 = Convert.ToBase64String(der);
        var text = new StringBuilder().Append("-----BEGIN ").Append(type).Append("-----\r\n");
        for (var i = 0; i < base64.Length; i += 76)
        {
            text.Append(base64, i, Math.Min(76, base64.Length - i)).Append("\r\n");
        }

        return text.Append("-----END ").Append(type).Append("-----").ToString();
    }
}
