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
using PrivateSigstore.Cli.Commands;
using PrivateSigstore.Client.Oci;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Cli.Gate;

/// <summary>
/// <c>psig gate serve</c>: the gate over loopback HTTP for agent runtimes that are not .NET.
/// <c>POST /v1/verify</c> with <c>{"policy": NAME, "digest": "sha256:…", "bundle": {…}, "artifact": NAME?, "attestations": [{…}]?}</c>
/// or <c>{"policy": NAME, "image": "registry/repository:tag|@sha256:…"}</c> (the image's signatures and attestations are
/// read from its registry, as <c>gate check</c> reads them) answers
/// <c>{"decision": "allowed"|"refused", "reason": …, "record": {…}}</c> (200 either way; 400 for bad input).
/// </summary>
internal static class GateServer
{
    public static Command Command(CliConsole console)
    {
        var policy = new Option<FileInfo>("--policy") { Description = "The gate policy file", Required = true };
        var port = new Option<int>("--port") { Description = "Loopback port to listen on (default 0: any free port, printed)", DefaultValueFactory = _ => 0 };
        var registry = new ImageCommands.RegistryOptions();
        var command = new Command("serve", "Serve the gate's decision on 127.0.0.1: POST /v1/verify {policy, digest, bundle[, artifact, attestations]} or {policy, image}") { policy, port };
        registry.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(port) is < 0 or > 65535)
            {
                throw new UsageException("--port must be 0..65535");
            }
            var engine = await GateCommands.LoadAsync(console, parse.GetValue(policy)!, ct).ConfigureAwait(false);
            using var http = registry.CreateHttpClient(parse);
            await using var app = await StartAsync(console, engine, parse.GetValue(port), ct, registry.Client(parse, http)).ConfigureAwait(false);
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

    /// <summary>
    /// Starts the endpoint on 127.0.0.1:<paramref name="port"/> (0: any free port); images (<c>{"policy", "image"}</c>)
    /// are read through <paramref name="registry"/> (null: image requests are refused as bad input).
    /// </summary>
    public static async Task<WebApplication> StartAsync(CliConsole console, GateEngine engine, int port, CancellationToken ct, RegistryClient? registry = null)
    {
        // The smallest ASP.NET Core host: Kestrel alone, no configuration sources, logging, routing or result executors.
        // Every type the host roots is start-up work for each cold psig command in the NativeAOT binary (its data is
        // rehydrated at start), so the one route is matched by hand.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.Run(async http =>
        {
            if (http.Request.Path != "/v1/verify")
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            if (!HttpMethods.IsPost(http.Request.Method))
            {
                http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                http.Response.Headers.Allow = "POST";
                return;
            }
            var (status, json) = await VerifyAsync(http, console, engine, registry).ConfigureAwait(false);
            http.Response.StatusCode = status;
            http.Response.ContentType = "application/json; charset=utf-8";
            await http.Response.WriteAsync(json, http.RequestAborted).ConfigureAwait(false);
        });
        await app.StartAsync(ct).ConfigureAwait(false);
        return app;
    }

    private static (int, string) BadRequest(string error) =>
        (StatusCodes.Status400BadRequest, new JsonObject { ["error"] = error }.ToJsonString());

    private static async Task<(int, string)> VerifyAsync(HttpContext http, CliConsole console, GateEngine engine, RegistryClient? registry)
    {
        JsonObject request;
        try
        {
            request = await StrictJson.ParseAsync(http.Request.Body, http.RequestAborted).ConfigureAwait(false) as JsonObject
                ?? throw new JsonException("the request is not a JSON object");
        }
        catch (JsonException e)
        {
            return BadRequest("the request does not parse: " + e.Message);
        }
        var name = (string?)request["policy"];
        if (request["image"] is not null)
        {
            return await ImageAsync(console, engine, registry, name, request, http.RequestAborted).ConfigureAwait(false);
        }
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
            decision = await engine.CheckAsync(console, artifact, [new GateSignature("request", bundle)], [rule], http.RequestAborted).ConfigureAwait(false);
        }
        return Answer(decision);
    }

    private static (int, string) Answer(GateDecision decision) => (StatusCodes.Status200OK, new JsonObject
    {
        ["decision"] = decision.Allowed ? "allowed" : "refused",
        ["reason"] = decision.Reason,
        ["record"] = JsonNode.Parse(decision.Record.ToJson()),
    }.ToJsonString());

    /// <summary><c>{"policy": NAME, "image": "registry/repository:tag|@sha256:…"}</c>: the gate reads the image's signatures and attestations from its registry.</summary>
    private static async Task<(int, string)> ImageAsync(CliConsole console, GateEngine engine, RegistryClient? registry, string? name, JsonObject request, CancellationToken ct)
    {
        if (name is null || request["image"] is not JsonValue value || !value.TryGetValue<string>(out var text))
        {
            return BadRequest("give policy (a policy name) and image (registry/repository:tag or registry/repository@sha256:<hex>)");
        }
        if (registry is null)
        {
            return BadRequest("this endpoint reads no registry");
        }
        ImageReference reference;
        try
        {
            reference = ImageReference.Parse(text);
        }
        catch (FormatException e)
        {
            return BadRequest($"image \"{text}\": {e.Message}");
        }
        var artifact = new ImageArtifact(text, reference, new ImageSignatureStore(registry));
        var rule = engine.Policy.Rules.FirstOrDefault(r => r.Name == name);
        if (rule is null)
        {
            return Answer(engine.Refuse(engine.Blank(), artifact, null, null, "policy", $"no policy named {name} (refused: the gate fails closed)", null));
        }
        if (engine.Policy.Matching(artifact.MatchNames(Path.GetDirectoryName(engine.Policy.File)!)).All(r => r.Name != name))
        {
            return Answer(engine.Refuse(engine.Blank(), artifact, rule, null, "policy", $"policy {name} does not match {artifact.Name} (refused)", null));
        }
        return Answer(await engine.CheckAsync(console, artifact, null, ct, [rule]).ConfigureAwait(false));
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
