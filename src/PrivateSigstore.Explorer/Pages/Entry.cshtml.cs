using Microsoft.AspNetCore.Mvc;

namespace PrivateSigstore.Explorer.Pages;

/// <summary>An entry of any log: <c>/logs/{name}/entries/{index}</c>.</summary>
public sealed class EntryModelPage(ExplorerService explorer) : ExplorerPage
{
    internal EntryModel? Entry { get; private set; }

    public async Task<IActionResult> OnGetAsync(string name, string index, CancellationToken ct) =>
        await RunAsync(async () =>
        {
            var log = explorer.RequireLog(name);
            var model = await explorer.EntryAsync(log, ExplorerApp.ParseIndex(index), ct).ConfigureAwait(false);
            if (model.Ct is not null && model.Certificate is { IsPrecertificate: true } pre)
            {
                model = model with { FinalCertificate = await explorer.FinalCertificateAsync(pre, ct).ConfigureAwait(false) };
            }
            Entry = model;
        }).ConfigureAwait(false);
}
