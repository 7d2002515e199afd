using System.Collections.Concurrent;
using System.Security.Cryptography;
using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Keys;

/// <summary>
/// A signing key held in process memory: an <see cref="ECDsa"/> or <see cref="RSA"/> key, or an
/// Ed25519 seed (signed with <see cref="Core.Crypto.Ed25519"/>). For tests, development and keys
/// loaded from PEM files; <see cref="IsHardwareBacked"/> is <c>false</c>.
/// </summary>
/// <remarks>
/// .NET does not promise that one <see cref="AsymmetricAlgorithm"/> instance may sign from several
/// threads at once, so concurrent signers each rent their own instance from a small pool of copies
/// of the key.
/// </remarks>
public sealed class InMemorySigningKey : ISigningKey
{
    private const int MaxIdleInstances = 16;

    private readonly ConcurrentBag<AsymmetricAlgorithm> _idle = [];
    private readonly ECParameters _ecParameters;
    private readonly RSAParameters _rsaParameters;
    private readonly byte[]? _ed25519Seed;
    private readonly byte[] _spki;
    private int _idleCount; // ConcurrentBag.Count locks the whole bag, so count separately
    private volatile bool _disposed;

    /// <summary>
    /// Wraps an ECDSA key on P-256, P-384 or P-521; the wrapper takes ownership of
    /// <paramref name="key"/> and disposes it. Throws <see cref="ArgumentException"/> for other
    /// curves or a public-only key.
    /// </summary>
    /// <param name="key">The private key.</param>
    /// <param name="description">Where the key came from, for logs; "in-memory ECDSA key" when omitted.</param>
    public InMemorySigningKey(ECDsa key, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ECParameters parameters;
        try
        {
            parameters = key.ExportParameters(includePrivateParameters: true);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException("the ECDSA key has no exportable private part", nameof(key), e);
        }

        _spki = key.ExportSubjectPublicKeyInfo();
        Algorithm = SigningAlgorithms.FromEcSubjectPublicKeyInfo(_spki)
            ?? throw new ArgumentException($"ECDSA keys must be on NIST P-256, P-384 or P-521 (got a {key.KeySize}-bit curve {parameters.Curve.Oid?.Value ?? parameters.Curve.Oid?.FriendlyName ?? "with explicit parameters"})", nameof(key));
        Add(key);
        _ecParameters = parameters;
        Description = description ?? $"in-memory ECDSA {Algorithm} key";
    }

    /// <summary>
    /// Wraps an RSA key of 2048 to 4096 bits, signing PKCS#1 v1.5 with SHA-256; the wrapper takes
    /// ownership of <paramref name="key"/> and disposes it. Throws <see cref="ArgumentException"/> for
    /// other sizes or a public-only key.
    /// </summary>
    /// <param name="key">The private key.</param>
    /// <param name="description">Where the key came from, for logs; "in-memory RSA key" when omitted.</param>
    public InMemorySigningKey(RSA key, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.KeySize is < SigningAlgorithms.MinRsaBits or > SigningAlgorithms.MaxRsaBits)
        {
            throw new ArgumentException($"RSA signing keys must have 2048 to 4096 bits (got {key.KeySize})", nameof(key));
        }

        RSAParameters parameters;
        try
        {
            parameters = key.ExportParameters(includePrivateParameters: true);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException("the RSA key has no exportable private part", nameof(key), e);
        }

        Algorithm = SigningAlgorithm.RsaPkcs1v15Sha256;
        _spki = key.ExportSubjectPublicKeyInfo();
        Add(key);
        _rsaParameters = parameters;
        Description = description ?? $"in-memory RSA-{key.KeySize} key";
    }

    private InMemorySigningKey(byte[] ed25519Seed, string? description)
    {
        _ed25519Seed = ed25519Seed;
        _spki = Core.Crypto.Ed25519.ToSubjectPublicKeyInfo(Core.Crypto.Ed25519.PublicKeyFromSeed(ed25519Seed));
        Algorithm = SigningAlgorithm.Ed25519;
        Description = description ?? "in-memory Ed25519 key";
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public SigningAlgorithm Algorithm { get; }

    /// <inheritdoc />
    public byte[] SubjectPublicKeyInfo => [.. _spki];

    /// <inheritdoc />
    public bool IsHardwareBacked => false;

    /// <summary>Generates a fresh key for <paramref name="algorithm"/> (RSA keys get 3072 bits).</summary>
    public static InMemorySigningKey Generate(SigningAlgorithm algorithm) =>
        SigningAlgorithms.Require(algorithm, nameof(algorithm)) switch
        {
            SigningAlgorithm.Ed25519 => FromEd25519Seed(RandomNumberGenerator.GetBytes(Core.Crypto.Ed25519.KeySize)),
            SigningAlgorithm.RsaPkcs1v15Sha256 => new InMemorySigningKey(RSA.Create(SigningAlgorithms.DefaultRsaBits)),
            _ => new InMemorySigningKey(ECDsa.Create(algorithm.Curve())),
        };

    /// <summary>
    /// Creates an Ed25519 key from its 32-byte RFC 8032 private key seed (copied). Throws
    /// <see cref="ArgumentException"/> unless the seed is 32 bytes.
    /// </summary>
    public static InMemorySigningKey FromEd25519Seed(byte[] seed, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(seed);
        if (seed.Length != Core.Crypto.Ed25519.KeySize)
        {
            throw new ArgumentException("an Ed25519 seed is 32 bytes", nameof(seed));
        }

        return new InMemorySigningKey([.. seed], description);
    }

    /// <inheritdoc />
    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_ed25519Seed is not null)
        {
            return Core.Crypto.Ed25519.Sign(_ed25519Seed, data);
        }

        var instance = Rent();
        try
        {
            return instance switch
            {
                ECDsa ecdsa => ecdsa.SignData(data, Algorithm.Hash(), DSASignatureFormat.Rfc3279DerSequence),
                RSA rsa => rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
                _ => throw new InvalidOperationException("unreachable: unknown key instance"),
            };
        }
        finally
        {
            Return(instance);
        }
    }

    /// <summary>
    /// Ed25519ph (RFC 8032 §5.1, empty context) over a 64-byte SHA-512 digest: what Rekor's hashedrekord wants from an
    /// Ed25519 key (upstream verifies Ed25519 hashedrekord entries with <c>WithED25519ph</c> over a SHA-512 digest).
    /// </summary>
    /// <exception cref="InvalidOperationException">The key is not Ed25519.</exception>
    public byte[] SignEd25519Prehashed(ReadOnlySpan<byte> sha512Digest)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _ed25519Seed is null
            ? throw new InvalidOperationException("Ed25519ph needs an Ed25519 key")
            : Core.Crypto.Ed25519.SignPrehashed(_ed25519Seed, sha512Digest);
    }

    /// <summary>
    /// The unencrypted PKCS#8 DER encoding of the private key (RFC 5208; RFC 8410 for Ed25519), for
    /// writing key files. The caller should clear the returned array when done.
    /// </summary>
    internal byte[] ExportPkcs8()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_ed25519Seed is not null)
        {
            return Pkcs8.EncodeEd25519(_ed25519Seed);
        }

        var instance = Rent();
        try
        {
            return instance.ExportPkcs8PrivateKey();
        }
        finally
        {
            Return(instance);
        }
    }

    /// <summary>Disposes the key instances and clears the Ed25519 seed.</summary>
    public void Dispose()
    {
        _disposed = true;
        while (TryTake(out var instance))
        {
            instance.Dispose();
        }

        CryptographicOperations.ZeroMemory(_ed25519Seed);
        CryptographicOperations.ZeroMemory(_ecParameters.D);
        CryptographicOperations.ZeroMemory(_rsaParameters.D);
        CryptographicOperations.ZeroMemory(_rsaParameters.P);
        CryptographicOperations.ZeroMemory(_rsaParameters.Q);
        CryptographicOperations.ZeroMemory(_rsaParameters.DP);
        CryptographicOperations.ZeroMemory(_rsaParameters.DQ);
        CryptographicOperations.ZeroMemory(_rsaParameters.InverseQ);
    }

    private void Add(AsymmetricAlgorithm instance)
    {
        Interlocked.Increment(ref _idleCount);
        _idle.Add(instance);
    }

    private bool TryTake(out AsymmetricAlgorithm instance)
    {
        if (!_idle.TryTake(out instance!))
        {
            return false;
        }

        Interlocked.Decrement(ref _idleCount);
        return true;
    }

    private AsymmetricAlgorithm Rent()
    {
        if (TryTake(out var instance))
        {
            return instance;
        }

        // Another thread holds the only idle instance: make another copy of the same key.
        return Algorithm == SigningAlgorithm.RsaPkcs1v15Sha256 ? RSA.Create(_rsaParameters) : ECDsa.Create(_ecParameters);
    }

    private void Return(AsymmetricAlgorithm instance)
    {
        if (_disposed || Volatile.Read(ref _idleCount) >= MaxIdleInstances)
        {
            instance.Dispose();
            return;
        }

        Add(instance);
        if (_disposed && TryTake(out var late))
        {
            late.Dispose(); // Dispose raced with this return
        }
    }
}
