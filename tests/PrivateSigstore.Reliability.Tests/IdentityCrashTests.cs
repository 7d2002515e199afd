using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>The identity provider as a process on SQLite, SIGKILLed while 4 workload clients obtain tokens (client credentials).</summary>
public sealed class IdentityCrashTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Identity_survives_ten_sigkills_keeps_its_keys_and_store_and_every_acknowledged_token_still_verifies()
    {
        var data = Directory.CreateTempSubdirectory("psig-crash-identity-").FullName;
        var store = Path.Combine(data, "identity");
        string[] args = [$"--Identity:DataDirectory={store}"];
        Task<ServiceProcess> Start() => ServiceProcess.StartAsync("Identity", args, data);

        // First start creates the store; then the admin commands add a user and one workload client per writer.
        await using (var first = await Start())
        {
            await Http.GetStringAsync(new Uri(first.BaseUrl, ".well-known/jwks"), Ct);
        }

        Assert.Contains("added user", (await AdminAsync(data, store, "users", "add", "crash-alice", "--email", "alice@example.com", "--email-verified")).Output, StringComparison.Ordinal);
        var secrets = new string[KillLoop.Writers];
        for (var w = 0; w < secrets.Length; w++)
        {
            var (output, _) = await AdminAsync(data, store, "clients", "add", $"crash-writer-{w}", "--subject", $"workload-{w}", "--email", $"workload-{w}@example.com", "--email-verified", "--audience", "sigstore");
            secrets[w] = output.Split('\n').Single(l => l.StartsWith("client secret (shown once): ", StringComparison.Ordinal))["client secret (shown once): ".Length..].Trim();
        }

        string? jwks = null;
        string? issuer = null;
        var acked = new ConcurrentBag<(int Writer, string Token)>();

        async Task CheckAsync(ServiceProcess service)
        {
            // The restarted provider publishes the same signing keys under the same issuer.
            var served = await Http.GetStringAsync(new Uri(service.BaseUrl, ".well-known/jwks"), Ct);
            jwks ??= served;
            Assert.Equal(JsonNode.Parse(jwks)!.ToJsonString(), JsonNode.Parse(served)!.ToJsonString());
            var discovered = JsonNode.Parse(await Http.GetStringAsync(new Uri(service.BaseUrl, ".well-known/openid-configuration"), Ct))!["issuer"]!.GetValue<string>();
            issuer ??= discovered;
            Assert.Equal(issuer, discovered);
        }

        var loop = new KillLoop
        {
            Start = Start,
            Check = CheckAsync,
            Write = async (service, w, ct) =>
            {
                var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = $"crash-writer-{w}", ["client_secret"] = secrets[w] });
                using var response = await Http.PostAsync(new Uri(service.BaseUrl, "connect/token"), form, ct);
                var text = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Assert.True((int)response.StatusCode >= 500, $"a valid client was refused: {(int)response.StatusCode} {text}");
                    throw new HttpRequestException($"{(int)response.StatusCode}");
                }

                var token = JsonNode.Parse(text)!["id_token"]!.GetValue<string>();
                acked.Add((w, token));
            },
        };
        var (kills, count, failed, took) = await loop.RunAsync();

        var verify = Stopwatch.StartNew();
        await using (var last = await Start())
        {
            await CheckAsync(last);
        }

        // Every acknowledged token verifies under the JWKS the restarted provider serves, names the issuer and its client.
        var keys = JsonNode.Parse(jwks!)!["keys"]!.AsArray();
        foreach (var (w, token) in acked)
        {
            var claims = VerifyJwt(token, keys);
            Assert.Equal(issuer, claims["iss"]!.GetValue<string>());
            Assert.Equal($"workload-{w}", claims["sub"]!.GetValue<string>());
            Assert.Equal($"workload-{w}@example.com", claims["email"]!.GetValue<string>());
        }

        // The store: the user and the clients are intact, and every acknowledged token is in the issuance audit.
        var users = (await AdminAsync(data, store, "users", "list", "--json")).Output;
        Assert.Contains("\"crash-alice\"", users, StringComparison.Ordinal);
        var clients = (await AdminAsync(data, store, "clients", "list", "--json")).Output;
        var audited = 0;
        for (var w = 0; w < secrets.Length; w++)
        {
            Assert.Contains($"\"crash-writer-{w}\"", clients, StringComparison.Ordinal);
            var audit = (await AdminAsync(data, store, "audit", "--client", $"crash-writer-{w}", "--limit", "100000", "--json")).Output;
            var records = audit.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            var tokens = acked.Count(a => a.Writer == w);
            Assert.True(records >= tokens, $"crash-writer-{w}: {tokens} tokens acknowledged, {records} in the audit");
            audited += records;
        }

        Report.Line($"Identity (SQLite): {kills} kills, {acked.Count} acknowledged ID tokens all verify under the restarted JWKS (unchanged), user and {secrets.Length} clients intact, {audited} audit records (>= acknowledged per client), {failed} requests cut or refused, {took.TotalSeconds:F1} s + {verify.Elapsed.TotalSeconds:F1} s to verify");
        Report.Line(string.Join("\n", loop.Timings));
        Assert.True(acked.Count >= 20, $"only {acked.Count} tokens acknowledged");
        Directory.Delete(data, recursive: true);
    }

    /// <summary>Runs <c>PrivateSigstore.Identity admin --data-dir STORE ARGS</c>; fails on a non-zero exit.</summary>
    internal static Task<(string Output, string Error)> AdminAsync(string workingDirectory, string store, params string[] args) => AdminAsync(workingDirectory, store, null, args);

    /// <summary>The same with extra environment variables (e.g. <c>Identity__Storage=Postgres</c>).</summary>
    internal static async Task<(string Output, string Error)> AdminAsync(string workingDirectory, string store, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        foreach (var a in (string[])[Repository.ServiceDll("Identity"), "admin", "--data-dir", store, .. args])
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, $"admin {string.Join(' ', args)}: exit {process.ExitCode}\n{await output}\n{await error}");
        return (await output, await error);
    }

    /// <summary>Checks a compact JWS (ES256/ES384/RS256) against the JWK of its kid; returns its claims.</summary>
    internal static JsonObject VerifyJwt(string jwt, JsonArray keys)
    {
        var parts = jwt.Split('.');
        Assert.Equal(3, parts.Length);
        var header = JsonNode.Parse(B64Url(parts[0]))!;
        var kid = header["kid"]?.GetValue<string>();
        var jwk = keys.Single(k => k!["kid"]?.GetValue<string>() == kid)!;
        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        var signature = B64Url(parts[2]);
        var alg = header["alg"]!.GetValue<string>();
        bool ok;
        if (alg is "ES256" or "ES384")
        {
            using var ec = ECDsa.Create(new ECParameters
            {
                Curve = alg == "ES256" ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384,
                Q = new ECPoint { X = B64Url(jwk["x"]!.GetValue<string>()), Y = B64Url(jwk["y"]!.GetValue<string>()) },
            });
            ok = ec.VerifyData(signed, signature, alg == "ES256" ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384);
        }
        else
        {
            Assert.Equal("RS256", alg);
            using var rsa = RSA.Create(new RSAParameters { Modulus = B64Url(jwk["n"]!.GetValue<string>()), Exponent = B64Url(jwk["e"]!.GetValue<string>()) });
            ok = rsa.VerifyData(signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }

        Assert.True(ok, $"an acknowledged token ({alg}, kid {kid}) does not verify under the restarted JWKS");
        return JsonNode.Parse(B64Url(parts[1]))!.AsObject();
    }

    private static byte[] B64Url(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b.PadRight(b.Length + ((4 - (b.Length % 4)) % 4), '='));
    }
}
