using System.Security.Cryptography;
using System.Text.Json.Nodes;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Keys;
using CorePublicKey = PrivateSigstore.Core.Crypto.PublicKey;

namespace PrivateSigstore.Tuf;

/// <summary>
/// A TUF public key: <c>{"keytype", "scheme", "keyval": {"public"}}</c>. Two kinds are supported, the ones the
/// Sigstore TUF repositories and every TUF client use: Ed25519 (<c>ed25519</c>/<c>ed25519</c>, the public key as
/// 64 hex digits) and ECDSA P-256 (<c>ecdsa</c>/<c>ecdsa-sha2-nistp256</c>, the public key as a PEM
/// SubjectPublicKeyInfo; the legacy key type <c>ecdsa-sha2-nistp256</c> is read too).
/// </summary>
public sealed class TufKey
{
    public const string Ed25519Type = "ed25519";
    public const string EcdsaType = "ecdsa";
    public const string EcdsaP256Scheme = "ecdsa-sha2-nistp256";

    private readonly CorePublicKey _key;

    private TufKey(JsonObject json, CorePublicKey key, string keyType, string scheme)
    {
        Json = json;
        _key = key;
        KeyType = keyType;
        Scheme = scheme;
        KeyId = Convert.ToHexStringLower(SHA256.HashData(TufCanonicalJson.Serialize(json)));
    }

    /// <summary>The key's JSON object as it appears in root metadata.</summary>
    public JsonObject Json { get; }

    public string KeyType { get; }

    public string Scheme { get; }

    /// <summary>The key ID TUF 1.0 defines: the hex SHA-256 of the key object's canonical JSON.</summary>
    public string KeyId { get; }

    /// <summary>The key's DER SubjectPublicKeyInfo.</summary>
    public byte[] SubjectPublicKeyInfo => _key.SubjectPublicKeyInfo;

    /// <summary>A short description for status output: type and the first 16 digits of the key ID.</summary>
    public override string ToString() => $"{Scheme} {KeyId[..16]}";

    /// <summary>The TUF key for a DER SubjectPublicKeyInfo (Ed25519 or ECDSA P-256; anything else is refused).</summary>
    public static TufKey FromSubjectPublicKeyInfo(byte[] spki)
    {
        CorePublicKey key;
        try
        {
            key = CorePublicKey.FromSubjectPublicKeyInfo(spki);
        }
        catch (WireFormatException e)
        {
            throw new TufFormatException($"not a public key: {e.Message}", e);
        }
        if (key.Type == PublicKeyType.Ed25519)
        {
            var json = new JsonObject { ["keytype"] = Ed25519Type, ["scheme"] = Ed25519Type, ["keyval"] = new JsonObject { ["public"] = Convert.ToHexStringLower(key.KeyBytes) } };
            return new TufKey(json, key, Ed25519Type, Ed25519Type);
        }
        if (key.Type == PublicKeyType.Ecdsa && key.KeySizeBits == 256)
        {
            var json = new JsonObject { ["keytype"] = EcdsaType, ["scheme"] = EcdsaP256Scheme, ["keyval"] = new JsonObject { ["public"] = GoPem.EncodePublicKey(spki) } };
            return new TufKey(json, key, EcdsaType, EcdsaP256Scheme);
        }
        throw new TufFormatException($"unsupported key for TUF: {key.Type} {key.KeySizeBits} bits (use Ed25519 or ECDSA P-256)");
    }

    /// <summary>The TUF key of a signing key (its public half).</summary>
    public static TufKey FromSigningKey(ISigningKey key) => FromSubjectPublicKeyInfo(key.SubjectPublicKeyInfo);

    /// <summary>Parses a key object from root metadata; <see cref="TufFormatException"/> names what is wrong.</summary>
    public static TufKey Parse(JsonNode? node, string where)
    {
        if (node is not JsonObject o) throw new TufFormatException($"{where}: a key must be a JSON object");
        var keyType = TufJson.String(o, "keytype", where);
        var scheme = TufJson.String(o, "scheme", where);
        var keyval = TufJson.Object(o, "keyval", where);
        var value = TufJson.String(keyval, "public", where + ".keyval");
        CorePublicKey key;
        try
        {
            switch (keyType)
            {
                case Ed25519Type when scheme == Ed25519Type:
                    if (value.StartsWith("-----BEGIN", StringComparison.Ordinal))
                    {
                        key = CorePublicKey.FromPem(value);
                    }
                    else
                    {
                        var raw = Convert.FromHexString(value);
                        if (raw.Length != 32) throw new TufFormatException($"{where}: an ed25519 public key is 32 bytes, not {raw.Length}");
                        key = CorePublicKey.FromSubjectPublicKeyInfo([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00, .. raw]);
                    }
                    if (key.Type != PublicKeyType.Ed25519) throw new TufFormatException($"{where}: keyval is not an Ed25519 key");
                    break;
                case EcdsaType or EcdsaP256Scheme when scheme == EcdsaP256Scheme:
                    key = CorePublicKey.FromPem(value);
                    if (key.Type != PublicKeyType.Ecdsa || key.KeySizeBits != 256) throw new TufFormatException($"{where}: keyval is not an ECDSA P-256 key");
                    break;
                default:
                    throw new TufFormatException($"{where}: unsupported key type '{keyType}' with scheme '{scheme}' (supported: ed25519/ed25519, ecdsa/ecdsa-sha2-nistp256)");
            }
        }
        catch (WireFormatException e)
        {
            throw new TufFormatException($"{where}: keyval.public does not parse: {e.Message}", e);
        }
        catch (FormatException e)
        {
            throw new TufFormatException($"{where}: keyval.public is not valid hex: {e.Message}", e);
        }
        return new TufKey((JsonObject)o.DeepClone(), key, keyType, scheme);
    }

    /// <summary>True when <paramref name="signature"/> is this key's signature over <paramref name="data"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        _key.Type == PublicKeyType.Ed25519
            ? Ed25519.Verify(_key.KeyBytes, data, signature)
            : _key.VerifyMessage(data, signature, HashAlgorithmName.SHA256);

    /// <summary>Signs <paramref name="data"/> with <paramref name="signer"/>, refusing algorithms TUF clients do not verify.</summary>
    public static byte[] Sign(ISigningKey signer, ReadOnlySpan<byte> data) => signer.Algorithm switch
    {
        SigningAlgorithm.Ed25519 or SigningAlgorithm.EcdsaP256Sha256 => signer.Sign(data),
        _ => throw new TufFormatException($"{signer.Description}: {signer.Algorithm} keys cannot sign TUF metadata (use Ed25519 or ECDSA P-256)"),
    };
}
