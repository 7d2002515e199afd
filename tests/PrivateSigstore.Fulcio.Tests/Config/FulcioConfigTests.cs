using PrivateSigstore.Fulcio.Config;

namespace PrivateSigstore.Fulcio.Tests.Config;

public sealed class FulcioConfigTests
{
    private static string TestData(string name) => Path.Combine(AppContext.BaseDirectory, "testdata", "config", name);

    [Fact]
    public void Upstream_config_yaml_loads_like_upstream_TestLoadFulcioConfig()
    {
        var config = FulcioConfig.Load(TestData("upstream-config.yaml"));
        Assert.True(config.OIDCIssuers.Count >= 20);
        Assert.NotEmpty(config.MetaIssuers);
        foreach (var url in config.OIDCIssuers.Keys)
        {
            var got = config.GetIssuer(url);
            Assert.NotNull(got);
            Assert.Equal("sigstore", got.ClientId);
            Assert.Equal(url, got.IssuerUrl);
            Assert.True(IssuerTypes.IsKnown(got.Type));
            if (got.Type == IssuerTypes.CIProvider)
            {
                Assert.True(config.CIIssuerMetadata.ContainsKey(got.CIProvider!));
            }
        }
        foreach (var pattern in config.MetaIssuers.Keys)
        {
            var url = pattern.Replace("*", "foo", StringComparison.Ordinal);
            var got = config.GetIssuer(url);
            Assert.NotNull(got);
            Assert.Equal("sigstore", got.ClientId);
            Assert.Equal(url, got.IssuerUrl);
        }
        Assert.Null(config.GetIssuer("not_an_issuer"));

        var google = config.OIDCIssuers["https://accounts.google.com"];
        Assert.Equal(IssuerTypes.Email, google.Type);
        Assert.Equal("tac@sigstore.dev", google.Contact);
        Assert.Equal("email", google.EffectiveChallengeClaim);
        var gh = config.OIDCIssuers["https://token.actions.githubusercontent.com"];
        Assert.Equal(IssuerTypes.CIProvider, gh.Type);
        Assert.Equal("github-workflow", gh.CIProvider);
        Assert.Equal("sub", gh.EffectiveChallengeClaim);
        var ghMeta = config.CIIssuerMetadata["github-workflow"];
        Assert.Contains("BuildSignerURI", ghMeta.ExtensionTemplates.Keys);
        Assert.Contains("job_workflow_ref", ghMeta.SubjectAlternativeNameTemplate, StringComparison.Ordinal);
        Assert.Equal("https://github.com", ghMeta.DefaultTemplateValues["url"]);
    }

    [Fact]
    public void Json_form_parses_with_go_field_names_and_defaults()
    {
        var config = FulcioConfig.Load(TestData("upstream-style.json"));
        Assert.Equal("foo", config.OIDCIssuers["https://accounts.google.com"].ClientId);
        Assert.Equal("sigstore", config.OIDCIssuers["https://example.com"].ClientId); // missing ClientID defaults
        Assert.Equal("$.federated_claims.connector_id", config.OIDCIssuers["https://oauth2.sigstore.dev/auth"].IssuerClaim);
        Assert.Equal("example.com", config.OIDCIssuers["https://spire.example.com"].SpiffeTrustDomain);
        Assert.Equal("event_name", config.CIIssuerMetadata["github-workflow"].ExtensionTemplates["BuildTrigger"]);
    }

    [Theory]
    [InlineData("https://oidc.eks.us-west-2.amazonaws.com/id/B02C93B6A2D30341AD01E1B6D48164CB", true)]
    [InlineData("https://oidc.eks.a_b-c.amazonaws.com/id/X", true)]
    [InlineData("https://oidc.eks.us-west-2.amazonaws.com/id/a/b", false)] // '*' never crosses '/'
    [InlineData("https://oidc.eks.us-west-2.amazonaws.com/id/", false)] // '*' needs one character
    [InlineData("https://oidc.eks.x.amazonaws.com/id/abc/../x", false)]
    [InlineData("https://oidc.eks.us.west.amazonaws.com/id/x", false)] // '.' is not in the class
    [InlineData("https://evil.com/https://oidc.eks.x.amazonaws.com/id/x", false)] // anchored (GHSA-59jp-pj84-45mr)
    [InlineData("https://oidc.eks.x.amazonaws.com/id/x.evil.com", false)]
    [InlineData("https://oidc.eksXx.amazonaws.com/id/x", false)] // '.' is literal
    [InlineData("https://oidc.eks.x.amazonaws.com/id/abc\n", false)] // '$' matched before a final newline (issue 20 #3)
    [InlineData("https://oidc.eks.x.amazonaws.com/id/abc\r\n", false)]
    public void Meta_issuer_wildcards_are_anchored_and_do_not_cross_segments(string iss, bool match)
    {
        var config = FulcioConfig.Load(TestData("upstream-style.json"));
        var got = config.GetIssuer(iss);
        Assert.Equal(match, got is not null);
        if (got is not null)
        {
            Assert.Equal(iss, got.IssuerUrl);
            Assert.Equal("bar", got.ClientId);
            Assert.Equal(IssuerTypes.Kubernetes, got.Type);
        }
    }

    [Fact]
    public void Exact_issuer_wins_and_unknown_is_null()
    {
        var config = FulcioConfig.Load(TestData("upstream-style.json"));
        Assert.Equal("foo", config.GetIssuer("https://accounts.google.com")!.ClientId);
        Assert.Null(config.GetIssuer("https://accounts.google.com/"));
        Assert.Null(config.GetIssuer("https://unknown.example"));
    }

    [Fact]
    public void Yaml_with_extensions_parses()
    {
        const string yaml = """
            oidc-issuers:
              https://token.actions.githubusercontent.com:
                issuer-url: https://token.actions.githubusercontent.com
                type: github-workflow
                skip-email-verification: true
                allowed-claims:
                  repository_owner: [my-org, "my-*"]
                  ref: refs/heads/main
            """;
        var issuer = FulcioConfig.Parse(yaml).OIDCIssuers["https://token.actions.githubusercontent.com"];
        Assert.Equal("sigstore", issuer.ClientId);
        Assert.True(issuer.SkipEmailVerification);
        Assert.Equal(["my-org", "my-*"], issuer.AllowedClaims["repository_owner"]);
        Assert.Equal(["refs/heads/main"], issuer.AllowedClaims["ref"]);
    }

    [Theory]
    [InlineData("""{"OIDCIssuers":{"https://a.example.com":{"IssuerURL":"https://a.example.com","Type":"bogus"}}}""", "unknown issuer type")]
    [InlineData("""{"OIDCIssuers":{"https://a.example.com":{"IssuerURL":"https://a.example.com"}}}""", "missing Type")]
    [InlineData("""{"OIDCIssuers":{"https://a.example.com":{"IssuerURL":"https://a.example.com","Type":"uri"}}}""", "uri issuer must have SubjectDomain set")]
    [InlineData("""{"OIDCIssuers":{"https://a.example.com":{"IssuerURL":"https://a.example.com","Type":"username"}}}""", "username issuer must have SubjectDomain set")]
    [InlineData("""{"OIDCIssuers":{"https://a.example.com":{"IssuerURL":"https://a.example.com","Type":"uri","SubjectDomain":"example.com"}}}""", "must contain scheme")]
    [InlineData("""{"OIDCIssuers":{"https://a.example.com":{"IssuerURL":"https://a.example.com","Type":"uri","SubjectDomain":"http://example.com"}}}""", "schemes do not match")]
    [InlineData("""{"OIDCIssuers":{"https://a.example.com":{"IssuerURL":"https://a.example.com","Type":"uri","SubjectDomain":"https://other.com"}}}""", "do not match")]
    [InlineData("""{"OIDCIssuers":{"https://a.example.com":{"IssuerURL":"https://a.example.com","Type":"username","SubjectDomain":"https://example.com"}}}""", "should not contain scheme")]
    [InlineData("""{"OIDCIssuers":{"https://a.example.com":{"IssuerURL":"https://a.example.com","Type":"spiffe"}}}""", "SPIFFETrustDomain")]
    [InlineData("""{"OIDCIssuers":{"https://a.example.com":{"IssuerURL":"https://a.example.com","Type":"spiffe","SPIFFETrustDomain":"Not Valid"}}}""", "spiffe trust domain is invalid")]
    [InlineData("""{"OIDCIssuers":{"https://a.example.com":{"IssuerURL":"https://a.example.com","Type":"ci-provider","CIProvider":"nope"}}}""", "not defined in CIIssuerMetadata")]
    [InlineData("""{"OIDCIssuers":{"https://a.example.com":{"IssuerURL":"https://a.example.com","Type":"uri","SubjectDomain":"https://example.com","IssuerClaim":"$.x"}}}""", "only email issuers")]
    [InlineData("""{"OIDCIssuers":{"https://a.example.com":{"IssuerURL":"https://a.example.com","Type":"email","CACert":"not a pem"}}}""", "failed to parse CA certificate")]
    [InlineData("""{"OIDCIssuers":{"https://a.example.com":{"IssuerURL":"https://a.example.com","Type":"email","JwksFile":"/nonexistent/jwks.json"}}}""", "JwksFile")]
    [InlineData("""{"MetaIssuers":{"https://*.example.com":{"Type":"spiffe","SPIFFETrustDomain":"example.com"}}}""", "SPIFFE meta issuers not supported")]
    [InlineData("""{"CIIssuerMetadata":{"x":{"SubjectAlternativeNameTemplate":"{{ .a "}}}""", "not a valid template")]
    [InlineData("oidc-issuers: [unclosed", "parse")]
    public void Invalid_configs_fail_with_clear_errors(string text, string expected)
    {
        var ex = Assert.Throws<FulcioConfigException>(() => FulcioConfig.Parse(text));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Username_subject_domain_shares_two_labels_with_issuer()
    {
        var config = FulcioConfig.Parse("""{"OIDCIssuers":{"https://auth.example.com":{"IssuerURL":"https://auth.example.com","Type":"username","SubjectDomain":"users.example.com"}}}""");
        Assert.Equal("sub", config.OIDCIssuers["https://auth.example.com"].EffectiveChallengeClaim);
    }
}
