using System.Formats.Asn1;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Timestamp.Tests;

/// <summary>One authority on the development key and chain, shared by a test class.</summary>
public sealed class TsaFixture : IAsyncLifetime
{
    internal TsaHost Host { get; private set; } = null!;

    internal X509Certificate2[] Chain { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        Host = await TsaHost.StartAsync();
        Chain = await Host.ChainAsync();
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>The two upstream routes with well-formed requests: DER and JSON, each hash, nonce, certReq, policy, the chain.</summary>
public sealed class TimestampApiTests(TsaFixture tsa) : IClassFixture<TsaFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly byte[] Artifact = Encoding.UTF8.GetBytes("an artifact's signature bytes");

    [Theory]
    [InlineData("sha256", true)]
    [InlineData("sha256", false)]
    [InlineData("sha384", true)]
    [InlineData("sha384", false)]
    [InlineData("sha512", true)]
    [InlineData("sha512", false)]
    public async Task Der_request_is_answered_with_a_granted_token_that_verifies_against_the_chain(string hash, bool certReq)
    {
        var nonce = new BigInteger(RandomNumberGenerator.GetBytes(8), isUnsigned: true);
        var request = Replies.Request(hash, Artifact, certReq, nonce);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var (status, body, contentType) = await tsa.Host.PostAsync(request.Encode(), "application/timestamp-query");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/timestamp-reply", contentType);
        Assert.Equal(0, Replies.Split(body).Status);

        var token = Replies.Verify(request, body, tsa.Chain);
        var info = token.TokenInfo;
        Assert.Equal(TimestampOptions.SigstorePolicyOid, info.PolicyId.Value);
        Assert.Equal(nonce, new BigInteger(info.GetNonce()!.Value.Span, isUnsigned: false, isBigEndian: true));
        Assert.Equal(Replies.Hash(hash), request.HashAlgorithmId.Value switch
        {
            "2.16.840.1.101.3.4.2.2" => HashAlgorithmName.SHA384,
            "2.16.840.1.101.3.4.2.3" => HashAlgorithmName.SHA512,
            _ => HashAlgorithmName.SHA256,
        });
        Assert.Equal(request.GetMessageHash().ToArray(), info.GetMessageHash().ToArray());
        Assert.Equal(1_000_000, info.AccuracyInMicroseconds);
        Assert.False(info.IsOrdering);
        Assert.InRange(info.Timestamp, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(20, info.GetSerialNumber().Length);
        // RFC 3161 §2.4.1: the certificate is in the SignedData exactly when certReq asked for it.
        var certificates = token.AsSignedCms().Certificates;
        if (certReq)
        {
            Assert.Equal(tsa.Chain[0].RawData, Assert.Single(certificates).RawData);
        }
        else
        {
            Assert.Empty(certificates);
        }
        // The signer identifies its certificate with ESSCertIDv2 (RFC 5816), which the BCL checks in VerifySignatureForHash.
        Assert.Single(token.AsSignedCms().SignerInfos);
        var signer = token.AsSignedCms().SignerInfos[0];
        Assert.Contains(signer.SignedAttributes.Cast<CryptographicAttributeObject>(), a => a.Oid.Value == "1.2.840.113549.1.9.16.2.47");
        signer.CheckSignature([tsa.Chain[0]], verifySignatureOnly: true);
    }

    [Theory]
    [InlineData("sha256")]
    [InlineData("sha384")]
    [InlineData("sha512")]
    public async Task Json_request_is_answered_as_upstream_does(string hash)
    {
        var digest = Replies.HashData(hash, Artifact);
        var json = $"{{\"artifactHash\":\"{Convert.ToBase64String(digest)}\",\"hashAlgorithm\":\"{hash.ToUpperInvariant()}\",\"nonce\":123456789012345678901234567890,\"certificates\":true,\"tsaPolicyOID\":\"{TimestampOptions.SigstorePolicyOid}\"}}";
        var (status, body, contentType) = await tsa.Host.PostAsync(Encoding.UTF8.GetBytes(json), "application/json; charset=utf-8");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/timestamp-reply", contentType);
        var request = Rfc3161TimestampRequest.CreateFromHash(digest, Replies.Hash(hash), new Oid(TimestampOptions.SigstorePolicyOid),
            BigInteger.Parse("123456789012345678901234567890", System.Globalization.CultureInfo.InvariantCulture).ToByteArray(isUnsigned: false, isBigEndian: true), requestSignerCertificates: true);
        var token = Replies.Verify(request, body, tsa.Chain);
        Assert.Single(token.AsSignedCms().Certificates);
    }

    [Fact]
    public async Task Json_request_without_nonce_and_certificates_gets_a_token_without_either()
    {
        var digest = SHA256.HashData(Artifact);
        var json = $"{{\"ARTIFACTHASH\":\"{Convert.ToBase64String(digest)}\",\"hashAlgorithm\":\"sha256\",\"unknown\":[1,2]}}";
        var (status, body, _) = await tsa.Host.PostAsync(Encoding.UTF8.GetBytes(json), "application/json");
        Assert.Equal(HttpStatusCode.OK, status);
        var token = Replies.Verify(Rfc3161TimestampRequest.CreateFromHash(digest, HashAlgorithmName.SHA256), body, tsa.Chain);
        Assert.Null(token.TokenInfo.GetNonce());
        Assert.Empty(token.AsSignedCms().Certificates);
    }

    [Fact]
    public async Task Requesting_the_default_policy_is_accepted_and_another_is_refused()
    {
        var ok = Replies.Request("sha256", Artifact, true, 7, TimestampOptions.SigstorePolicyOid);
        var (status, body, _) = await tsa.Host.PostAsync(ok.Encode(), "application/timestamp-query");
        Assert.Equal(HttpStatusCode.OK, status);
        Replies.Verify(ok, body, tsa.Chain);

        var other = Replies.Request("sha256", Artifact, true, 7, "1.2.3.4.5");
        (status, body, _) = await tsa.Host.PostAsync(other.Encode(), "application/timestamp-query");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("unaccepted policy", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serial_numbers_are_unique()
    {
        var serials = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 200; i++)
        {
            var request = Replies.Request("sha256", BitConverter.GetBytes(i), false, null);
            var (status, body, _) = await tsa.Host.PostAsync(request.Encode(), "application/timestamp-query");
            Assert.Equal(HttpStatusCode.OK, status);
            var token = request.ProcessResponse(body, out _);
            Assert.True(serials.Add(Convert.ToHexString(token.TokenInfo.GetSerialNumber().Span)));
        }
    }

    [Fact]
    public async Task Certchain_is_PEM_leaf_first_with_a_critical_timeStamping_EKU()
    {
        using var response = await tsa.Host.Http.GetAsync("/api/v1/timestamp/certchain", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/pem-certificate-chain", response.Content.Headers.ContentType?.MediaType);
        var pem = await response.Content.ReadAsStringAsync(Ct);
        var chain = GoPem.DecodeCertificates(pem).Select(X509CertificateLoader.LoadCertificate).ToArray();
        Assert.Equal(2, chain.Length);
        var eku = Assert.IsType<X509EnhancedKeyUsageExtension>(chain[0].Extensions["2.5.29.37"]);
        Assert.True(eku.Critical);
        Assert.Equal("1.3.6.1.5.5.7.3.8", Assert.Single(eku.EnhancedKeyUsages.Cast<Oid>()).Value);
        Assert.Equal(chain[1].SubjectName.RawData, chain[0].IssuerName.RawData);
        Assert.Equal(chain[1].SubjectName.RawData, chain[1].IssuerName.RawData);
    }

    [Fact]
    public async Task Health_readiness_and_metrics_answer()
    {
        Assert.Equal("Healthy", await tsa.Host.Http.GetStringAsync("/healthz", Ct));
        Assert.Equal("Healthy", await tsa.Host.Http.GetStringAsync("/readyz", Ct));
        var request = Replies.Request("sha256", Artifact, false, 1);
        Assert.Equal(HttpStatusCode.OK, (await tsa.Host.PostAsync(request.Encode(), "application/timestamp-query")).Status);
        var metrics = await tsa.Host.Http.GetStringAsync("/metrics", Ct);
        Assert.Contains("privatesigstore_tsa_requests", metrics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sha256", "-cert")]
    [InlineData("sha384", "-no_nonce")]
    [InlineData("sha512", "-cert")]
    public async Task Openssl_ts_requests_are_answered_and_openssl_verifies_the_replies(string hash, string flag)
    {
        var dir = TsaHost.TempDirectory("openssl");
        await File.WriteAllBytesAsync(Path.Combine(dir, "data.txt"), Artifact, Ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "leaf.pem"), GoPem.Encode("CERTIFICATE", tsa.Chain[0].RawData), Ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "root.pem"), GoPem.Encode("CERTIFICATE", tsa.Chain[1].RawData), Ct);
        var (exit, output) = Replies.OpenSsl(dir, "ts", "-query", "-data", "data.txt", "-" + hash, flag, "-out", "request.tsq");
        Assert.True(exit == 0, output);

        var (status, body, _) = await tsa.Host.PostAsync(await File.ReadAllBytesAsync(Path.Combine(dir, "request.tsq"), Ct), "application/timestamp-query");
        Assert.Equal(HttpStatusCode.OK, status);
        await File.WriteAllBytesAsync(Path.Combine(dir, "reply.tsr"), body, Ct);

        (exit, output) = Replies.OpenSsl(dir, "ts", "-reply", "-in", "reply.tsr", "-text");
        Assert.True(exit == 0, output);
        Assert.Contains("Status: Granted.", output, StringComparison.Ordinal);
        Assert.Contains("Policy OID: 1.3.6.1.4.1.57264.2", output, StringComparison.Ordinal);
        Assert.Contains($"Hash Algorithm: {hash}", output, StringComparison.Ordinal);
        Assert.Contains("Accuracy: 0x01 seconds", output, StringComparison.Ordinal);
        Assert.Contains(flag == "-no_nonce" ? "Nonce: unspecified" : "Nonce: 0x", output, StringComparison.Ordinal);

        (exit, output) = Replies.OpenSsl(dir, "ts", "-verify", "-data", "data.txt", "-in", "reply.tsr", "-CAfile", "root.pem", "-untrusted", "leaf.pem");
        Assert.True(exit == 0 && output.Contains("Verification: OK", StringComparison.Ordinal), output);
        (exit, output) = Replies.OpenSsl(dir, "ts", "-verify", "-queryfile", "request.tsq", "-in", "reply.tsr", "-CAfile", "root.pem", "-untrusted", "leaf.pem");
        Assert.True(exit == 0 && output.Contains("Verification: OK", StringComparison.Ordinal), output);

        // The imprint is bound: other data does not verify.
        await File.WriteAllBytesAsync(Path.Combine(dir, "other.txt"), [.. Artifact, 0], Ct);
        (exit, output) = Replies.OpenSsl(dir, "ts", "-verify", "-data", "other.txt", "-in", "reply.tsr", "-CAfile", "root.pem", "-untrusted", "leaf.pem");
        Assert.NotEqual(0, exit);
    }

    [Fact]
    public async Task Reply_token_has_the_upstream_shape()
    {
        var request = Replies.Request("sha256", Artifact, true, 42);
        var (_, body, _) = await tsa.Host.PostAsync(request.Encode(), "application/timestamp-query");
        var token = request.ProcessResponse(body, out _);
        var cms = token.AsSignedCms();
        Assert.Equal(3, cms.Version);
        Assert.Equal("1.2.840.113549.1.9.16.1.4", cms.ContentInfo.ContentType.Value);
        Assert.Single(cms.SignerInfos);
        var signer = cms.SignerInfos[0];
        Assert.Equal(SubjectIdentifierType.IssuerAndSerialNumber, signer.SignerIdentifier.Type);
        var attributes = signer.SignedAttributes.Cast<CryptographicAttributeObject>().Select(a => a.Oid.Value).ToHashSet();
        Assert.Superset(new HashSet<string?> { "1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4", "1.2.840.113549.1.9.5", "1.2.840.113549.1.9.16.2.47" }, attributes);
        // tsa [0]: the TSA certificate's subject as a directoryName.
        Assert.Equal(tsa.Chain[0].SubjectName.RawData, new AsnReader(token.TokenInfo.GetTimestampAuthorityName()!.Value.ToArray(), AsnEncodingRules.DER)
            .ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 4)).ReadEncodedValue().ToArray());
    }
}
