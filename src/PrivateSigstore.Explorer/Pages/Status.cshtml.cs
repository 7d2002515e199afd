using Microsoft.AspNetCore.Diagnostics;

namespace PrivateSigstore.Explorer.Pages;

/// <summary>The page for a bare status (an unknown path, a 429 from the rate limiter), keeping the status.</summary>
public sealed class StatusPage : ExplorerPage
{
    internal string Title { get; private set; } = "";

    internal string Message { get; private set; } = "";

    public void OnGet(int code)
    {
        var original = HttpContext.Features.Get<IStatusCodeReExecuteFeature>();
        if (original is null) code = 404; // asked for directly: there is nothing here
        Response.StatusCode = code;
        (Title, Message) = code switch
        {
            404 => ("Not found", "There is no such page."),
            429 => ("Too many requests", "Slow down: this explorer limits how often one address may ask. Try again in a second."),
            405 => ("Method not allowed", "The explorer is read-only."),
            _ => ($"HTTP {code}", "The request could not be served."),
        };
    }
}
