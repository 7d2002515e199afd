using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace PrivateSigstore.Core.Crypto;

/// <summary>
/// Process-wide cache of imported public keys, keyed by their DER SubjectPublicKeyInfo. Importing a P-256 key
/// into OpenSSL (with point validation) costs about 80 µs, more than verifying a signature with it (about
/// 45 µs), so a log that sees the same signer repeatedly (key-based signing, CI systems) imports it once.
/// Instances are shared across threads for verification only (each OpenSSL operation uses its own context)
/// and are never disposed on eviction — a concurrent verifier may still hold one; the GC finalizes them.
/// </summary>
internal static class ImportedKeys
{
    private const int Capacity = 4096;
    private static readonly ConcurrentDictionary<string, AsymmetricAlgorithm> Cache = new(StringComparer.Ordinal);

    /// <summary>The ECDSA public key of <paramref name="spki"/>; throws <see cref="CryptographicException"/> if it does not import whole.</summary>
    public static ECDsa Ecdsa(byte[] spki) => (ECDsa)Get("ec:", spki, static der =>
    {
        var key = ECDsa.Create();
        Import(key, der);
        return key;
    });

    /// <summary>The RSA public key of <paramref name="spki"/>; throws <see cref="CryptographicException"/> if it does not import whole.</summary>
    public static RSA Rsa(byte[] spki) => (RSA)Get("rsa:", spki, static der =>
    {
        var key = RSA.Create();
        Import(key, der);
        return key;
    });

    private static AsymmetricAlgorithm Get(string kind, byte[] spki, Func<byte[], AsymmetricAlgorithm> create)
    {
        var id = kind + Convert.ToBase64String(spki);
        if (Cache.TryGetValue(id, out var cached)) return cached;
        var key = create(spki);
        if (Cache.Count >= Capacity) Cache.Clear();
        return Cache.GetOrAdd(id, key);
    }

    private static void Import(AsymmetricAlgorithm key, byte[] der)
    {
        try
        {
            key.ImportSubjectPublicKeyInfo(der, out var read);
            if (read != der.Length) throw new CryptographicException("trailing bytes after SubjectPublicKeyInfo");
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}
