using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Rekor;
using PrivateSigstore.Keys;
using PrivateSigstore.Rekor.Entries;

namespace PrivateSigstore.Benchmarks;

/// <summary>
/// The per-entry CPU work of a Rekor v1 hashedrekord append (POST /api/v1/log/entries), piece by piece, on one
/// thread: ECDSA P-256 verify and sign (OpenSSL, DER signatures, prehashed), importing a P-256
/// SubjectPublicKeyInfo into OpenSSL (which validates the point), the whole server-side
/// <see cref="RekorEntries.Canonicalize"/> of a hashedrekord entry, the SET (payload + sign), and the
/// SHA-256 work of recomputing one non-tile-level Merkle node (level 7, 128 tile hashes) for an inclusion proof,
/// one <see cref="Rfc6962.HashChildren(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> call per node (as
/// the log engine does today) versus a level at a time with <see cref="Rfc6962.HashChildPairs"/>.
/// Run: <c>dotnet run -c Release --project load-tests/PrivateSigstore.Benchmarks -- --filter '*RekorCost*'</c>
/// </summary>
[MemoryDiagnoser]
public class RekorCostBenchmarks
{
    private readonly byte[] _digest = new byte[32];
    private readonly byte[] _tileHashes = new byte[128 * 32];
    private readonly byte[] _scratch = new byte[128 * 32];
    private ECDsa _signer = null!;
    private ECDsa _verifier = null!;
    private byte[] _signature = null!;
    private byte[] _spki = null!;
    private byte[] _proposedEntry = null!;
    private InMemorySigningKey _logKey = null!;
    private string _bodyBase64 = null!;

    [GlobalSetup]
    public void Setup()
    {
        RandomNumberGenerator.Fill(_digest);
        RandomNumberGenerator.Fill(_tileHashes);
        _signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _spki = _signer.ExportSubjectPublicKeyInfo();
        _verifier = ECDsa.Create();
        _verifier.ImportSubjectPublicKeyInfo(_spki, out _);
        _signature = _signer.SignHash(_digest, DSASignatureFormat.Rfc3279DerSequence);
        // The entry rekor-append sends: the signature is over the supplied digest.
        var pem = Convert.ToBase64String(Encoding.ASCII.GetBytes(_signer.ExportSubjectPublicKeyInfoPem() + "\n"));
        _proposedEntry = Encoding.UTF8.GetBytes(
            "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{\"signature\":{\"publicKey\":{\"content\":\"" + pem
            + "\"},\"content\":\"" + Convert.ToBase64String(_signature) + "\"},\"data\":{\"hash\":{\"algorithm\":\"sha256\",\"value\":\""
            + Convert.ToHexStringLower(_digest) + "\"}}}}");
        var canonical = RekorEntries.Canonicalize(_proposedEntry, RekorEntryPolicy.Default);
        _bodyBase64 = Convert.ToBase64String(canonical.Body);
        _logKey = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _signer.Dispose();
        _verifier.Dispose();
        _logKey.Dispose();
    }

    /// <summary>ECDSA P-256 verify of a DER signature over a digest, key already imported.</summary>
    [Benchmark]
    public bool EcdsaP256_Verify() => _verifier.VerifyHash(_digest, _signature, DSASignatureFormat.Rfc3279DerSequence);

    /// <summary>ECDSA P-256 DER signature over a digest.</summary>
    [Benchmark]
    public byte[] EcdsaP256_Sign() => _signer.SignHash(_digest, DSASignatureFormat.Rfc3279DerSequence);

    /// <summary>ECDsa.Create + ImportSubjectPublicKeyInfo + Dispose: what Core does per entry, twice (PublicKeyInfo.Validate, VerificationKey.VerifyEcdsa).</summary>
    [Benchmark]
    public int EcdsaP256_ImportSpki()
    {
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(_spki, out var read);
        return read;
    }

    /// <summary>The server's validation + canonicalization of one hashedrekord entry (parse, PEM, key import, verify, RFC 8785 body, leaf hash, index keys).</summary>
    [Benchmark]
    public CanonicalEntry HashedRekord_Canonicalize() => RekorEntries.Canonicalize(_proposedEntry, RekorEntryPolicy.Default);

    /// <summary>The SET of one response: RFC 8785 payload + ECDSA P-256 sign through the Keys library (as RekorLog.WriteEntryAsync).</summary>
    [Benchmark]
    public byte[] Set_PayloadAndSign() => _logKey.Sign(SignedEntryTimestamp.Payload(_bodyBase64, 1_700_000_000, "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d", 123_456));

    /// <summary>A level-7 node from its 128 level-0 tile hashes, one HashChildren (OpenSSL one-shot) per interior node: 127 calls (TransparencyLog.GetNodeAsync).</summary>
    [Benchmark]
    public byte Level7Node_HashChildren()
    {
        _tileHashes.CopyTo(_scratch, 0);
        for (var n = 128; n > 1; n /= 2)
        {
            for (var i = 0; i < n / 2; i++)
            {
                Rfc6962.HashChildren(_scratch.AsSpan(2 * i * 32, 32), _scratch.AsSpan((2 * i + 1) * 32, 32), _scratch.AsSpan(i * 32, 32));
            }
        }
        return _scratch[0];
    }

    /// <summary>The same node a level at a time with the multi-buffer HashChildPairs: 7 calls.</summary>
    [Benchmark]
    public byte Level7Node_HashChildPairs()
    {
        _tileHashes.CopyTo(_scratch, 0);
        for (var n = 128; n > 1; n /= 2)
        {
            Rfc6962.HashChildPairs(_scratch.AsSpan(0, n * 32), _scratch.AsSpan(0, n / 2 * 32));
        }
        return _scratch[0];
    }
}
