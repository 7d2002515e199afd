using Microsoft.AspNetCore.Mvc;

namespace PrivateSigstore.Explorer.Pages;

/// <summary>A log: <c>/logs/{name}</c> (checkpoint, size, history, chart) with the consistency form.</summary>
public sealed class LogPage(ExplorerService explorer) : ExplorerPage
{
    internal LogModel? Log { get; private set; }

    internal ConsistencyModel? Consistency { get; private set; }

    internal string? First { get; private set; }

    internal string? Second { get; private set; }

    internal string? FirstRoot { get; private set; }

    public async Task<IActionResult> OnGetAsync(string name, string? first, string? second, string? firstRoot, CancellationToken ct)
    {
        First = first;
        Second = second;
        FirstRoot = firstRoot;
        return await RunAsync(async () =>
        {
            var log = explorer.RequireLog(name);
            Log = await explorer.LogAsync(log, ct).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(first))
            {
                Consistency = await explorer.ConsistencyAsync(log, Size(first, "first"), string.IsNullOrEmpty(second) ? 0 : Size(second, "second"), firstRoot, ct).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
    }

    private static ulong Size(string text, string what) =>
        text.Length <= 19 && ulong.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v : throw new ExplorerBadQueryException($"the {what} size must be a non-negative integer");
}
