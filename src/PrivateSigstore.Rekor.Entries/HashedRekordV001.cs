using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// hashedrekord v0.0.1 (<c>pkg/types/hashedrekord/v0.0.1/entry.go</c>, <c>hashedrekord_v0_0_1_schema.json</c>):
/// a signature over a supplied artifact digest, with a PEM public key, certificate or certificate chain.
/// </summary>
internal static class HashedRekordV001
{
    public const string Kind = "hashedrekord";
    public const string Version = "0.0.1";

    public static EntryResult Process(JsonElement spec, RekorEntryPolicy policy)
    {
        // DecodeEntry (map fast path).
        EntrySupport.RequireObjectSpec(spec);
        var hasSignature = false;
        byte[]? signatureContent = null;
        var hasPublicKey = false;
        byte[]? publicKeyContent = null;
        if (GoJson.Object(spec, "signature") is { } signature)
        {
            hasSignature = true;
            if (GoJson.String(signature, "content") is { Length: > 0 } content)
            {
                signatureContent = GoBase64.DecodeStandard(content, "failed parsing base64 data for signature content: ");
            }

            if (GoJson.Object(signature, "publicKey") is { } publicKey)
            {
                hasPublicKey = true;
                if (GoJson.String(publicKey, "content") is { Length: > 0 } keyContent)
                {
                    publicKeyContent = GoBase64.DecodeStandard(keyContent, "failed parsing base64 data for public key content: ");
                }
            }
        }

        // m.Data is only set when data.hash is an object.
        var hash = GoJson.Object(spec, "data") is { } data ? HashValue.From(data, "hash") : null;

        // Validate(strfmt.Default): data and signature required; data.hash algorithm (enum) and value required.
        var errors = new SchemaErrors();
        if (hash is null)
        {
            errors.Required("data");
        }
        else
        {
            hash.Validate("data.hash", errors, "sha256", "sha384", "sha512");
        }

        if (!hasSignature)
        {
            errors.Required("signature");
        }

        errors.ThrowIfAny();

        // validate(): cross-field checks, then the signature over the digest.
        if (!hasPublicKey)
        {
            throw new EntryFailure("missing public key", FailureStage.Processing);
        }

        var key = RekorPublicKey.Parse(publicKeyContent ?? [], policy.MaxChainLength);
        var (algorithm, hashLength) = hash!.Algorithm switch
        {
            "sha384" => (HashAlgorithmName.SHA384, 48),
            "sha512" => (HashAlgorithmName.SHA512, 64),
            _ => (HashAlgorithmName.SHA256, 32),
        };
        if (Encoding.UTF8.GetByteCount(hash.Value!) != hashLength * 2)
        {
            throw new EntryFailure("invalid value for hash", FailureStage.Processing);
        }

        var digest = DecodeHex(hash.Value!);
        var failure = VerifySignature(signatureContent, key, digest, algorithm);
        if (failure is not null)
        {
            throw new EntryFailure($"verifying signature: {failure}", FailureStage.Processing);
        }

        // createLogEntry: checkEntryAlgorithms (hashedrekord only), on the key the entry is verified with.
        if (!policy.ForSearch && !AlgorithmRegistry.IsPermitted(policy.AllowedSigningAlgorithms, key.Key, algorithm))
        {
            throw new EntryFailure("entry algorithms are not allowed", FailureStage.Processing);
        }

        // Canonicalize(): signature bytes as given, key re-encoded, data.hash copied.
        var canonicalPem = key.CanonicalPem();
        var body = EntrySupport.CanonicalBody(Kind, Version, new JsonObject
        {
            ["data"] = new JsonObject { ["hash"] = hash.ToJson() },
            ["signature"] = new JsonObject
            {
                ["content"] = Convert.ToBase64String(signatureContent!),
                ["publicKey"] = new JsonObject { ["content"] = Convert.ToBase64String(canonicalPem) },
            },
        });

        // IndexKeys(): hex SHA-256 of the canonical key PEM, the certificate's SAN subjects, "alg:value".
        List<string> indexKeys = [Convert.ToHexStringLower(SHA256.HashData(canonicalPem)), .. key.Subjects, hash.IndexKey()];
        return new EntryResult(body, indexKeys, null);
    }

    private static string? VerifySignature(byte[]? signature, RekorPublicKey key, byte[] digest, HashAlgorithmName algorithm)
    {
        // x509.Signature.Verify.
        if (signature is null || signature.Length == 0)
        {
            return "X509 signature has not been initialized";
        }

        return key.VerifyChain() ?? key.Key.CheckDigest(digest, algorithm, signature);
    }

    private static byte[] DecodeHex(string text)
    {
        // encoding/hex.DecodeString works on bytes and reports the first bad one (InvalidByteError, "%#U").
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (!char.IsAsciiHexDigit((char)b))
            {
                var shown = b is >= 0x20 and < 0x7f or >= 0xa0 ? $" '{(char)b}'" : string.Empty;
                throw new EntryFailure($"encoding/hex: invalid byte: U+{b.ToString("X4", CultureInfo.InvariantCulture)}{shown}", FailureStage.Processing);
            }
        }

        return Convert.FromHexString(text);
    }
}
