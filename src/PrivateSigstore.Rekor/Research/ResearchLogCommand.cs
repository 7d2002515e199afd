using System.CommandLine;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Rekor.Research;

/// <summary>
/// <c>research-log</c>: <c>serve</c> runs the research log; <c>show</c>, <c>fork</c>, <c>hold</c>, <c>rewrite</c>,
/// <c>drop</c>, <c>bad-checkpoint</c> and <c>clear</c> call its admin API (<c>--admin-url</c>, default the local one).
/// </summary>
public static class ResearchLogCommand
{
    /// <summary>Parses and runs the arguments after <c>research-log</c>; returns the exit code (2 usage error, 1 failure).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var adminUrl = new Option<Uri>("--admin-url")
        {
            Description = "The research log's base URL, from a loopback address (admin API /research/v1)",
            DefaultValueFactory = _ => new Uri(ResearchLogApp.DefaultUrl),
            CustomParser = r =>
            {
                var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : ResearchLogApp.DefaultUrl;
                if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") return uri;
                r.AddError($"--admin-url {text} is not an http(s) URL");
                return null;
            },
            Recursive = true,
        };
        var serve = new Command("serve", $"""
            Runs the research log (a Rekor v2 log that misbehaves on command) on {ResearchLogApp.DefaultUrl}. Its checkpoint origin
            always starts with "{ResearchLogApp.OriginPrefix}" (default research.localhost); a checkpoint key in an HSM is refused.
            Data in data/research-log. Settings as for Rekor v2: --RekorV2:X value (e.g. --RekorV2:Key:KeyPath key.pem, --urls URL).
            """)
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        serve.SetAction(async (parse, ct) =>
        {
            var app = await ResearchLogApp.BuildAsync([.. parse.UnmatchedTokens], cancellationToken: ct).ConfigureAwait(false);
            await app.RunAsync(ct).ConfigureAwait(false);
            return 0;
        });

        var show = new Command("show", "Prints the origin, the honest size and the active faults");
        show.SetAction((parse, ct) => CallAsync(parse.GetValue(adminUrl)!, HttpMethod.Get, "faults", null, output, error, ct));

        var addresses = new Option<string[]>("--address") { Description = "A client IP address shown the fork (repeatable; * for all)", AllowMultipleArgumentsPerToken = false };
        var clients = new Option<string[]>("--client") { Description = $"A {ResearchLogApp.ClientHeader} header value shown the fork (repeatable)" };
        var at = new Option<ulong?>("--at") { Description = "First leaf that differs in the fork (default: the last entry, so the same size shows another root)" };
        var fork = new Command("fork", "Shows chosen clients a forked view: same key and origin, another tree from --at on") { addresses, clients, at };
        fork.SetAction((parse, ct) => SetAsync(parse.GetValue(adminUrl)!, "fork", new JsonObject
        {
            ["addresses"] = new JsonArray([.. (parse.GetValue(addresses) ?? []).Select(a => JsonValue.Create(a))]),
            ["clients"] = new JsonArray([.. (parse.GetValue(clients) ?? []).Select(c => JsonValue.Create(c))]),
            ["at"] = parse.GetValue(at),
        }, output, error, ct));

        var size = new Option<ulong?>("--size") { Description = "The size to hold the served checkpoint at (default: the current size)" };
        var hold = new Command("hold", "Keeps acknowledging uploads but serves no checkpoint beyond --size (entries held back past any merge delay)") { size };
        hold.SetAction((parse, ct) => SetAsync(parse.GetValue(adminUrl)!, "hold", new JsonObject { ["size"] = parse.GetValue(size) }, output, error, ct));

        var index = new Option<ulong?>("--index") { Description = "The entry's index" };
        var entryFile = new Option<FileInfo?>("--entry-file") { Description = "The replacement entry's bytes (default: a marked made-up entry)" };
        var rewrite = new Command("rewrite", "Replaces the entry at --index in every later view (history rewritten)") { index, entryFile };
        rewrite.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(index) is null)
            {
                await error.WriteLineAsync("research-log rewrite: give --index N").ConfigureAwait(false);
                return 2;
            }
            var body = new JsonObject { ["index"] = parse.GetValue(index) };
            if (parse.GetValue(entryFile) is { } file) body["entry"] = Convert.ToBase64String(await File.ReadAllBytesAsync(file.FullName, ct).ConfigureAwait(false));
            return await SetAsync(parse.GetValue(adminUrl)!, "rewrite", body, output, error, ct).ConfigureAwait(false);
        });

        var dropIndex = new Option<ulong?>("--index") { Description = "The acknowledged entry to drop (default: the last one)" };
        var drop = new Command("drop", "Removes an acknowledged entry from the served tree") { dropIndex };
        drop.SetAction((parse, ct) => SetAsync(parse.GetValue(adminUrl)!, "drop", new JsonObject { ["index"] = parse.GetValue(dropIndex) }, output, error, ct));

        var mode = new Option<string>("--mode") { Description = "random-root (a root that matches no tree), smaller (going backwards), wrong-key", DefaultValueFactory = _ => "random-root" };
        mode.AcceptOnlyFromAmong("random-root", "smaller", "wrong-key");
        var by = new Option<ulong?>("--by") { Description = "smaller: how many entries back (default 1)" };
        var bad = new Command("bad-checkpoint", "Signs (and serves) a checkpoint that lies") { mode, by };
        bad.SetAction((parse, ct) => SetAsync(parse.GetValue(adminUrl)!, "bad-checkpoint", new JsonObject { ["mode"] = parse.GetValue(mode), ["by"] = parse.GetValue(by) }, output, error, ct));

        var fault = new Argument<string?>("FAULT") { Description = "fork, hold, rewrite, drop or bad-checkpoint (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var clear = new Command("clear", "Ends one fault, or all: the log is honest again (rewritten and dropped entries come back)") { fault };
        clear.SetAction((parse, ct) => CallAsync(parse.GetValue(adminUrl)!, HttpMethod.Delete, parse.GetValue(fault) is { } f ? "faults/" + f : "faults", null, output, error, ct));

        var root = new RootCommand("PrivateSigstore Rekor")
        {
            new Command("research-log", "A Rekor v2 test log that misbehaves on command, to test monitors, witnesses and clients (docs/research-log.md)")
            {
                adminUrl, serve, show, fork, hold, rewrite, drop, bad, clear,
            },
        };
        var result = root.Parse(["research-log", .. args]);
        if (result.Errors.Count > 0)
        {
            foreach (var e in result.Errors) await error.WriteLineAsync("research-log: " + e.Message).ConfigureAwait(false);
            await error.WriteLineAsync("Run with research-log --help for the commands and options.").ConfigureAwait(false);
            return 2;
        }
        try
        {
            return await result.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = error }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or Keys.KeyConfigurationException or Log.LogCorruptedException)
        {
            await error.WriteLineAsync("research-log: " + ex.Message).ConfigureAwait(false);
            return 1;
        }
    }

    private static Task<int> SetAsync(Uri url, string fault, JsonObject body, TextWriter output, TextWriter error, CancellationToken ct)
    {
        foreach (var key in body.Where(p => p.Value is null).Select(p => p.Key).ToList()) body.Remove(key);
        return CallAsync(url, HttpMethod.Post, "faults/" + fault, body, output, error, ct);
    }

    private static async Task<int> CallAsync(Uri url, HttpMethod method, string path, JsonObject? body, TextWriter output, TextWriter error, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(method, new Uri(url, ResearchEndpoints.AdminPrefix + "/" + path));
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        try
        {
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                await error.WriteLineAsync($"research-log: {(int)response.StatusCode} {text.Trim()}").ConfigureAwait(false);
                return 1;
            }
            await output.WriteLineAsync(text.Trim()).ConfigureAwait(false);
            return 0;
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"research-log: cannot reach {url}: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            await error.WriteLineAsync($"research-log: {url} did not answer in 30 s").ConfigureAwait(false);
            return 1;
        }
    }
}
