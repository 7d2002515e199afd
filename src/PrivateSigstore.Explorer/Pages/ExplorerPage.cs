using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace PrivateSigstore.Explorer.Pages;

/// <summary>An error the page shows instead of its content, with the status it answers.</summary>
internal sealed record PageError(int Status, string Title, string Message);

/// <summary>The pages' base: runs the page's work and turns the explorer's exceptions into an error section and status.</summary>
public abstract class ExplorerPage : PageModel
{
    internal PageError? Error { get; private set; }

    internal string? Query { get; set; }

    protected async Task<IActionResult> RunAsync(Func<Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (ExplorerBadQueryException e)
        {
            Fail(400, "That query cannot be understood", e.Message);
        }
        catch (ExplorerNotFoundException e)
        {
            Fail(404, "Not found", e.Message);
        }
        catch (LogUnavailableException e)
        {
            Fail(e.Status is 502 or 503 ? e.Status : 502, e.Status == 503 ? $"{e.Service} is down" : $"{e.Service} answered badly", e.Message);
        }
        return Page();
    }

    internal void Fail(int status, string title, string message)
    {
        Error = new PageError(status, title, message);
        Response.StatusCode = status;
        if (status == 503) Response.Headers.RetryAfter = "10";
    }
}
