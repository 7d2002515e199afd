using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Keys.Pkcs11;

/// <summary>
/// A private key inside a PKCS#11 token (see <see cref="Pkcs11Token"/>). The digest is computed in
/// process and only the digest goes to the token (<c>CKM_ECDSA</c>, whose raw r||s result is
/// re-encoded as DER; <c>CKM_RSA_PKCS</c> over a DigestInfo); Ed25519 sends the message
/// (<c>CKM_EDDSA</c>). Thread-safe: each concurrent signer uses its own pooled session.
/// </summary>
public sealed class Pkcs11SigningKey : ISigningKey
{
    private const ulong CkmEddsa = 0x1057;

    // DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1).
    private static readonly byte[] Sha256DigestInfoPrefix =
        [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

    private readonly Pkcs11Token _token;
    private readonly IObjectHandle _handle;
    private readonly IMechanism _mechanism;
    private readonly byte[] _spki;
    private readonly bool _ownsToken;
    private int _disposed;

    internal Pkcs11SigningKey(Pkcs11Token token, IObjectHandle handle, string label, SigningAlgorithm algorithm, byte[] spki, bool ownsToken)
    {
        _token = token;
        _handle = handle;
        _spki = spki;
        _ownsToken = ownsToken;
        Label = label;
        Algorithm = algorithm;
        _mechanism = token.Factories.MechanismFactory.Create(algorithm switch
        {
            SigningAlgorithm.RsaPkcs1v15Sha256 => (ulong)CKM.CKM_RSA_PKCS,
            SigningAlgorithm.Ed25519 => CkmEddsa,
            _ => (ulong)CKM.CKM_ECDSA,
        });
        Description = $"PKCS#11 key '{label}' ({algorithm}) in token '{token.Label}' via {token.ModulePath}";
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public SigningAlgorithm Algorithm { get; }

    /// <inheritdoc />
    public byte[] SubjectPublicKeyInfo => [.. _spki];

    /// <summary>Always <c>true</c>: the private key stays in the token.</summary>
    public bool IsHardwareBacked => true;

    /// <summary>The key's <c>CKA_LABEL</c>.</summary>
    public string Label { get; }

    /// <summary>The label of the token holding the key.</summary>
    public string TokenLabel => _token.Label;

    internal IObjectHandle Handle => _handle;

    internal Pkcs11Token Token => _token;

    /// <inheritdoc />
    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0 || _token.IsDisposed, this);
        var input = Algorithm switch
        {
            SigningAlgorithm.Ed25519 => data.ToArray(),
            SigningAlgorithm.RsaPkcs1v15Sha256 => [.. Sha256DigestInfoPrefix, .. SHA256.HashData(data)],
            _ => Algorithm.HashData(data),
        };

        byte[] signature;
        try
        {
            signature = _token.Run(session => session.Sign(_mechanism, _handle, input));
        }
        catch (Pkcs11Exception e)
        {
            throw new CryptographicException($"{Description}: signing failed: {e.RV}", e);
        }

        return Algorithm.IsEcdsa() ? EcdsaSignatureEncoding.P1363ToDer(signature, Algorithm.EcdsaScalarSize()) : signature;
    }

    /// <summary>Releases the key; also disposes the token when the key was created by <see cref="SigningKeyFactory"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _mechanism.Dispose();
        if (_ownsToken)
        {
            _token.Dispose();
        }
    }
}
