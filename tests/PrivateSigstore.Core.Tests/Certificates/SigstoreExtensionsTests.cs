using System.Security.Cryptography.X509Certificates;
using System.Text;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Tests.Ct;

namespace PrivateSigstore.Core.Tests.Certificates;

public sealed class SigstoreExtensionsTests
{
    private static SigstoreExtensions Complete() => new()
    {
        // Fulcio pkg/certificate/extensions_test.go "complete extensions list" values.
        Issuer = "issuer",
        GithubWorkflowTrigger = "2",
        GithubWorkflowSha = "3",
        GithubWorkflowName = "4",
        GithubWorkflowRepository = "5",
        GithubWorkflowRef = "6",
        BuildSignerUri = "9",
        BuildSignerDigest = "10",
        RunnerEnvironment = "11",
        SourceRepositoryUri = "12",
        SourceRepositoryDigest = "13",
        SourceRepositoryRef = "14",
        SourceRepositoryIdentifier = "15",
        SourceRepositoryOwnerUri = "16",
        SourceRepositoryOwnerIdentifier = "17",
        BuildConfigUri = "18",
        BuildConfigDigest = "19",
        BuildTrigger = "20",
        RunInvocationUri = "21",
        SourceRepositoryVisibilityAtSigning = "22",
        DeploymentEnvironment = "23",
        TokenSubject = "24",
    };

    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);

    [Fact]
    public void Issuer_is_written_raw_in_1_1_and_as_a_DER_UTF8String_in_1_8()
    {
        var exts = new SigstoreExtensions { Issuer = "https://accounts.google.com" }.Render();

        Assert.Equal(2, exts.Count);
        Assert.Equal("1.3.6.1.4.1.57264.1.1", exts[0].Oid!.Value);
        Assert.Equal("68747470733a2f2f6163636f756e74732e676f6f676c652e636f6d", Hex(exts[0].RawData));
        Assert.Equal("1.3.6.1.4.1.57264.1.8", exts[1].Oid!.Value);
        // UTF8String (0C), 27 (0x1B) bytes, then the ASCII.
        Assert.Equal("0c1b68747470733a2f2f6163636f756e74732e676f6f676c652e636f6d", Hex(exts[1].RawData));
        Assert.All(exts, e => Assert.False(e.Critical));
    }

    [Fact]
    public void Render_follows_Fulcio_order_and_encodings_for_every_field()
    {
        var exts = Complete().Render();

        string[] expectedOids =
        [
            .. Enumerable.Range(1, 6).Select(i => $"1.3.6.1.4.1.57264.1.{i}"),
            .. Enumerable.Range(8, 17).Select(i => $"1.3.6.1.4.1.57264.1.{i}"),
        ];
        Assert.Equal(expectedOids, exts.Select(e => e.Oid!.Value));
        Assert.Equal("issuer"u8.ToArray(), exts[0].RawData);
        for (int i = 1; i <= 5; i++)
        {
            Assert.Equal(Encoding.ASCII.GetBytes((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)), exts[i].RawData);
        }

        Assert.Equal("0c06697373756572", Hex(exts[6].RawData)); // 1.8 "issuer"
        Assert.Equal("0c0139", Hex(exts[7].RawData)); // 1.9 "9"
        for (int n = 10; n <= 24; n++)
        {
            var ext = exts.Single(e => e.Oid!.Value == $"1.3.6.1.4.1.57264.1.{n}");
            Assert.Equal("0c02" + Hex(Encoding.ASCII.GetBytes(n.ToString(System.Globalization.CultureInfo.InvariantCulture))), Hex(ext.RawData));
        }

        Assert.All(exts, e => Assert.False(e.Critical));
    }

    [Fact]
    public void Render_writes_only_non_empty_values()
    {
        var exts = new SigstoreExtensions { Issuer = "i", RunnerEnvironment = "self-hosted", GithubWorkflowRef = "" }.Render();
        Assert.Equal(["1.3.6.1.4.1.57264.1.1", "1.3.6.1.4.1.57264.1.8", "1.3.6.1.4.1.57264.1.11"], exts.Select(e => e.Oid!.Value));
    }

    [Fact]
    public void Render_without_issuer_fails()
    {
        Assert.Throws<InvalidOperationException>(() => new SigstoreExtensions { GithubWorkflowTrigger = "foo" }.Render());
    }

    [Fact]
    public void Render_rejects_a_lone_surrogate()
    {
        Assert.Throws<InvalidOperationException>(() => new SigstoreExtensions { Issuer = "i", BuildTrigger = "\ud800" }.Render());
        Assert.Throws<InvalidOperationException>(() => new SigstoreExtensions { Issuer = "a\udc00" }.Render());
    }

    [Fact]
    public void Long_and_non_ASCII_values_use_DER_long_form_lengths_and_UTF8()
    {
        string long200 = new('x', 200);
        string long300 = new('y', 300);
        var exts = new SigstoreExtensions { Issuer = "i", BuildSignerUri = long200, BuildConfigUri = long300, BuildTrigger = "pühl" }.Render();

        Assert.Equal("0c81c8", Hex(exts.Single(e => e.Oid!.Value == SigstoreOids.BuildSignerUri).RawData)[..6]);
        Assert.Equal("0c82012c", Hex(exts.Single(e => e.Oid!.Value == SigstoreOids.BuildConfigUri).RawData)[..8]);
        Assert.Equal("0c0570c3bc686c", Hex(exts.Single(e => e.Oid!.Value == SigstoreOids.BuildTrigger).RawData));
    }

    [Fact]
    public void Parse_of_Render_round_trips()
    {
        var original = Complete() with { BuildTrigger = "pühl", SourceRepositoryRef = new string('r', 500) };
        Assert.Equal(original, SigstoreExtensions.Parse(original.Render()));
    }

    [Fact]
    public void Parse_ignores_other_extensions_and_lets_1_8_override_1_1()
    {
        var parsed = SigstoreExtensions.Parse(
        [
            new X509BasicConstraintsExtension(false, false, 0, false),
            new X509Extension(SigstoreOids.Issuer, "old"u8.ToArray(), false),
            new X509Extension(SigstoreOids.IssuerV2, Convert.FromHexString("0c036e6577"), false),
        ]);
        Assert.Equal(new SigstoreExtensions { Issuer = "new" }, parsed);
        Assert.Equal("old", SigstoreExtensions.Parse([new X509Extension(SigstoreOids.Issuer, "old"u8.ToArray(), false)]).Issuer);
    }

    [Theory]
    [InlineData("130474657374")] // PrintableString, not UTF8String
    [InlineData("160474657374")] // IA5String
    [InlineData("8c0474657374")] // context-specific [12]
    [InlineData("0c047465737400")] // trailing byte
    [InlineData("0c0474657374" + "0c00")] // a second value
    [InlineData("0c05746573")] // truncated
    [InlineData("0c8104" + "74657374")] // non-minimal length (BER, not DER)
    [InlineData("2c060c0474657374")] // constructed UTF8String (BER only)
    [InlineData("0c02c328")] // invalid UTF-8
    [InlineData("74657374")] // raw bytes where DER is required
    [InlineData("")] // empty
    public void Parse_rejects_DER_extensions_that_are_not_one_UTF8String(string hex)
    {
        foreach (string oid in new[] { SigstoreOids.IssuerV2, SigstoreOids.BuildSignerUri, SigstoreOids.TokenSubject })
        {
            var ext = new X509Extension(oid, Convert.FromHexString(hex), false);
            Assert.Throws<WireFormatException>(() => SigstoreExtensions.Parse([ext]));
        }
    }

    [Fact]
    public void Parse_rejects_invalid_UTF8_in_raw_extensions()
    {
        var ext = new X509Extension(SigstoreOids.GithubWorkflowSha, [0x66, 0xc3, 0x28], false);
        Assert.Throws<WireFormatException>(() => SigstoreExtensions.Parse([ext]));
    }

    [Fact]
    public void Parse_reads_a_real_public_good_Fulcio_leaf()
    {
        using var cert = X509CertificateLoader.LoadCertificate(CtTestData.LeafOf(CtTestData.PublicGoodBundle));
        var parsed = SigstoreExtensions.Parse(cert.Extensions);

        const string workflow = "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main";
        const string sha = "f0b49a04e5a62250e0f60fb128004a73110fe311";
        var expected = new SigstoreExtensions
        {
            Issuer = "https://token.actions.githubusercontent.com",
            GithubWorkflowTrigger = "push",
            GithubWorkflowSha = sha,
            GithubWorkflowName = "Release",
            GithubWorkflowRepository = "sigstore/sigstore-js",
            GithubWorkflowRef = "refs/heads/main",
            BuildSignerUri = workflow,
            BuildSignerDigest = sha,
            RunnerEnvironment = "github-hosted",
            SourceRepositoryUri = "https://github.com/sigstore/sigstore-js",
            SourceRepositoryDigest = sha,
            SourceRepositoryRef = "refs/heads/main",
            SourceRepositoryIdentifier = "495574555",
            SourceRepositoryOwnerUri = "https://github.com/sigstore",
            SourceRepositoryOwnerIdentifier = "71096353",
            BuildConfigUri = workflow,
            BuildConfigDigest = sha,
            BuildTrigger = "push",
            RunInvocationUri = "https://github.com/sigstore/sigstore-js/actions/runs/5904696764/attempts/1",
            SourceRepositoryVisibilityAtSigning = "public",
        };
        Assert.Equal(expected, parsed);
    }

    [Fact]
    public void Render_reproduces_a_real_Fulcio_leafs_extensions_byte_for_byte()
    {
        using var cert = X509CertificateLoader.LoadCertificate(CtTestData.LeafOf(CtTestData.PublicGoodBundle));
        var real = cert.Extensions.Cast<X509Extension>()
            .Where(e => e.Oid!.Value!.StartsWith("1.3.6.1.4.1.57264.1.", StringComparison.Ordinal))
            .Select(e => (e.Oid!.Value, Hex(e.RawData), e.Critical))
            .ToList();

        var rendered = SigstoreExtensions.Parse(cert.Extensions).Render()
            .Select(e => (e.Oid!.Value, Hex(e.RawData), e.Critical))
            .ToList();

        Assert.Equal(21, real.Count);
        Assert.Equal(real, rendered);
    }

    [Fact]
    public void Oid_constants_are_distinct_and_numbered_as_upstream()
    {
        var fields = typeof(SigstoreOids).GetFields().Select(f => (string)f.GetValue(null)!).ToList();
        Assert.Equal(fields.Count, fields.Distinct().Count());
        Assert.Equal(28, fields.Count);
        for (int i = 1; i <= 24; i++)
        {
            Assert.Contains($"1.3.6.1.4.1.57264.1.{i}", fields);
        }

        Assert.Equal("1.3.6.1.4.1.57264.1.7", SigstoreOids.OtherName);
        Assert.Equal("1.3.6.1.4.1.57264.1.24", SigstoreOids.TokenSubject);
        Assert.Equal("1.3.6.1.4.1.11129.2.4.2", SigstoreOids.SctList);
        Assert.Equal("1.3.6.1.4.1.11129.2.4.3", SigstoreOids.CtPoison);
        Assert.Equal("1.3.6.1.5.5.7.3.3", SigstoreOids.CodeSigningEku);
    }
}
