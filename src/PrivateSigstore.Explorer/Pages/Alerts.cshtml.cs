using Microsoft.AspNetCore.Mvc;

namespace PrivateSigstore.Explorer.Pages;

/// <summary>The monitor's alerts with their evidence, linked to the entries: <c>/alerts</c>.</summary>
public sealed class AlertsPage(ExplorerService explorer) : ExplorerPage
{
    internal IReadOnlyList<AlertView> Alerts { get; private set; } = [];

    internal bool Configured => explorer.Monitor is not null;

    /// <summary>The entry page of an alert's entry, when its log is one of ours.</summary>
    internal string? EntryHref(AlertView a)
    {
        if (a.LogIndex is not { } index) return null;
        var log = explorer.Catalog.Logs.FirstOrDefault(l => string.Equals(l.BaseUrl.AbsoluteUri.TrimEnd('/'), a.Log.TrimEnd('/'), StringComparison.OrdinalIgnoreCase));
        return log is null ? null : ExplorerService.Href(log, index);
    }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) =>
        await RunAsync(async () =>
        {
            if (explorer.Monitor is { } monitor) Alerts = await monitor.GetAlertsAsync(200, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
}
