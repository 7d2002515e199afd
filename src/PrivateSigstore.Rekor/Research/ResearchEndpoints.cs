using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Rekor.V2;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Rekor.Research;

/// <summary>
/// The research log's HTTP surface: the Rekor v2 reads (<c>/api/v2/checkpoint</c>, <c>/api/v2/tile/…</c>) answered
/// from the view the fault plan gives each client, and the admin API under <see cref="AdminPrefix"/> (loopback clients
/// only) that sets the faults.
/// </summary>
internal static class ResearchEndpoints
{
    /// <summary>The admin API prefix.</summary>
    public const string AdminPrefix = "/research/v1";

    /// <summary>Views other than the honest one change with every command: never cached.</summary>
    private const string NoStore = "no-store";

    /// <summary>
    /// Serves the tlog-tiles reads from the research view when a fault applies to the client; otherwise the request goes
    /// on to the Rekor v2 endpoints (the honest log). Every answer carries <c>X-Research-Log</c>.
    /// </summary>
    public static IApplicationBuilder UseResearchReads(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        http.Response.Headers["X-Research-Log"] = "this log misbehaves on purpose; see docs/research-log.md";
        var path = http.Request.Path.Value ?? "";
        var read = HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method);
        var checkpoint = path == RekorV2Endpoints.Prefix + "/checkpoint";
        var tile = path.StartsWith(RekorV2Endpoints.Prefix + "/tile/", StringComparison.Ordinal);
        if (!read || !(checkpoint || tile))
        {
            await next(http).ConfigureAwait(false);
            return;
        }
        var research = http.RequestServices.GetRequiredService<ResearchLog>();
        var plan = research.Plan;
        var forked = ResearchLog.IsForked(http, plan);
        if (!forked && plan.ServedIsHonest)
        {
            await next(http).ConfigureAwait(false);
            return;
        }
        var view = await research.ViewAsync(plan, forked, http.RequestAborted).ConfigureAwait(false);
        http.Response.Headers.CacheControl = NoStore;
        var result = checkpoint ? Results.Text(view.Checkpoint, "text/plain; charset=utf-8") : Tile(view.Tree, path[(RekorV2Endpoints.Prefix.Length + 1)..]);
        await result.ExecuteAsync(http).ConfigureAwait(false);
    });

    private static IResult Tile(ViewTree tree, string full)
    {
        try
        {
            byte[]? data;
            if (full.StartsWith("tile/entries/", StringComparison.Ordinal))
            {
                var (index, width) = TileId.ParseEntriesPath(full);
                data = tree.EntryBundle(index, width);
            }
            else
            {
                if (!TileId.TryParse(full, out var id)) return Results.Text($"malformed tile path {full}\n", "text/plain; charset=utf-8", statusCode: 400);
                data = tree.Tile(id.Level, id.Index, id.Width);
            }
            return data is null
                ? Results.Text($"{full} is beyond the published tree\n", "text/plain; charset=utf-8", statusCode: 404)
                : Results.Bytes(data, "application/octet-stream");
        }
        catch (Core.WireFormatException ex)
        {
            return Results.Text($"malformed tile path {full}: {ex.Reason}\n", "text/plain; charset=utf-8", statusCode: 400);
        }
    }

    /// <summary>Maps the admin API (loopback clients only).</summary>
    public static IEndpointRouteBuilder MapResearchAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup(AdminPrefix).AddEndpointFilter(async (context, next) =>
            context.HttpContext.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote)
                ? await next(context).ConfigureAwait(false)
                : Results.Text("the research log's admin API answers loopback clients only\n", "text/plain; charset=utf-8", statusCode: 403));
        admin.MapGet("/faults", (ResearchLog log) => Show(log, log.Plan));
        admin.MapDelete("/faults", (ResearchLog log) => Show(log, log.Change(_ => FaultPlan.Honest)));
        admin.MapDelete("/faults/{name}", (ResearchLog log, string name) => Clear(log, name));
        admin.MapPost("/faults/{name}", SetAsync);
        admin.MapGet("/add-checkpoint", AddCheckpointBodyAsync);
        return app;
    }

    private static IResult Show(ResearchLog log, FaultPlan plan) => Results.Json(new JsonObject
    {
        ["origin"] = log.Origin,
        ["honestSize"] = log.HonestSize,
        ["publicKey"] = log.Trust.PublicKeyPem,
        ["verifierKey"] = log.Trust.KeyDetails == Core.Bundle.PublicKeyDetails.PkixEd25519
            ? Core.Notes.Ed25519NoteVerifier.FromSubjectPublicKeyInfo(log.Origin, log.Trust.SubjectPublicKeyInfo).VerifierKey
            : null,
        ["faults"] = plan.ToJson(),
    });

    private static IResult Bad(string message) => Results.Text(message + "\n", "text/plain; charset=utf-8", statusCode: 400);

    private static IResult Clear(ResearchLog log, string name) => name switch
    {
        "fork" => Show(log, log.Change(p => p with { Fork = null })),
        "hold" => Show(log, log.Change(p => p with { HoldAt = null })),
        "rewrite" => Show(log, log.Change(p => p with { Rewrites = ImmutableSortedDictionary<ulong, byte[]>.Empty })),
        "drop" => Show(log, log.Change(p => p with { Drops = [] })),
        "bad-checkpoint" => Show(log, log.Change(p => p with { BadCheckpoint = null })),
        _ => UnknownFault(name),
    };

    private static IResult UnknownFault(string name) =>
        Results.Text($"unknown fault \"{name}\"; one of {string.Join(", ", FaultPlan.Names)}\n", "text/plain; charset=utf-8", statusCode: 404);

    private static async Task<IResult> SetAsync(HttpContext http, ResearchLog log, string name)
    {
        if (!FaultPlan.Names.Contains(name)) return UnknownFault(name);
        JsonObject body;
        try
        {
            body = http.Request.ContentLength is 0 ? [] : await StrictJson.ParseAsync(http.Request.Body, http.RequestAborted).ConfigureAwait(false) as JsonObject ?? [];
        }
        catch (JsonException e)
        {
            return Bad($"the body is not a JSON object: {e.Message}");
        }
        try
        {
            var size = log.HonestSize;
            return name switch
            {
                "fork" => Show(log, log.Change(p => p with
                {
                    Fork = new ForkFault(Strings(body, "addresses"), Strings(body, "clients"), Number(body, "at") ?? (size > 0 ? size - 1 : 0)),
                })),
                "hold" => Number(body, "size") is { } at && at > size
                    ? Bad($"size {at} is beyond the log's {size} entries")
                    : Show(log, log.Change(p => p with { HoldAt = Number(body, "size") ?? size })),
                "rewrite" => Number(body, "index") is not { } index ? Bad("give the index of the entry to rewrite: {\"index\": N}")
                    : index >= size ? Bad($"index {index} is beyond the log's {size} entries")
                    : Show(log, log.Change(p => p with { Rewrites = p.Rewrites.SetItem(index, Bytes(body, "entry") ?? FaultPlan.RewrittenLeaf(index)) })),
                "drop" => (Number(body, "index") ?? (size > 0 ? size - 1 : (ulong?)null)) is not { } drop ? Bad("the log has no entry to drop")
                    : drop >= size ? Bad($"index {drop} is beyond the log's {size} entries")
                    : Show(log, log.Change(p => p with { Drops = p.Drops.Add(drop) })),
                _ => (body["mode"]?.GetValue<string>() ?? "random-root") switch
                {
                    "random-root" => Show(log, log.Change(p => p with { BadCheckpoint = new("random-root", 0, RandomNumberGenerator.GetBytes(32)) })),
                    "smaller" => Show(log, log.Change(p => p with { BadCheckpoint = new("smaller", Math.Max(1, Number(body, "by") ?? 1), []) })),
                    "wrong-key" => Show(log, log.Change(p => p with { BadCheckpoint = new("wrong-key", 0, []) })),
                    var mode => Bad($"unknown bad-checkpoint mode \"{mode}\"; one of random-root, smaller, wrong-key"),
                },
            };
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            return Bad($"bad {name} request: {e.Message}");
        }
    }

    private static ulong? Number(JsonObject body, string name) => body[name] is { } node ? node.GetValue<ulong>() : null;

    private static byte[]? Bytes(JsonObject body, string name) => body[name] is { } node ? Convert.FromBase64String(node.GetValue<string>()) : null;

    private static ImmutableArray<string> Strings(JsonObject body, string name)
    {
        if (body[name] is not JsonArray array) return [];
        var list = array.Select(n => n?.GetValue<string>() ?? throw new FormatException($"{name} holds a null")).ToImmutableArray();
        foreach (var a in name == "addresses" ? list : [])
        {
            if (a != "*" && !IPAddress.TryParse(a, out _)) throw new FormatException($"\"{a}\" is not an IP address (or \"*\")");
        }
        return list;
    }

    /// <summary>
    /// The C2SP tlog-witness <c>add-checkpoint</c> body the log would send for a view (<c>?view=served</c>, the default, or
    /// <c>fork</c>): <c>old N</c>, the consistency proof from N computed in that view, a blank line, its checkpoint.
    /// </summary>
    private static async Task<IResult> AddCheckpointBodyAsync(HttpContext http, ResearchLog log)
    {
        if (!ulong.TryParse(http.Request.Query["old"], NumberStyles.None, CultureInfo.InvariantCulture, out var old)) return Bad("give ?old=N (the size the witness knows)");
        var forked = http.Request.Query["view"].ToString() switch
        {
            "" or "served" => false,
            "fork" => true,
            var v => (bool?)null,
        };
        if (forked is null) return Bad("view is served or fork");
        var plan = log.Plan;
        var view = await log.ViewAsync(plan, forked.Value, http.RequestAborted).ConfigureAwait(false);
        var proof = old > 0 && old < view.Tree.Size ? view.Tree.ConsistencyProof(old) : [];
        return Results.Text(Core.Notes.AddCheckpointRequest.Format(old, proof, view.Checkpoint), "text/plain; charset=utf-8");
    }
}
