using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Fulcio.Config;
using PrivateSigstore.Fulcio.Issuance;
using PrivateSigstore.Fulcio.Oidc;
using PrivateSigstore.Identity.Tests.TestSupport;
using PrivateSigstore.Keys;
using PublicKey = System.Security.Cryptography.X509Certificates.PublicKey;
using static PrivateSigstore.Identity.Tests.TestSupport.OidcFlows;

namespace PrivateSigstore.Identity.Tests;

/// <summary>
/// Tokens from this provider pass the CA's own verifier (discovery + JWKS over HTTP, exact iss, aud, times) and identity
/// mapping, and the leaf the CA builds carries the token's identity: SAN and issuer extensions.
/// </summary>
public sealed class FulcioInteropTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>, IDisposable
{
    private static readonly OidcVerifierOptions VerifierOptions = new() { AllowHttpDiscovery = true };
    private readonly InMemorySigningKey _caKey = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);

    // Fulcio's uri type: SubjectDomain shares the issuer's scheme and registrable domain, and sub lies under it.
    private const string UriDomain = ""","SubjectDomain":"http://127.0.0.1" """;

    private IdentityServer Server => fixture.Server;

    private async Task<string> UriWorkloadTokenAsync(string clientId, string audience = "sigstore", string tokenName = "id_token")
    {
        if ((await Server.AdminAsync(a => a.ListClientsAsync(Ct))).All(c => c.ClientId != clientId))
        {
            _secrets[clientId] = await Server.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec(clientId, "http://127.0.0.1/workloads/" + clientId) { Audience = audience }, Ct));
        }
        var (_, body) = await ClientCredentialsAsync(fixture.Http, clientId, _secrets[clientId]);
        return body[tokenName]!.GetValue<string>();
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _secrets = new();

    private FulcioConfig Config(string type, string extra = "", string clientId = "sigstore", string? issuerUrl = null) => FulcioConfig.Parse($$$$"""
        {"OIDCIssuers":{"{{{{issuerUrl ?? Server.Issuer}}}}":{"IssuerURL":"{{{{issuerUrl ?? Server.Issuer}}}}","ClientID":"{{{{clientId}}}}","Type":"{{{{type}}}}"{{{{extra}}}}}},
         "CIIssuerMetadata":{"private-ci":{
           "DefaultTemplateValues":{"url":"https://git.example.com"},
           "ExtensionTemplates":{"SourceRepositoryURI":"{{ .url }}/{{ .repository }}","SourceRepositoryRef":"ref","SourceRepositoryDigest":"sha","BuildConfigURI":"{{ .url }}/{{ .repository }}/{{ .workflow }}@{{ .ref }}"},
           "SubjectAlternativeNameTemplate":"{{ .url }}/{{ .repository }}/{{ .workflow }}@{{ .ref }}"}}}
        """);

    private async Task<(Principal Principal, X509Certificate2 Leaf, VerifiedToken Token)> IssueAsync(FulcioConfig config, string rawToken)
    {
        using var verifier = new OidcVerifier(config, VerifierOptions);
        var token = await verifier.VerifyAsync(rawToken, Ct);
        var issuer = token.Issuer;
        var type = issuer.Type switch
        {
            IssuerTypes.Email => IssuerType.Email,
            IssuerTypes.Uri => IssuerType.Uri,
            IssuerTypes.CIProvider => IssuerType.CiProvider,
            _ => throw new InvalidOperationException(issuer.Type),
        };
        CiProviderMetadata? ci = null;
        if (issuer.CIProvider is { } name)
        {
            var m = config.CIIssuerMetadata[name];
            ci = new CiProviderMetadata(
                new SigstoreExtensions
                {
                    SourceRepositoryUri = m.ExtensionTemplates.GetValueOrDefault("SourceRepositoryURI", ""),
                    SourceRepositoryRef = m.ExtensionTemplates.GetValueOrDefault("SourceRepositoryRef", ""),
                    SourceRepositoryDigest = m.ExtensionTemplates.GetValueOrDefault("SourceRepositoryDigest", ""),
                    BuildConfigUri = m.ExtensionTemplates.GetValueOrDefault("BuildConfigURI", ""),
                },
                m.DefaultTemplateValues,
                m.SubjectAlternativeNameTemplate);
        }
        var principal = PrincipalMapper.Map(new PrincipalRequest(type, issuer.IssuerUrl, token.Claims)
        {
            SubjectDomain = issuer.SubjectDomain,
            SkipEmailVerification = issuer.SkipEmailVerification,
            CiProvider = ci,
        });
        var now = DateTimeOffset.UtcNow;
        using var root = CaCertificates.CreateRoot(_caKey, "identity interop CA", "PrivateSigstore tests", now.AddHours(-1), now.AddHours(1));
        using var subject = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leaf = CertificateProfile.BuildLeaf(new PublicKey(subject), principal, root, _caKey, now);
        return (principal, leaf, token);
    }

    [Fact]
    public async Task Person_token_gets_an_email_certificate_whose_san_and_issuer_match_the_token()
    {
        var tokens = await PersonTokensAsync(Server, "alice", IdentityFixture.AlicePassword);
        var (principal, leaf, token) = await IssueAsync(Config(IssuerTypes.Email), tokens["id_token"]!.GetValue<string>());
        using (leaf)
        {
            Assert.Equal("alice@example.com", token.Email);
            Assert.True(token.EmailVerified);
            Assert.Equal("alice@example.com", principal.Name);
            var san = SubjectAltNames.Read(leaf);
            Assert.Equal(["alice@example.com"], san.Emails);
            Assert.Empty(san.Uris);
            var extensions = SigstoreExtensions.Parse(leaf.Extensions);
            Assert.Equal(Server.Issuer, extensions.Issuer);
            Assert.Equal("alice", extensions.TokenSubject);
            // 1.1 (raw) and 1.8 (DER UTF8String) both name the issuer.
            Assert.Equal(Server.Issuer, System.Text.Encoding.UTF8.GetString(leaf.Extensions[SigstoreOids.Issuer]!.RawData));
            Assert.NotNull(leaf.Extensions[SigstoreOids.IssuerV2]);
        }
    }

    [Fact]
    public async Task Unverified_email_is_refused_by_the_email_issuer_type()
    {
        var tokens = await PersonTokensAsync(Server, "bob", IdentityFixture.BobPassword);
        var e = await Assert.ThrowsAsync<IssuanceException>(() => IssueAsync(Config(IssuerTypes.Email), tokens["id_token"]!.GetValue<string>()));
        Assert.Contains("email_verified", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workload_token_gets_a_uri_certificate_for_its_subject()
    {
        var (_, leaf, _) = await IssueAsync(Config(IssuerTypes.Uri, extra: UriDomain), await UriWorkloadTokenAsync("uri-builder"));
        using (leaf)
        {
            Assert.Equal(["http://127.0.0.1/workloads/uri-builder"], SubjectAltNames.Read(leaf).Uris);
            var extensions = SigstoreExtensions.Parse(leaf.Extensions);
            Assert.Equal(Server.Issuer, extensions.Issuer);
            Assert.Equal("http://127.0.0.1/workloads/uri-builder", extensions.TokenSubject);
        }
    }

    [Fact]
    public async Task Workload_access_token_is_accepted_as_well()
    {
        var (_, leaf, _) = await IssueAsync(Config(IssuerTypes.Uri, extra: UriDomain), await UriWorkloadTokenAsync("uri-access", tokenName: "access_token"));
        using (leaf)
        {
            Assert.Equal(["http://127.0.0.1/workloads/uri-access"], SubjectAltNames.Read(leaf).Uris);
        }
    }

    [Fact]
    public async Task Workload_ci_claims_fill_the_ci_provider_templates()
    {
        var (_, body) = await ClientCredentialsAsync(fixture.Http, "ci-builder", fixture.BuilderSecret);
        var (_, leaf, _) = await IssueAsync(Config(IssuerTypes.CIProvider, extra: ""","CIProvider":"private-ci" """), body["id_token"]!.GetValue<string>());
        using (leaf)
        {
            Assert.Equal(["https://git.example.com/platform/app/release@refs/heads/main"], SubjectAltNames.Read(leaf).Uris);
            var extensions = SigstoreExtensions.Parse(leaf.Extensions);
            Assert.Equal(Server.Issuer, extensions.Issuer);
            Assert.Equal("https://git.example.com/platform/app", extensions.SourceRepositoryUri);
            Assert.Equal("refs/heads/main", extensions.SourceRepositoryRef);
            Assert.Equal("0123456789abcdef0123456789abcdef01234567", extensions.SourceRepositoryDigest);
            Assert.Equal("https://git.example.com/platform/app/release@refs/heads/main", extensions.BuildConfigUri);
        }
    }

    [Fact]
    public async Task Workload_with_a_verified_email_gets_an_email_certificate()
    {
        var (_, body) = await ClientCredentialsAsync(fixture.Http, "mailer", fixture.MailerSecret);
        var (_, leaf, _) = await IssueAsync(Config(IssuerTypes.Email), body["id_token"]!.GetValue<string>());
        using (leaf)
        {
            Assert.Equal(["mailer@example.com"], SubjectAltNames.Read(leaf).Emails);
        }
    }

    [Fact]
    public async Task Token_for_another_audience_is_rejected_by_the_ca()
    {
        var token = await UriWorkloadTokenAsync("other-audience", audience: "not-sigstore");
        using var verifier = new OidcVerifier(Config(IssuerTypes.Uri, extra: UriDomain), VerifierOptions);
        var e = await Assert.ThrowsAsync<OidcVerificationException>(() => verifier.VerifyAsync(token, Ct));
        Assert.Equal(OidcErrorReason.WrongAudience, e.Reason);

        // The same token is accepted by a CA configured for that audience.
        using var matching = new OidcVerifier(Config(IssuerTypes.Uri, extra: UriDomain, clientId: "not-sigstore"), VerifierOptions);
        Assert.Equal("http://127.0.0.1/workloads/other-audience", (await matching.VerifyAsync(token, Ct)).Subject);
    }

    [Fact]
    public async Task Token_is_rejected_by_a_ca_that_trusts_another_issuer_string()
    {
        var token = await UriWorkloadTokenAsync("uri-builder");
        // Without the trailing slash the issuer string differs: iss must match exactly (go-oidc).
        using var verifier = new OidcVerifier(Config(IssuerTypes.Uri, extra: UriDomain, issuerUrl: Server.Url), VerifierOptions);
        var e = await Assert.ThrowsAsync<OidcVerificationException>(() => verifier.VerifyAsync(token, Ct));
        Assert.Equal(OidcErrorReason.UnknownIssuer, e.Reason);
    }

    [Fact]
    public async Task Token_signed_by_another_provider_with_the_same_issuer_is_rejected()
    {
        // A second provider claims the same iss (same URL string) but signs with its own key: the CA fetches this
        // provider's JWKS and the signature fails.
        await using var impostor = await IdentityServer.StartAsync(["--Identity:Issuer", Server.Issuer, "--Identity:Key:Provider", "InMemory"]);
        var secret = await impostor.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("uri-builder", "http://127.0.0.1/workloads/uri-builder"), Ct));
        using var http = new HttpClient { BaseAddress = new Uri(impostor.Url) };
        var (_, body) = await ClientCredentialsAsync(http, "uri-builder", secret);
        using var verifier = new OidcVerifier(Config(IssuerTypes.Uri, extra: UriDomain), VerifierOptions);
        var e = await Assert.ThrowsAsync<OidcVerificationException>(() => verifier.VerifyAsync(body["id_token"]!.GetValue<string>(), Ct));
        Assert.Contains(e.Reason, new[] { OidcErrorReason.UnknownKey, OidcErrorReason.InvalidSignature });
    }

    public void Dispose() => _caKey.Dispose();
}
