using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace PrivateSigstore.Explorer.Pages;

/// <summary>The page for a bare status (an unknown path, a 429 from the rate limiter), keeping the status.</summary>
public sealed class StatusPage : ExplorerPage
{
    internal string Title { get; private set; } = "";

    internal string Message { get; private set; } = "";

    // From the route only: with the default value providers an unreadable form body (a GET with a multipart content type)
    // left the code 0 and the explorer answered "HTTP/1.1 0".
    public void OnGet([FromRoute] int code)
    {
        var original = HttpContext.Features.Get<IStatusCodeReExecuteFeature>();
        // Asked for directly: there is nothing here. Re-executed: the original status, whatever the route value bound to.
        code = original is null ? 404 : original.OriginalStatusCode is >= 400 and <= 599 ? original.OriginalStatusCode : 500;
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
