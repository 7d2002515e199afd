using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using PrivateSigstore.Hosting;

namespace PrivateSigstore.Witness;

/// <summary>
/// The witness's routes:
/// <list type="bullet">
/// <item><c>POST /add-checkpoint</c> (c2sp.org/tlog-witness; group "write"): 200 with the cosignature line, or 400, 403,
/// 404, 409 (<c>text/x.tlog.size</c>, the known size), 413 (body too large), 422, each with the reason in the body;</item>
/// <item><c>GET /&lt;lowercase hex SHA-256 of the origin&gt;/checkpoint</c> (tlog-witness monitoring; group "read"): the
/// latest cosigned checkpoint with the log's verified signatures and the witness's cosignature, 404 if none;</item>
/// <item><c>GET /api/v1/witness</c> (group "read"): JSON with the witness's name, verifier key and, per known log,
/// the origin, its hash, and the latest cosigned size, root hash and checkpoint.</item>
/// </list>
/// </summary>
public static class WitnessEndpoints
{
    /// <summary>Maps the witness routes.</summary>
    public static IEndpointRouteBuilder MapWitness(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapPost("/add-checkpoint", AddCheckpointAsync).DisableAntiforgery().WithRateLimit("write");
        endpoints.MapGet("/{originHash:regex(^[0-9a-f]{{64}}$)}/checkpoint", GetCheckpoint).WithRateLimit("read");
        endpoints.MapGet("/api/v1/witness", GetStatus).WithRateLimit("read");
        return endpoints;
    }

    private static async Task AddCheckpointAsync(HttpContext context, [FromServices] CheckpointWitness witness, [FromServices] WitnessOptions options, [FromServices] WitnessMetrics metrics)
    {
        var body = await ReadBodyAsync(context, options.MaxRequestBytes).ConfigureAwait(false);
        AddCheckpointResult result;
        if (body is null)
        {
            result = AddCheckpointResult.Refuse(StatusCodes.Status413PayloadTooLarge, "malformed", $"the request body exceeds {options.MaxRequestBytes} bytes (Witness:MaxRequestBytes)");
            metrics.AddCheckpoint(result.Outcome, result.Status);
        }
        else
        {
            try
            {
                result = await witness.AddCheckpointAsync(body, context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                metrics.AddCheckpoint("failed", StatusCodes.Status500InternalServerError);
                throw;
            }
        }

        context.Response.StatusCode = result.Status;
        context.Response.ContentType = result.ContentType;
        await context.Response.WriteAsync(result.Body, Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
    }

    private static IResult GetCheckpoint(string originHash, [FromServices] CheckpointWitness witness) =>
        witness.LatestByOriginHash(originHash) is { } latest
            ? Results.Text(latest.Serialize(), "text/plain; charset=utf-8")
            : Results.Text("this witness has not cosigned a checkpoint for that origin\n", "text/plain; charset=utf-8", statusCode: StatusCodes.Status404NotFound);

    private static IResult GetStatus([FromServices] CheckpointWitness witness)
    {
        var logs = witness.KnownOrigins.Order(StringComparer.Ordinal).Select(origin =>
        {
            var latest = witness.Latest(origin);
            return new WitnessLogStatus(origin, CheckpointStore.OriginHash(origin), latest?.Checkpoint.Size,
                latest is null ? null : Convert.ToBase64String(latest.Checkpoint.RootHash), latest?.Serialize());
        }).ToList();
        return Results.Json(new WitnessStatus(witness.Cosigner.Name, witness.Cosigner.VerifierKey, logs));
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpContext context, long max)
    {
        var request = context.Request;
        var ct = context.RequestAborted;
        if (request.ContentLength is long length && length > max) return null;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        using var collected = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await request.Body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (collected.Length + n > max) return null;
            collected.Write(buffer, 0, n);
        }

        return collected.ToArray();
    }
}

/// <summary>The body of <c>GET /api/v1/witness</c>.</summary>
/// <param name="Name">The witness's key name.</param>
/// <param name="VerifierKey">Its verifier key (<c>name+hex8+base64(0x04 || Ed25519 key)</c>).</param>
/// <param name="Logs">The known logs.</param>
public sealed record WitnessStatus(string Name, string VerifierKey, IReadOnlyList<WitnessLogStatus> Logs);

/// <summary>One known log in <see cref="WitnessStatus"/>.</summary>
/// <param name="Origin">The checkpoint origin.</param>
/// <param name="OriginHash">Lowercase hex SHA-256 of the origin (the monitoring path).</param>
/// <param name="Size">The size of the latest cosigned checkpoint, or null before the first.</param>
/// <param name="RootHash">Its base64 root hash.</param>
/// <param name="Checkpoint">The cosigned checkpoint note.</param>
public sealed record WitnessLogStatus(string Origin, string OriginHash, ulong? Size, string? RootHash, string? Checkpoint);
