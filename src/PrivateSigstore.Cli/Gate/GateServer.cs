using System.CommandLine;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivateSigstore.Cli.Commands;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Cli.Gate;

/// <summary>
/// <c>psig gate serve</c>: the gate over loopback HTTP for agent runtimes that are not .NET.
/// <c>POST /v1/verify</c> with <c>{"policy": NAME, "digest": "sha256:…", "bundle": {…}, "artifact": NAME?, "attestations": [{…}]?}</c>
/// answers <c>{"decision": "allowed"|"refused", "reason": …, "record": {…}}</c> (200 either way; 400 for bad input).
/// </summary>
internal static class GateServer
{
    public static Command Command(CliConsole console)
    {
        var policy = new Option<FileInfo>("--policy") { Description = "The gate policy file", Required = true };
        var port = new Option<int>("--port") { Description = "Loopback port to listen on (default 0: any free port, printed)", DefaultValueFactory = _ => 0 };
        var command = new Command("serve", "Serve the gate's decision on 127.0.0.1: POST /v1/verify {policy, digest, bundle[, artifact, attestations]}") { policy, port };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(port) is < 0 or > 65535)
            {
                throw new UsageException("--port must be 0..65535");
            }
            var engine = await GateCommands.LoadAsync(console, parse.GetValue(policy)!, ct).ConfigureAwait(false);
            await using var app = await StartAsync(console, engine, parse.GetValue(port), ct).ConfigureAwait(false);
            await console.Out.WriteLineAsync($"psig gate: listening on {Address(app)} (POST /v1/verify); Ctrl-C stops").ConfigureAwait(false);
            await console.Out.FlushAsync(ct).ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return ExitCodes.Verified;
        });
        return command;
    }

    /// <summary>The bound address (http://127.0.0.1:PORT).</summary>
    public static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    /// <summary>Starts the endpoint on 127.0.0.1:<paramref name="port"/> (0: any free port).</summary>
    public static async Task<WebApplication> StartAsync(CliConsole console, GateEngine engine, int port, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        // A plain RequestDelegate and JSON built as nodes: no reflection-based parameter binding or serialization (psig
        // also ships as a NativeAOT binary).
        app.MapPost("/v1/verify", async http => await (await VerifyAsync(http, console, engine).ConfigureAwait(false)).ExecuteAsync(http).ConfigureAwait(false));
        await app.StartAsync(ct).ConfigureAwait(false);
        return app;
    }

    private static IResult BadRequest(string error) =>
        Results.Text(new JsonObject { ["error"] = error }.ToJsonString(), "application/json", System.Text.Encoding.UTF8, StatusCodes.Status400BadRequest);

    private static async Task<IResult> VerifyAsync(HttpContext http, CliConsole console, GateEngine engine)
    {
        {
            JsonObject request;
            try
            {
                request = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted).ConfigureAwait(false) as JsonObject
                    ?? throw new JsonException("the request is not a JSON object");
            }
            catch (JsonException e)
            {
                return BadRequest("the request does not parse: " + e.Message);
            }
            var name = (string?)request["policy"];
            var digest = (string?)request["digest"];
            if (name is null || digest is null || request["bundle"] is not JsonObject bundleJson)
            {
                return BadRequest("give policy (a policy name), digest (sha256:hex) and bundle (a Sigstore bundle object)");
            }
            if (ArtifactPolicy.TryParseDigest(digest) is null)
            {
                return BadRequest($"digest {digest} is not sha256:hex (or sha384:, sha512:)");
            }
            var artifact = new DigestArtifact((string?)request["artifact"] ?? digest, digest,
                [.. (request["attestations"] as JsonArray ?? []).Select((a, i) => ($"attestations[{i}]", System.Text.Encoding.UTF8.GetBytes(a?.ToJsonString() ?? "null")))]);
            var rule = engine.Policy.Rules.FirstOrDefault(r => r.Name == name);
            GateDecision decision;
            if (rule is null)
            {
                decision = engine.Refuse(engine.Blank(), artifact, null, null, "policy", $"no policy named {name} (refused: the gate fails closed)", digest);
            }
            else if (request["artifact"] is not null && engine.Policy.Matching([artifact.Name]).All(r => r.Name != name))
            {
                decision = engine.Refuse(engine.Blank(), artifact, rule, null, "policy", $"policy {name} does not match {artifact.Name} (refused)", digest);
            }
            else
            {
                Bundle bundle;
                try
                {
                    bundle = BundleJson.Parse(bundleJson.ToJsonString());
                }
                catch (WireFormatException e)
                {
                    return BadRequest("the bundle does not parse: " + e.Message);
                }
                decision = await engine.CheckAsync(console, artifact, bundle, "request", [rule], http.RequestAborted).ConfigureAwait(false);
            }
            var response = new JsonObject
            {
                ["decision"] = decision.Allowed ? "allowed" : "refused",
                ["reason"] = decision.Reason,
                ["record"] = JsonNode.Parse(decision.Record.ToJson()),
            };
            return Results.Text(response.ToJsonString(), "application/json");
        }
    }

    /// <summary>An artifact known only by its digest (the HTTP endpoint): the signature must bind that digest.</summary>
    private sealed class DigestArtifact(string name, string digest, IReadOnlyList<(string, byte[])> attestations) : IGateArtifact
    {
        public string Kind => "digest";

        public string Name => name;

        public string DefaultBundle => "request";

        public IEnumerable<string> MatchNames(string policyDirectory) => [name];

        public IEnumerable<(string Source, byte[] Json)> AttestationBundles(string signatureBundle) => attestations;

        public Task<(VerificationRecord Record, string? Digest)> VerifyAsync(CliConsole console, BundleVerifier verifier, Bundle bundle, IdentityPolicy identity, string bundlePath, CancellationToken ct) =>
            Task.FromResult<(VerificationRecord, string?)>((verifier.Audit(bundle, new VerificationPolicy(ArtifactPolicy.TryParseDigest(digest), identity)), digest));
    }
}
