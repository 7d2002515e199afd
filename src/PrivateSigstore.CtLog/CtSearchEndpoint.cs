using System.Globalization;
using PrivateSigstore.Hosting;

namespace PrivateSigstore.CtLog;

/// <summary>
/// <c>GET /api/v1/search?san=|serial=|issuer=</c> (PrivateSigstore's own, read-only; not part of RFC 6962): the leaf
/// indexes of logged certificates with that SAN, serial number or OIDC issuer, newest first, at most 1,000, from the
/// log's search index (never a scan). Errors are <c>application/problem+json</c>.
/// </summary>
public static class CtSearchEndpoint
{
    /// <summary>The longest value accepted.</summary>
    public const int MaxValueLength = 1024;

    /// <summary>The most indexes returned.</summary>
    public const int MaxResults = 1000;

    /// <summary>Maps the route (rate-limit group "read").</summary>
    public static IEndpointRouteBuilder MapCtSearch(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/api/v1/search", SearchAsync).WithRateLimit("read");
        return app;
    }

    private static async Task<IResult> SearchAsync(HttpContext http, CancellationToken ct)
    {
        var log = http.RequestServices.GetRequiredService<CertificateLog>();
        var given = CtSearchKeys.Fields.Where(f => http.Request.Query.ContainsKey(f)).ToList();
        if (given.Count != 1) return Results.Problem(statusCode: 400, title: "give exactly one of san, serial, issuer");
        var field = given[0];
        var value = http.Request.Query[field].ToString();
        if (value.Length is 0 or > MaxValueLength) return Results.Problem(statusCode: 400, title: $"{field} must be 1..{MaxValueLength} characters");
        if (field == "serial" && CtSearchKeys.NormalizeSerial(value) is null) return Results.Problem(statusCode: 400, title: "serial must be hexadecimal");
        if (log.Search is not { } index) return Results.Json(new SearchResponse([]));
        var ids = await index.SearchAsync([CtSearchKeys.Key(log.SearchLogId, field, value)], matchAll: false, ct).ConfigureAwait(false);
        var size = log.Log.LatestCheckpoint.Size;
        var indexes = ids.Select(id => ulong.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : ulong.MaxValue)
            .Where(i => i < size).OrderDescending().Take(MaxResults).ToList();
        return Results.Json(new SearchResponse(indexes));
    }

    private sealed record SearchResponse(IReadOnlyList<ulong> Indexes);
}
