using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Cli.Commands;
using PrivateSigstore.Cli.Gate;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// The verify-before-use gate against real keyless signatures (our IdP, Fulcio and Rekor over loopback): psig exec
/// runs a signed tool and refuses tampered, unsigned and other-identity tools without running them; required
/// attestations; fail closed without a matching policy; break-glass recorded; records replay; the HTTP endpoint.
/// </summary>
public sealed class GateTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    private const string Script = "#!/bin/sh\necho \"ran $2\" > \"$1\"\n";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Exec_runs_only_a_tool_signed_by_the_policys_identity()
    {
        await using var stack = await KeylessTests.KeylessStack.StartAsync(rekor);
        var (dir, policy) = Workspace(stack);
        var signed = Tool(dir, "tools/signed.sh");
        var tampered = Tool(dir, "tools/tampered.sh");
        var unsigned = Tool(dir, "tools/unsigned.sh");
        var other = Tool(dir, "tools/other.sh");
        await SignAsync(stack, signed, "release-bot@example.com");
        await SignAsync(stack, tampered, "release-bot@example.com");
        await File.AppendAllTextAsync(tampered, "echo pwned\n", Ct);
        await SignAsync(stack, other, "eve@example.com");

        var marker = Path.Combine(dir, "signed.out");
        var record = Path.Combine(dir, "signed.record.json");
        var run = await Psig.RunAsync("exec", "--policy", policy, "--record", record, "--", signed, marker, "hello");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal("ran hello\n", await File.ReadAllTextAsync(marker, Ct));
        var replay = await Psig.RunAsync("record", "verify", record);
        Assert.True(replay.ExitCode == 0, replay.Error);
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(record, Ct)))
        {
            var r = json.RootElement;
            Assert.Equal("allowed", r.GetProperty("decision").GetString());
            Assert.Equal("tools", r.GetProperty("gatePolicy").GetProperty("name").GetString());
            Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(policy))), r.GetProperty("gatePolicy").GetProperty("digest").GetString());
            Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(signed))), r.GetProperty("artifact").GetProperty("digest").GetString());
            Assert.Equal("release-bot@example.com", r.GetProperty("certificateIdentity").GetString());
        }

        foreach (var (tool, why) in new[] { (tampered, "artifact"), (unsigned, "unsigned"), (other, "identity") })
        {
            var output = Path.Combine(dir, Path.GetFileName(tool) + ".out");
            var refused = await Psig.RunAsync("exec", "--policy", policy, "--", tool, output, "x");
            Assert.True(refused.ExitCode == GateCommands.Refused, $"{tool}: {refused.ExitCode} {refused.Error}");
            Assert.False(File.Exists(output), $"{tool} ran although refused");
            Assert.Contains(why, refused.Error, StringComparison.Ordinal);
        }

        // Break-glass: runs the refused tool, says so loudly, and records the reason; the record replays.
        var glassOut = Path.Combine(dir, "glass.out");
        var glassRecord = Path.Combine(dir, "glass.record.json");
        var glass = await Psig.RunAsync("exec", "--policy", policy, "--record", glassRecord, "--break-glass", "INC-42: signer outage", "--", unsigned, glassOut, "y");
        Assert.Equal(0, glass.ExitCode);
        Assert.True(File.Exists(glassOut));
        Assert.Contains("BREAK-GLASS", glass.Error, StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(glassRecord, Ct)))
        {
            Assert.Equal("break-glass", json.RootElement.GetProperty("decision").GetString());
            Assert.Equal("INC-42: signer outage", json.RootElement.GetProperty("breakGlassReason").GetString());
        }
        var glassReplay = await Psig.RunAsync("record", "verify", glassRecord);
        Assert.True(glassReplay.ExitCode == 0, glassReplay.Error);
        Assert.Contains("INC-42", glassReplay.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gate_check_fails_closed_and_requires_the_attestations_the_policy_names()
    {
        await using var stack = await KeylessTests.KeylessStack.StartAsync(rekor);
        var (dir, policy) = Workspace(stack);
        var tool = Tool(dir, "attested/agent.sh");
        await SignAsync(stack, tool, "release-bot@example.com");

        var missing = await Psig.RunAsync("gate", "check", tool, "--policy", policy);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("required attestation https://slsa.dev/provenance/v1 is missing", missing.Error, StringComparison.Ordinal);

        var predicate = Path.Combine(dir, "provenance.json");
        await File.WriteAllTextAsync(predicate, """{"buildDefinition":{"buildType":"https://example.com/build"}}""", Ct);
        var attest = await Psig.RunAsync("attest", tool, "--predicate", predicate, "--type", "https://slsa.dev/provenance/v1", "--bundle", tool + ".provenance.sigstore.json",
            "--identity-token", stack.EmailToken("release-bot@example.com"), "--fulcio-url", stack.FulcioUrl, "--rekor-url", rekor.Url);
        Assert.True(attest.ExitCode == 0, attest.Error);
        var record = Path.Combine(dir, "attested.record.json");
        var allowed = await Psig.RunAsync("gate", "check", tool, "--policy", policy, "--record", record);
        Assert.True(allowed.ExitCode == 0, allowed.Error);
        Assert.Contains("not a safety verdict", allowed.Out, StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(record, Ct)))
        {
            var link = json.RootElement.GetProperty("links")[0];
            Assert.Equal("https://slsa.dev/provenance/v1", link.GetProperty("predicateType").GetString());
            Assert.Equal("verified", link.GetProperty("verdict").GetString());
        }

        // Nothing matches a path outside the policies' globs: refused.
        var stray = Tool(dir, "elsewhere/tool.sh");
        await SignAsync(stack, stray, "release-bot@example.com");
        var unmatched = await Psig.RunAsync("gate", "check", stray, "--policy", policy);
        Assert.Equal(1, unmatched.ExitCode);
        Assert.Contains("no policy", unmatched.Error, StringComparison.Ordinal);
        Assert.Contains("fails closed", unmatched.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gate_check_answers_for_a_signed_model_directory()
    {
        await using var stack = await KeylessTests.KeylessStack.StartAsync(rekor);
        var (dir, policy) = Workspace(stack);
        var model = Directory.CreateDirectory(Path.Combine(dir, "models", "tiny")).FullName;
        await File.WriteAllTextAsync(Path.Combine(model, "weights.bin"), "0123456789", Ct);
        var sign = await Psig.RunAsync("sign-model", model, "--signature", Path.Combine(model, "model.sig"), "--identity-token", stack.EmailToken("ml@example.com"),
            "--fulcio-url", stack.FulcioUrl, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);

        var record = Path.Combine(dir, "model.record.json");
        var ok = await Psig.RunAsync("gate", "check", model, "--policy", policy, "--record", record);
        Assert.True(ok.ExitCode == 0, ok.Error);
        Assert.Equal(0, (await Psig.RunAsync("record", "verify", record)).ExitCode);

        await File.WriteAllTextAsync(Path.Combine(model, "weights.bin"), "tampered!!", Ct);
        var refused = await Psig.RunAsync("gate", "check", model, "--policy", policy);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("weights.bin", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_http_endpoint_decides_on_a_digest_and_bundle()
    {
        await using var stack = await KeylessTests.KeylessStack.StartAsync(rekor);
        var (dir, policy) = Workspace(stack);
        var tool = Tool(dir, "tools/served.sh");
        await SignAsync(stack, tool, "release-bot@example.com");
        var console = new CliConsole(TextWriter.Null, TextWriter.Null, false);
        var engine = await GateCommands.LoadAsync(console, new FileInfo(policy), Ct);
        await using var app = await GateServer.StartAsync(console, engine, 0, Ct);
        using var http = new HttpClient { BaseAddress = new Uri(GateServer.Address(app)) };
        var bundle = JsonNode.Parse(await File.ReadAllTextAsync(tool + ".sigstore.json", Ct));
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(tool)));

        var allowed = await PostAsync(http, new JsonObject { ["policy"] = "tools", ["digest"] = digest, ["bundle"] = bundle!.DeepClone(), ["artifact"] = "tools/served.sh" });
        Assert.Equal("allowed", (string?)allowed["decision"]);
        Assert.Equal("release-bot@example.com", (string?)allowed["record"]!["certificateIdentity"]);

        var wrongDigest = await PostAsync(http, new JsonObject { ["policy"] = "tools", ["digest"] = "sha256:" + new string('1', 64), ["bundle"] = bundle.DeepClone() });
        Assert.Equal("refused", (string?)wrongDigest["decision"]);

        var unknownPolicy = await PostAsync(http, new JsonObject { ["policy"] = "nope", ["digest"] = digest, ["bundle"] = bundle.DeepClone() });
        Assert.Equal("refused", (string?)unknownPolicy["decision"]);

        using var bad = await http.PostAsync(new Uri("/v1/verify", UriKind.Relative), new StringContent("{\"policy\":\"tools\"}"), Ct);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);

        // A member named twice is ambiguous (which policy did the caller mean?): a 400 that says why, not a 500.
        using var twice = await http.PostAsync(new Uri("/v1/verify", UriKind.Relative), new StringContent("{\"policy\":\"tools\",\"policy\":\"nope\",\"digest\":\"" + digest + "\"}"), Ct);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, twice.StatusCode);
        Assert.Contains("policy", await twice.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        // The hand-matched route: other methods are 405 with Allow, other paths 404.
        using var get = await http.GetAsync(new Uri("/v1/verify", UriKind.Relative), Ct);
        Assert.Equal(System.Net.HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Contains("POST", get.Content.Headers.Allow);
        using var elsewhere = await http.PostAsync(new Uri("/v1/other", UriKind.Relative), new StringContent("{}"), Ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, elsewhere.StatusCode);
    }

    [Fact]
    public async Task Bad_policies_and_flags_are_one_line_and_exit_2()
    {
        var dir = Directory.CreateDirectory(Path.Combine(rekor.Directory, "bad-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var tool = Tool(dir, "tools/t.sh");
        var cases = new Dictionary<string, string>
        {
            ["broken.yaml"] = "policies: [\n  - name: x\n",
            ["empty.yaml"] = "trustedRoot: x.json\n",
            ["noauth.yaml"] = "policies:\n  - name: tools\n    match: [\"tools/**\"]\n",
            ["both.yaml"] = "policies:\n  - name: tools\n    match: [\"tools/**\"]\n    authorities:\n      - keyless: {identities: [{issuer: https://i, subject: a, subjectRegExp: b}]}\n",
            ["badkey.yaml"] = "policies:\n  - name: tools\n    match: [\"tools/**\"]\n    authorities:\n      - key: {data: not-a-key}\n",
        };
        foreach (var (name, yaml) in cases)
        {
            var path = Path.Combine(dir, name);
            await File.WriteAllTextAsync(path, yaml, Ct);
            var result = await Psig.RunAsync("gate", "check", tool, "--policy", path);
            Assert.True(result.ExitCode == 2, $"{name}: {result.ExitCode} {result.Error}");
            Assert.Single(result.Error.Trim().Split('\n'));
            Assert.Contains(name, result.Error, StringComparison.Ordinal);
        }
        Assert.Equal(2, (await Psig.RunAsync("gate", "check", tool, "--policy", Path.Combine(dir, "missing.yaml"))).ExitCode);
        Assert.Equal(2, (await Psig.RunAsync("gate", "check", Path.Combine(dir, "no-such-tool"), "--policy", Path.Combine(dir, "noauth.yaml"))).ExitCode);
        Assert.Equal(2, (await Psig.RunAsync("exec", "--policy", Path.Combine(dir, "noauth.yaml"))).ExitCode);
        Assert.Equal(2, (await Psig.RunAsync("exec", "--policy", Path.Combine(dir, "noauth.yaml"), "--break-glass", " ", "--", tool)).ExitCode);
        Assert.Equal(2, (await Psig.RunAsync("record", "verify", Path.Combine(dir, "broken.yaml"))).ExitCode);
        Assert.Equal(0, (await Psig.RunAsync("gate", "--help")).ExitCode);
        Assert.Equal(0, (await Psig.RunAsync("exec", "--help")).ExitCode);
    }

    private static async Task<JsonObject> PostAsync(HttpClient http, JsonObject body)
    {
        using var response = await http.PostAsJsonAsync(new Uri("/v1/verify", UriKind.Relative), body, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        return (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
    }

    private async Task SignAsync(KeylessTests.KeylessStack stack, string file, string email)
    {
        var sign = await Psig.RunAsync("sign-blob", file, "--identity-token", stack.EmailToken(email), "--fulcio-url", stack.FulcioUrl, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
    }

    /// <summary>A directory with the policy file: tools/** by release-bot, attested/** also needing SLSA provenance, models/** by ml@.</summary>
    private (string Dir, string Policy) Workspace(KeylessTests.KeylessStack stack)
    {
        var dir = Directory.CreateDirectory(Path.Combine(rekor.Directory, "gate-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var policy = Path.Combine(dir, "policy.yaml");
        File.WriteAllText(policy, $"""
            trustedRoot: {stack.TrustedRootPath}
            policies:
              - name: tools
                match: ["tools/**"]
                authorities:
                  - keyless:
                      identities:
                        - issuer: {stack.EmailIssuer}
                          subject: release-bot@example.com
              - name: agents
                match: ["attested/*"]
                authorities:
                  - keyless:
                      identities:
                        - issuer: {stack.EmailIssuer}
                          subjectRegExp: release-.*@example\.com
                attestations:
                  - predicateType: https://slsa.dev/provenance/v1
              - name: models
                match: ["models/**"]
                authorities:
                  - keyless:
                      identities:
                        - issuer: {stack.EmailIssuer}
                          subject: ml@example.com
            """);
        return (dir, policy);
    }

    private static string Tool(string dir, string relative)
    {
        var path = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, Script);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return path;
    }
}
