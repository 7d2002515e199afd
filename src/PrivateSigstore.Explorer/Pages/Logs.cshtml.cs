namespace PrivateSigstore.Explorer.Pages;

/// <summary>The logs of the trusted root: <c>/logs</c>.</summary>
public sealed class LogsPage(ExplorerService explorer) : ExplorerPage
{
    internal IReadOnlyList<ExplorerLog> Logs => explorer.Catalog.Logs;
}
