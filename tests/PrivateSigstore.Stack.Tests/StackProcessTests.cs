using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Tests.Support;

namespace PrivateSigstore.Stack.Tests;

/// <summary>Runs the README's first command as a user would: a child process, a fresh data directory, Ctrl-C, restart.</summary>
public sealed class StackProcessTests
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int[]> PortsByData = new(StringComparer.Ordinal);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stack_starts_reports_readiness_stops_on_ctrl_c_and_keeps_its_log_across_restarts()
    {
        var data = Path.Combine(Path.GetTempPath(), "psig-stack-tests", Guid.NewGuid().ToString("N"));
        var port = FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        string body;
        (body, var output) = await RunAsync(data, port, async () =>
        {
            var entry = """{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}""";
            // A bad entry is refused; the log still answers.
            Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("/api/v1/log/entries", new StringContent(entry, Encoding.UTF8, "application/json"), Ct)).StatusCode);
            // A valid hashedrekord is logged.
            using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
            var digest = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            var sig = key.SignHash(digest, System.Security.Cryptography.DSASignatureFormat.Rfc3279DerSequence);
            var pem = Convert.ToBase64String(Encoding.UTF8.GetBytes(key.ExportSubjectPublicKeyInfoPem() + "\n"));
            var valid = new JsonObject
            {
                ["apiVersion"] = "0.0.1",
                ["kind"] = "hashedrekord",
                ["spec"] = new JsonObject
                {
                    ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(digest) } },
                    ["signature"] = new JsonObject { ["content"] = Convert.ToBase64String(sig), ["publicKey"] = new JsonObject { ["content"] = pem } },
                },
            }.ToJsonString();
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/api/v1/log/entries", new StringContent(valid, Encoding.UTF8, "application/json"), Ct)).StatusCode);
            return await http.GetStringAsync("/api/v1/log/publicKey", Ct);
        });
        Assert.Contains("Rekor (transparency log, Rekor v1 API)", output, StringComparison.Ordinal);
        Assert.Contains("ready", output, StringComparison.Ordinal);
        Assert.Contains("Fulcio-compatible CA", output, StringComparison.Ordinal);
        Assert.Contains("CT log (RFC 6962)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("NOT READY", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(data, "trusted_root.json")), "the trusted root is written for clients");
        Assert.True(File.Exists(Path.Combine(data, "signing_config.v0.2.json")), "the signing config is written for clients");
        Assert.Contains("stopped.", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(data, "tuf", "root.json")), "the TUF repository's first root is left for clients");
        Assert.Contains("ITS ROOT AND TARGETS KEYS ARE DEVELOPMENT PEM FILES", output, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows() && File.Exists("/usr/lib/softhsm/libsofthsm2.so"))
        {
            // SoftHSM2 is installed (CI installs it): every key is in the stack's own token, none on disk.
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "softhsm", "pin")));
            Assert.False(File.Exists(Path.Combine(data, "rekor", "rekor-key.pem")), "no PEM key when the keys are in SoftHSM2");
            Assert.False(File.Exists(Path.Combine(data, "fulcio", "ca-intermediate-key.pem")), "no PEM CA key when the keys are in SoftHSM2");
            // TUF: the online snapshot and timestamp keys in the token; root and targets are the development PEM files.
            Assert.False(File.Exists(Path.Combine(data, "tuf", "keys", "snapshot-key.pem")), "the TUF snapshot key is in SoftHSM2");
            Assert.True(File.Exists(Path.Combine(data, "tuf", "keys", "root-key.pem")), "the development TUF root key");
        }
        else
        {
            Assert.True(File.Exists(Path.Combine(data, "rekor", "rekor-key.pem")), "the development key is kept in the data directory");
        }

        // Second start reuses everything: same log key, and the entry is still there.
        var ((again, logInfo), secondOutput) = await RunAsync(data, port, async () =>
            (await http.GetStringAsync("/api/v1/log/publicKey", Ct), await http.GetStringAsync("/api/v1/log", Ct)));
        Assert.Equal(body, again);
        Assert.Equal(1, JsonNode.Parse(logInfo)!["treeSize"]!.GetValue<long>());
        // Same ports, same trust files: no targets update.
        Assert.DoesNotContain("The trust files changed", secondOutput, StringComparison.Ordinal);
        Assert.Equal(1, Tuf.TufRepository.Open(Path.Combine(data, "tuf")).PublishedTargets!.Version);

        // The identity admin commands from the stack's own build, on its data directory: the demo person is there.
        var (listed, people) = await RunOnceAsync(["admin", "--data", data, "users", "list"]);
        Assert.True(listed == 0, people);
        Assert.StartsWith("demo\temail=demo@privatesigstore.local", people, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_is_reachable_from_the_stack_refuses_to_create_a_store_and_has_help()
    {
        var data = Path.Combine(Path.GetTempPath(), "psig-stack-tests", Guid.NewGuid().ToString("N"));

        var (exit, output) = await RunOnceAsync(["admin", "--data", data, "users", "list"]);
        var (helpExit, help) = await RunOnceAsync(["admin", "--help"]);
        var (_, stackHelp) = await RunOnceAsync(["--help"]);

        Assert.Equal(1, exit);
        Assert.Equal($"error: no identity store at {Path.Combine(data, "identity", "identity.db")}: start the identity provider (or the stack) once to create it, or point --data-dir (the stack: --data) at the data directory it uses\n", output);
        Assert.False(Directory.Exists(data), "no store (nor directory) is created by an admin command");
        Assert.Equal(0, helpExit);
        Assert.Contains("PrivateSigstore.Stack admin [--data DIR] COMMAND", help, StringComparison.Ordinal);
        Assert.Contains("clients add CLIENT_ID --subject SUB", help, StringComparison.Ordinal);
        Assert.Contains("admin", stackHelp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Psig_signs_keylessly_as_the_demo_workload_and_the_bundle_verifies_with_psig_and_sigstore_js_across_a_restart()
    {
        NodeScript.Require();
        var data = Path.Combine(Path.GetTempPath(), "psig-stack-tests", Guid.NewGuid().ToString("N"));
        var work = Directory.CreateDirectory(Path.Combine(data, "..", Guid.NewGuid().ToString("N") + "-work")).FullName;
        var artifact = Path.Combine(work, "artifact.txt");
        await File.WriteAllTextAsync(artifact, $"signed by the demo workload {Guid.NewGuid()}\n", Ct);
        var bundle = artifact + ".sigstore.json";
        var port = FreePort();

        // The monitor watches the demo workload's identity (rekor-monitor's YAML, as --monitor-config).
        var watch = Path.Combine(work, "monitor.yaml");
        await File.WriteAllTextAsync(watch, "monitoredValues:\n  certIdentities:\n    - certSubject: demo-workload@privatesigstore\\.local\n      issuers:\n        - .*\n", Ct);

        // First start: run the printed sign and verify commands (the psig.dll built with the stack, as printed; our file instead of README.md).
        var (verify, _) = await RunAsync(data, port, async printed =>
        {
            var sign = PrintedPsig(printed, "sign-blob", artifact);
            var verifyArgs = PrintedPsig(printed, "verify-blob", artifact);
            var (signExit, signOut) = await PsigAsync(sign);
            Assert.True(signExit == 0, signOut);
            Assert.True(File.Exists(bundle), signOut);
            var signedAt = DateTimeOffset.UtcNow;
            var (verifyExit, verifyOut) = await PsigAsync(verifyArgs);
            Assert.True(verifyExit == 0, verifyOut);

            // The signing raised an identity alert in the monitor's feed (bounded wait; the monitor polls every second).
            var monitor = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(data, "services.json"), Ct))!["monitor"]!.GetValue<string>();
            using var http = new HttpClient();
            JsonNode? alert = null;
            for (var i = 0; i < 100 && alert is null; i++)
            {
                var feed = JsonNode.Parse(await http.GetStringAsync(new Uri(monitor + "/api/v1/alerts"), Ct))!.AsArray();
                alert = feed.FirstOrDefault(a => a!["kind"]!.GetValue<string>() == "identity-match");
                if (alert is null) await Task.Delay(100, Ct);
            }
            Assert.True(alert is not null, "no identity-match alert in the monitor's feed within 10 s");
            Assert.Contains("demo-workload@privatesigstore.local", alert!.ToJsonString(), StringComparison.Ordinal);
            Assert.True(DateTimeOffset.UtcNow - signedAt < TimeSpan.FromSeconds(10));
            return verifyArgs;
        }, "--monitor-config", watch);

        // The same bundle with the unchanged sigstore-js verifier and our trusted root (default thresholds).
        var demo = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(data, "identity", "demo-credentials.json"))).RootElement;
        var san = demo.GetProperty("WorkloadEmail").GetString()!;
        var issuer = verify[verify.IndexOf("--certificate-oidc-issuer") + 1];
        var node = await NodeScript.RunAsync("verify-keyless.mjs", new Dictionary<string, string>
        {
            ["TRUSTED_ROOT"] = Path.Combine(data, "trusted_root.json"),
            ["BUNDLE"] = bundle,
            ["ARTIFACT"] = artifact,
            ["EXPECTED_SAN"] = san,
            ["EXPECTED_ISSUER"] = issuer,
        }, Ct);
        Assert.True(node.ExitCode == 0, node.Report());
        // psig took the stack's signing config as sigstore-go does: the highest Rekor API version (v2, tiles), with an
        // RFC 3161 timestamp from the stack's TSA, since a v2 entry has no SET.
        var written = JsonNode.Parse(File.ReadAllText(bundle))!["verificationMaterial"]!;
        Assert.Equal("0.0.2", written["tlogEntries"]![0]!["kindVersion"]!["version"]!.GetValue<string>());
        Assert.Single(written["timestampVerificationData"]!["rfc3161Timestamps"]!.AsArray());

        // Second start: the keys and the log survived, so the bundle still verifies; a tampered artifact does not.
        await RunAsync(data, port, async printed =>
        {
            var (exit, output) = await PsigAsync(PrintedPsig(printed, "verify-blob", artifact));
            Assert.True(exit == 0, output);
            var tampered = Path.Combine(work, "tampered.txt");
            await File.WriteAllTextAsync(tampered, "not what was signed\n", Ct);
            var args = PrintedPsig(printed, "verify-blob", tampered);
            args[args.IndexOf("--bundle") + 1] = bundle;
            Assert.Equal(1, (await PsigAsync(args)).Exit);
            return 0;
        });
    }

    /// <summary>
    /// The arguments of the printed `dotnet …/psig.dll COMMAND …` line, for <paramref name="artifact"/>: the stack prints
    /// the psig built with it (which starts in a fraction of a second), not `dotnet run`.
    /// </summary>
    internal static List<string> PrintedPsig(string printed, string command, string artifact)
    {
        var line = printed.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("dotnet ", StringComparison.Ordinal) && l.Contains("psig.dll " + command + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"the stack did not print a `dotnet …/psig.dll {command}` command:\n{printed}");
        Assert.DoesNotContain("dotnet run", printed, StringComparison.Ordinal);
        var dll = line!["dotnet ".Length..line.IndexOf("psig.dll ", StringComparison.Ordinal)] + "psig.dll";
        Assert.True(File.Exists(dll), $"the printed psig {dll} does not exist");
        Assert.Equal(Path.GetFullPath(PsigDll()), dll);
        return [.. line[(line.IndexOf("psig.dll ", StringComparison.Ordinal) + "psig.dll ".Length)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(a => a == "README.md" ? artifact : a == "README.md.sigstore.json" ? artifact + ".sigstore.json" : a)];
    }

    private static string PsigDll() =>
        Path.Combine(Path.GetDirectoryName(StackPath())!, "..", "..", "..", "..", "PrivateSigstore.Cli", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "psig.dll");

    internal static async Task<(int Exit, string Output)> PsigAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        psi.ArgumentList.Add(PsigDll());
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
        return (process.ExitCode, $"psig {string.Join(' ', psi.ArgumentList.Skip(1))}\nexit {process.ExitCode}\n{await stdout}\n{await stderr}");
    }

    internal static Task<(T Result, string Output)> RunAsync<T>(string data, int port, Func<Task<T>> whileRunning) =>
        RunAsync(data, port, _ => whileRunning());

    /// <summary>Runs the stack; <paramref name="whileRunning"/> gets what it printed up to "Press Ctrl-C".</summary>
    internal static Task<(T Result, string Output)> RunAsync<T>(string data, int port, Func<string, Task<T>> whileRunning, params string[] extra)
    {
        // The other services on free ports too, so that the test never collides with a stack running on the defaults;
        // the same ports on every start with this data directory, as a user's stack has (the issuer URL is in every token).
        var ports = PortsByData.GetOrAdd(data, _ => [FreePort(), FreePort(), FreePort(), FreePort(), FreePort(), FreePort(), FreePort(), FreePort(), FreePort()]);
        var args = new List<string> { "--data", data, "--rekor-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var (name, value) in new[] { "--fulcio-port", "--ctlog-port", "--identity-port", "--tsa-port", "--rekor-v2-port", "--tuf-port", "--witness-port", "--monitor-port", "--explorer-port" }.Zip(ports))
        {
            args.Add(name);
            args.Add(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        args.AddRange(extra);
        return RunStackAsync(args, whileRunning);
    }

    [Fact]
    public async Task Free_ports_writes_services_json_with_the_urls_of_the_trust_files_and_every_service_is_ready()
    {
        var data = Path.Combine(Path.GetTempPath(), "psig-stack-tests", Guid.NewGuid().ToString("N"));
        var (registry, output) = await RunStackAsync(["--data", data, "--free-ports", "--pem-keys"], async _ =>
        {
            var json = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(data, "services.json"), Ct))!.AsObject();
            using var http = new HttpClient();
            foreach (var (name, url) in json)
            {
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"{url}/readyz"), Ct)).StatusCode);
            }
            // The witness knows the stack's Rekor v2 log: it cosigns its checkpoint (C2SP tlog-witness, old size 0), and the
            // cosignature verifies with the verifier key it publishes.
            var witness = json["witness"]!.GetValue<string>();
            var checkpoint = await http.GetStringAsync(new Uri(json["rekor-v2"]!.GetValue<string>() + "/api/v2/checkpoint"), Ct);
            using var add = await http.PostAsync(new Uri(witness + "/add-checkpoint"), new StringContent("old 0\n\n" + checkpoint), Ct);
            var cosignature = await add.Content.ReadAsStringAsync(Ct);
            Assert.True(add.StatusCode == HttpStatusCode.OK, cosignature);
            var vkey = JsonNode.Parse(await http.GetStringAsync(new Uri(witness + "/api/v1/witness"), Ct))!["verifierKey"]!.GetValue<string>();
            var (witnessName, witnessKey) = Core.Notes.Cosignature.ParseVerifierKey(vkey);
            var cosigned = Core.Notes.SignedNote.Parse(checkpoint.TrimEnd('\n') + "\n" + cosignature.TrimEnd('\n') + "\n");
            Assert.Contains(cosigned.Signatures, sig => Core.Notes.Cosignature.Verify(sig, witnessName, witnessKey, cosigned.Text, out ulong _));
            return json;
        });
        Assert.Equal(["identity", "fulcio", "ctlog", "rekor", "rekor-v2", "tsa", "tuf", "witness", "monitor", "explorer"], registry.Select(p => p.Key));
        var urls = registry.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());
        Assert.All(urls.Values, u => Assert.Matches(@"^http://127\.0\.0\.1:\d+$", u));
        Assert.Equal(10, urls.Values.Distinct().Count());
        Assert.DoesNotContain(":3000", urls["rekor"], StringComparison.Ordinal);
        // The trust files and the printed table name the same URLs.
        var root = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(data, "trusted_root.json"), Ct))!;
        Assert.Equal(urls["rekor"], root["tlogs"]![0]!["baseUrl"]!.GetValue<string>());
        Assert.Equal(urls["ctlog"], root["ctlogs"]![0]!["baseUrl"]!.GetValue<string>());
        Assert.Equal(urls["fulcio"], root["certificateAuthorities"]![0]!["uri"]!.GetValue<string>());
        var signing = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(data, "signing_config.v0.2.json"), Ct))!;
        Assert.Equal(urls["fulcio"], signing["caUrls"]![0]!["url"]!.GetValue<string>());
        // Both logs with their API versions, v2 first (what sigstore-js picks among equal starts; psig takes the highest).
        Assert.Equal(urls["rekor-v2"], signing["rekorTlogUrls"]![0]!["url"]!.GetValue<string>());
        Assert.Equal(2, signing["rekorTlogUrls"]![0]!["majorApiVersion"]!.GetValue<int>());
        Assert.Equal(urls["rekor"], signing["rekorTlogUrls"]![1]!["url"]!.GetValue<string>());
        Assert.Equal(1, signing["rekorTlogUrls"]![1]!["majorApiVersion"]!.GetValue<int>());
        Assert.Equal(urls["rekor-v2"], root["tlogs"]![1]!["baseUrl"]!.GetValue<string>());
        Assert.Equal(root["tlogs"]![1]!["logId"]!["keyId"]!.GetValue<string>(), root["tlogs"]![1]!["checkpointKeyId"]!["keyId"]!.GetValue<string>());
        Assert.Null(root["tlogs"]![0]!["checkpointKeyId"]);
        Assert.StartsWith(urls["identity"], signing["oidcUrls"]![0]!["url"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(urls["tsa"], root["timestampAuthorities"]![0]!["uri"]!.GetValue<string>());
        Assert.Equal(urls["tsa"] + "/api/v1/timestamp", signing["tsaUrls"]![0]!["url"]!.GetValue<string>());
        foreach (var (name, url) in urls) Assert.Contains(url, output, StringComparison.Ordinal);
        // How to point clients at the TUF repository, printed with the services.
        var tufRoot = Path.Combine(data, "tuf", "root.json");
        Assert.True(File.Exists(tufRoot), "data/tuf/root.json");
        Assert.Contains($"psig initialize --mirror {urls["tuf"]} --root {tufRoot}", output, StringComparison.Ordinal);
        Assert.Contains($"cosign initialize --mirror {urls["tuf"]} --root {tufRoot}", output, StringComparison.Ordinal);
        Assert.Contains($"tufMirrorURL: '{urls["tuf"]}', tufRootPath: '{tufRoot}'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_stack_on_the_same_data_directory_says_which_process_holds_it_and_exits_2()
    {
        var data = Path.Combine(Path.GetTempPath(), "psig-stack-tests", Guid.NewGuid().ToString("N"));
        var ((exit, second), _) = await RunStackAsync(["--data", data, "--free-ports", "--pem-keys"], async _ =>
            await RunOnceAsync(["--data", data, "--free-ports", "--pem-keys"]));
        Assert.Equal(2, exit);
        Assert.Matches(@"data directory .* is in use by PID \d+", second);
        Assert.DoesNotContain("   at ", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_is_one_clear_line_and_exit_2()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var data = Path.Combine(Path.GetTempPath(), "psig-stack-tests", Guid.NewGuid().ToString("N"));
        var (exit, output) = await RunOnceAsync(["--data", data, "--pem-keys", "--rekor-port", port, "--fulcio-port", "0", "--ctlog-port", "0", "--identity-port", "0", "--tsa-port", "0", "--rekor-v2-port", "0", "--tuf-port", "0", "--witness-port", "0", "--monitor-port", "0", "--explorer-port", "0"]);
        Assert.Equal(2, exit);
        Assert.Contains("port is already in use", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restart_on_another_rekor_port_keeps_the_log()
    {
        var data = Path.Combine(Path.GetTempPath(), "psig-stack-tests", Guid.NewGuid().ToString("N"));
        string[] Args(int rekorPort) => ["--data", data, "--pem-keys", "--rekor-port", rekorPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--fulcio-port", "0", "--ctlog-port", "0", "--identity-port", "0", "--tsa-port", "0", "--rekor-v2-port", "0", "--tuf-port", "0", "--witness-port", "0", "--monitor-port", "0", "--explorer-port", "0"];
        var first = FreePort();
        var (key, _) = await RunStackAsync(Args(first), async _ =>
        {
            using var http = new HttpClient();
            return await http.GetStringAsync(new Uri($"http://127.0.0.1:{first}/api/v1/log/publicKey"), Ct);
        });
        var second = FreePort();
        var ((again, info), output) = await RunStackAsync(Args(second), async _ =>
        {
            using var http = new HttpClient();
            return (await http.GetStringAsync(new Uri($"http://127.0.0.1:{second}/api/v1/log/publicKey"), Ct), await http.GetStringAsync(new Uri($"http://127.0.0.1:{second}/api/v1/log"), Ct));
        });
        Assert.Equal(key, again);
        Assert.Contains("treeSize", info, StringComparison.Ordinal);
        Assert.DoesNotContain("NOT READY", output, StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", (await File.ReadAllTextAsync(Path.Combine(data, "rekor", "hostname"), Ct)).Trim());
    }

    [Fact]
    public async Task Help_lists_the_options_and_exits_0()
    {
        var (exit, output) = await RunOnceAsync(["--help"]);
        Assert.Equal(0, exit);
        foreach (var option in new[] { "--data", "--free-ports", "--rekor-port", "--fulcio-port", "--ctlog-port", "--identity-port", "--tsa-port", "--rekor-v2-port", "--tuf-port", "--witness-port", "--monitor-port", "--explorer-port", "--monitor-config", "--fulcio-config", "--pem-keys", "--log-level" })
        {
            Assert.Contains(option, output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("--rekor-port", "abc")]
    [InlineData("--fulcio-port", "70000")]
    [InlineData("--no-such-option", "1")]
    public async Task A_bad_option_is_one_clear_line_and_exit_2_without_a_stack_trace(string option, string value)
    {
        var (exit, output) = await RunOnceAsync([option, value, "--data", Path.Combine(Path.GetTempPath(), "psig-stack-tests", Guid.NewGuid().ToString("N"))]);
        Assert.Equal(2, exit);
        Assert.Contains(option, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }

    internal static async Task<(int Exit, string Output)> RunOnceAsync(IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(StackPath());
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromMinutes(1), Ct);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Runs the stack with <paramref name="args"/>; <paramref name="whileRunning"/> gets what it printed up to "Press Ctrl-C".</summary>
    private static async Task<(T Result, string Output)> RunStackAsync<T>(IEnumerable<string> args, Func<string, Task<T>> whileRunning)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(StackPath());
        foreach (var a in args) psi.ArgumentList.Add(a);

        using var stack = Process.Start(psi)!;
        var output = new StringBuilder();
        var ready = new TaskCompletionSource();
        stack.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (e.Data.Contains("Press Ctrl-C", StringComparison.Ordinal)) ready.TrySetResult();
        };
        stack.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (output) output.AppendLine(e.Data);
        };
        stack.BeginOutputReadLine();
        stack.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
            string printed;
            lock (output) printed = output.ToString();
            var result = await whileRunning(printed);
            // Ctrl-C, as a user would stop it.
            using (var kill = Process.Start("kill", ["-INT", stack.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill!.WaitForExitAsync(Ct);
            await stack.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.Equal(0, stack.ExitCode);
            lock (output) return (result, output.ToString());
        }
        finally
        {
            if (!stack.HasExited) stack.Kill(entireProcessTree: true);
        }
    }

    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string StackPath()
    {
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory);
        var tfm = baseDir.Name;
        var config = baseDir.Parent!.Name;
        var root = baseDir;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "PrivateSigstore.sln"))) root = root.Parent;
        Assert.NotNull(root);
        var path = Path.Combine(root.FullName, "src", "PrivateSigstore.Stack", "bin", config, tfm, "PrivateSigstore.Stack.dll");
        Assert.True(File.Exists(path), $"build the solution first: {path} is missing");
        return path;
    }
}
