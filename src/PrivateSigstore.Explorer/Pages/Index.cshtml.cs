using Microsoft.AspNetCore.Mvc;

namespace PrivateSigstore.Explorer.Pages;

/// <summary>The search page: <c>/?q=…&amp;page=N</c>.</summary>
public sealed class IndexModel(ExplorerService explorer) : ExplorerPage
{
    internal SearchResults? Results { get; private set; }

    internal IReadOnlyList<ExplorerLog> Logs => explorer.Catalog.Logs;

    public async Task<IActionResult> OnGetAsync(string? q, [FromQuery(Name = "page")] string? page, CancellationToken ct)
    {
        Query = q;
        if (q is null) return Page();
        return await RunAsync(async () =>
        {
            var n = 1;
            if (page is not null && (!int.TryParse(page, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out n) || n is < 1 or > 10_000))
            {
                throw new ExplorerBadQueryException("page must be a number from 1 to 10000");
            }
            var query = Explorer.Query.Parse(q, explorer.Options.MaxQueryLength, explorer.Catalog.Logs.Select(l => l.Name));
            Results = await explorer.SearchAsync(query, n, ct).ConfigureAwait(false);
            // One exact hit (an index or a UUID): the entry page is what was asked for.
            if (Results.Rows.Count == 1 && query.Kind is QueryKind.LogIndex or QueryKind.Uuid) Response.Redirect(Results.Rows[0].Href);
        }).ConfigureAwait(false);
    }
}
