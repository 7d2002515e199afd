namespace PrivateSigstore.Monitor.Tests;

/// <summary>Configuration errors fail at start-up, naming the setting or the line.</summary>
public sealed class ConfigTests
{
    [Fact]
    public async Task A_bad_identity_config_fails_at_start_naming_the_line()
    {
        var path = Path.Combine(MonitorHost.TempDirectory(), "bad.yaml");
        File.WriteAllText(path, """
            monitoredValues:
              certIdentities:
                - certSubject: alice@example\.com
                  issuer: https://accounts\.example\.com
            """);
        var options = new MonitorOptions
        {
            DataDirectory = MonitorHost.TempDirectory(),
            Logs = [new MonitoredLogOptions { Kind = MonitoredLogKind.Ct, Url = "http://127.0.0.1:1", PublicKey = System.Security.Cryptography.ECDsa.Create().ExportSubjectPublicKeyInfoPem() }],
            IdentityConfigPath = path,
        };
        var e = await Assert.ThrowsAsync<IdentityConfigException>(() => MonitorApp.BuildAsync(options, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("line 4", e.Message, StringComparison.Ordinal);
        Assert.Contains("issuer", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("monitoredValues:\n  certIdentities:\n    - certSubject: \"(unclosed\"\n", "line 3")]
    [InlineData("monitoredValues:\n  subjects: [a\n", "line 3")]
    [InlineData("monitoredValues:\n  oidMatchers:\n    - objectIdentifier: not.an.oid\n      extensionValues: [x]\n", "line 3")]
    [InlineData("monitored:\n  subjects: []\n", "line 1")]
    public void Bad_yaml_names_the_line(string yaml, string line)
    {
        var e = Assert.Throws<IdentityConfigException>(() => IdentityWatch.Parse(yaml));
        Assert.Contains(line, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_upstream_example_config_parses()
    {
        var watch = IdentityWatch.Parse("""
            startIndex: 1000
            endIndex: 2000
            monitoredValues:
              certIdentities:
                - certSubject: user@domain\.com
                - certSubject: otheruser@domain\.com
                  issuers:
                    - https://accounts\.google\.com
                    - https://github\.com/login
              subjects:
                - subject@domain\.com
              fingerprints:
                - A0B1C2D3E4F5
              fulcioExtensions:
                build-config-uri:
                  - https://example.com/owner/repository/build-config.yml
              customExtensions:
                - objectIdentifier: 1.3.6.1.4.1.57264.1.9
                  extensionValues: https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@v1.4.0
            outputIdentities: identities.txt
            """);
        Assert.Equal(2, watch.CertIdentities.Count);
        Assert.Single(watch.Subjects);
        Assert.Equal(2, watch.OidMatchers.Count);
    }

    [Theory]
    [InlineData("PollIntervalMilliseconds", "Monitor:PollIntervalMilliseconds")]
    [InlineData("Url", "Monitor:Logs:0:Url")]
    [InlineData("Key", "Monitor:Logs:0")]
    [InlineData("Webhook", "Monitor:Webhooks:0")]
    [InlineData("None", "Monitor:TrustedRootPath or Monitor:Logs")]
    public void Invalid_options_name_the_setting(string what, string expected)
    {
        var options = new MonitorOptions
        {
            Logs = [new MonitoredLogOptions { Url = "http://127.0.0.1:1", PublicKey = "x" }],
        };
        switch (what)
        {
            case "PollIntervalMilliseconds": options.PollIntervalMilliseconds = 0; break;
            case "Url": options.Logs[0].Url = "ftp://x"; break;
            case "Key": options.Logs[0].PublicKey = null; break;
            case "Webhook": options.Webhooks = [new WebhookOptions { Url = "http://127.0.0.1:1" }]; break;
            case "None": options.Logs = []; break;
        }
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
