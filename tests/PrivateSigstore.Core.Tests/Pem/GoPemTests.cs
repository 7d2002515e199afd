using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using CsCheck;
using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Core.Tests.Pem;

public sealed class GoPemTests
{
    // Public-good Rekor v1 key as Go's cryptoutils.MarshalPublicKeyToPEM writes it
    // (GET https://rekor.sigstore.dev/api/v1/log/publicKey; also reference/rekor.md §2.1).
    private const string RekorPublicKeyPem =
        "-----BEGIN PUBLIC KEY-----\n" +
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwr\n" +
        "kBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==\n" +
        "-----END PUBLIC KEY-----\n";

    private const string RekorSpkiBase64 =
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==";

    [Fact]
    public void Encodes_the_rekor_public_key_byte_for_byte_as_go()
    {
        var spki = Convert.FromBase64String(RekorSpkiBase64);

        Assert.Equal(RekorPublicKeyPem, GoPem.Encode("PUBLIC KEY", spki));
        Assert.Equal(RekorPublicKeyPem, GoPem.EncodePublicKey(spki));
        Assert.Equal(spki, GoPem.DecodePublicKey(RekorPublicKeyPem));
    }

    public static TheoryData<string, string> GoWrittenCertificates => new()
    {
        // Rekor (Go) re-encodes the verifier with cryptoutils.MarshalCertificateToPEM when it canonicalizes these kinds.
        { "v1-hashedrekord-6757503.sigstore.json", "hashedrekord" },
        { "v1-dsse-22797666.sigstore.json", "dsse" },
    };

    [Theory]
    [MemberData(nameof(GoWrittenCertificates))]
    public void Encodes_certificates_byte_for_byte_as_rekor_did(string file, string kind)
    {
        using var bundle = TestData.ReadJson("rekor", file);
        var material = bundle.RootElement.GetProperty("verificationMaterial");
        var certificateDer = material.GetProperty("x509CertificateChain").GetProperty("certificates")[0].GetProperty("rawBytes").GetBytesFromBase64();
        var body = JsonDocument.Parse(material.GetProperty("tlogEntries")[0].GetProperty("canonicalizedBody").GetBytesFromBase64());
        var spec = body.RootElement.GetProperty("spec");
        var pemBase64 = kind == "hashedrekord"
            ? spec.GetProperty("signature").GetProperty("publicKey").GetProperty("content").GetString()!
            : spec.GetProperty("signatures")[0].GetProperty("verifier").GetString()!;
        var goPem = Encoding.ASCII.GetString(Convert.FromBase64String(pemBase64));

        Assert.Equal(goPem, GoPem.Encode("CERTIFICATE", certificateDer));
        Assert.Equal(goPem, GoPem.EncodeCertificates([certificateDer]));
        Assert.Equal(certificateDer, Assert.Single(GoPem.DecodeCertificates(goPem)));
    }

    [Fact]
    public void Encodes_chains_as_concatenated_blocks_and_decodes_them_in_order()
    {
        var chain = CreateCertificates(3);
        var pem = GoPem.EncodeCertificates(chain);

        Assert.Equal(string.Concat(chain.Select(c => GoPem.Encode("CERTIFICATE", c))), pem);
        Assert.Equal(chain, GoPem.DecodeCertificates(pem));
    }

    [Fact]
    public void Empty_and_line_boundary_payloads_round_trip()
    {
        Assert.Equal("-----BEGIN X-----\n-----END X-----\n", GoPem.Encode("X", []));
        foreach (var length in new[] { 0, 1, 47, 48, 49, 96, 200 })
        {
            var bytes = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
            var pem = GoPem.Encode("TEST DATA", bytes);
            Assert.All(pem.Split('\n').SkipLast(1), line => Assert.InRange(line.Length, 1, 64));
            var block = GoPem.DecodeSingle(pem, "TEST DATA");
            Assert.Equal(bytes, block.Bytes);
        }
    }

    [Fact]
    public void Random_payloads_round_trip() =>
        Gen.Byte.Array[0, 300].Sample(bytes =>
        {
            var block = Assert.Single(GoPem.DecodeAll(GoPem.Encode("BLOB", bytes)));
            Assert.Equal(new PemBlock("BLOB", bytes).Type, block.Type);
            Assert.Equal(bytes, block.Bytes);
        }, iter: 2_000);

    [Fact]
    public void Tolerates_what_go_pem_decode_tolerates()
    {
        var spki = Convert.FromBase64String(RekorSpkiBase64);
        var crlf = RekorPublicKeyPem.Replace("\n", "\r\n", StringComparison.Ordinal);
        var surrounded = "some text before\n" + RekorPublicKeyPem + "and after\n";
        var spaced = RekorPublicKeyPem.Replace("MFkw", " MF kw\t", StringComparison.Ordinal).Replace("-----\n", "-----  \n", StringComparison.Ordinal);
        var longLine = "-----BEGIN PUBLIC KEY-----\n" + RekorSpkiBase64 + "\n-----END PUBLIC KEY-----";

        Assert.Equal(spki, GoPem.DecodePublicKey(crlf));
        Assert.Equal(spki, GoPem.DecodePublicKey(surrounded));
        Assert.Equal(spki, GoPem.DecodePublicKey(spaced));
        Assert.Equal(spki, GoPem.DecodePublicKey(longLine));
        Assert.Empty(GoPem.DecodeAll("no pem here -----BEGIN X-----\nMFkw\n-----END X-----\n"));
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwr\n", "missing END" },
        { "-----BEGIN PUBLIC KEY-----\nMFkw!!!=\n-----END PUBLIC KEY-----\n", "invalid base64" },
        { "-----BEGIN PUBLIC KEY-----\nMFk\n-----END PUBLIC KEY-----\n", "invalid base64" },
        { "-----BEGIN PUBLIC KEY-----\nMF=w\n-----END PUBLIC KEY-----\n", "invalid base64" },
        { "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END CERTIFICATE-----\n", "does not match" },
        { "-----BEGIN PUBLIC KEY\nMFkw\n-----END PUBLIC KEY-----\n", "BEGIN line" },
        { "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nMFkw\n-----END RSA PRIVATE KEY-----\n", "headers" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Rejects_malformed_blocks(string pem, string reasonFragment)
    {
        var e = Assert.Throws<WireFormatException>(() => GoPem.DecodeAll(pem));
        Assert.Contains(reasonFragment, e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_truncations_of_a_valid_block()
    {
        for (var length = 1; length < RekorPublicKeyPem.Length - 6; length++)
        {
            var truncated = RekorPublicKeyPem[..length];
            Assert.Throws<WireFormatException>(() => GoPem.DecodePublicKey(truncated));
        }
    }

    [Fact]
    public void Bounds_size_and_block_count()
    {
        var eleven = GoPem.EncodeCertificates(CreateCertificates(11));
        var ten = GoPem.EncodeCertificates(CreateCertificates(10));

        Assert.Equal(10, GoPem.DecodeCertificates(ten).Length);
        Assert.Contains("more than 10", Assert.Throws<WireFormatException>(() => GoPem.DecodeCertificates(eleven)).Reason, StringComparison.Ordinal);
        Assert.Throws<WireFormatException>(() => GoPem.DecodeAll(eleven));
        Assert.Throws<WireFormatException>(() => GoPem.DecodeAll(new string('x', GoPem.DefaultMaxBytes + 1)));
        Assert.Throws<WireFormatException>(() => GoPem.DecodeAll(RekorPublicKeyPem, maxBytes: 100));
        Assert.Throws<WireFormatException>(() => GoPem.DecodeSingle(RekorPublicKeyPem + RekorPublicKeyPem, "PUBLIC KEY"));
    }

    [Fact]
    public void Typed_helpers_reject_wrong_types_and_unparseable_contents()
    {
        var certificatePem = GoPem.EncodeCertificates(CreateCertificates(1));

        Assert.Throws<WireFormatException>(() => GoPem.DecodeCertificates(RekorPublicKeyPem));
        Assert.Throws<WireFormatException>(() => GoPem.DecodeCertificates(""));
        Assert.Throws<WireFormatException>(() => GoPem.DecodeCertificates(GoPem.Encode("CERTIFICATE", [0x30, 0x03, 0x02, 0x01, 0x01])));
        Assert.Throws<WireFormatException>(() => GoPem.DecodePublicKey(certificatePem));
        Assert.Throws<WireFormatException>(() => GoPem.DecodePublicKey("nothing"));
        Assert.Throws<WireFormatException>(() => GoPem.DecodePublicKey(GoPem.Encode("PUBLIC KEY", [0x30, 0x00])));
        Assert.Throws<WireFormatException>(() => GoPem.DecodePublicKey(GoPem.Encode("PUBLIC KEY", [.. Convert.FromBase64String(RekorSpkiBase64), 0x00])));
        Assert.Throws<WireFormatException>(() => GoPem.EncodePublicKey([1, 2, 3]));
    }

    [Fact]
    public void Public_keys_of_each_supported_algorithm_are_accepted()
    {
        using var rsa = RSA.Create(2048);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var ed25519 = Convert.FromBase64String("MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244=");
        using var brainpool = ECDsa.Create(ECCurve.NamedCurves.brainpoolP256r1);

        foreach (var spki in new[] { rsa.ExportSubjectPublicKeyInfo(), p384.ExportSubjectPublicKeyInfo(), ed25519 })
        {
            Assert.Equal(spki, GoPem.DecodePublicKey(GoPem.EncodePublicKey(spki)));
        }

        // Go's x509 parses only the NIST curves.
        Assert.Throws<WireFormatException>(() => GoPem.EncodePublicKey(brainpool.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void Encode_rejects_types_go_could_not_read_back()
    {
        Assert.Throws<ArgumentException>(() => GoPem.Encode("", [1]));
        Assert.Throws<ArgumentException>(() => GoPem.Encode("A-----B", [1]));
        Assert.Throws<ArgumentException>(() => GoPem.Encode("LINE\nBREAK", [1]));
        Assert.Throws<ArgumentException>(() => GoPem.Encode(" PADDED", [1]));
    }

    [Fact]
    public void Mutated_pem_never_escapes_as_another_exception()
    {
        var seed = GoPem.EncodeCertificates(CreateCertificates(2));
        Gen.Select(Gen.Int[0, seed.Length - 1], Gen.Char['\0', '\u007f']).Array[1, 3].Sample(edits =>
        {
            var chars = seed.ToCharArray();
            foreach (var (at, c) in edits)
            {
                chars[at] = c;
            }

            try
            {
                GoPem.DecodeCertificates(new string(chars));
            }
            catch (WireFormatException)
            {
            }
        }, iter: 3_000);
    }

    private static byte[][] CreateCertificates(int count)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var result = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            var request = new CertificateRequest($"CN=test {i}", key, HashAlgorithmName.SHA256);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(1));
            result[i] = certificate.RawData;
        }

        return result;
    }
}
