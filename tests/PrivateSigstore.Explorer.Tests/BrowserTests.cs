using System.Diagnostics;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Explorer.Tests;

/// <summary>
/// The explorer as an auditor uses it: Debian's headless Chromium driven by playwright-core (tests/browser/explorer.mjs)
/// searches by the keyless signer's email, opens the entry, sees the SAN, issuer and SCT and a proof verified by the
/// page's own script (WebCrypto); a tampered proof fails; a script in the SAN stays text; axe-core finds no serious or
/// critical violation on the search, entry and log pages. Screenshots go to the test output (docs/images has copies).
/// </summary>
[Collection(ExplorerGroup.Name)]
public sealed class BrowserTests(ExplorerFixture s)
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Search_open_verify_in_the_browser_tamper_and_check_accessibility()
    {
        var ct = TestContext.Current.CancellationToken;
        var browserDir = Path.Combine(RepositoryRoot(), "tests", "browser");
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium";
        var node = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "node")).FirstOrDefault(File.Exists);
        var missing = node is null ? "node is not installed (apt-get install nodejs)"
            : !File.Exists(chromium) ? $"{chromium} is not installed (apt-get install chromium; test.sh does)"
            : !Directory.Exists(Path.Combine(browserDir, "node_modules", "axe-core")) ? "playwright-core / axe-core are not installed (npm ci --prefix tests/browser; test.sh does)"
            : null;
        if (missing is not null)
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), $"CI=true but {missing}");
            Assert.Skip(missing);
        }
        var screenshots = Directory.CreateDirectory(Environment.GetEnvironmentVariable("EXPLORER_SCREENSHOTS") ?? Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;
        var results = Path.Combine(Path.GetTempPath(), $"psig-explorer-browser-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo(node!) { WorkingDirectory = browserDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(browserDir, "explorer.mjs"));
        start.ArgumentList.Add(results);
        start.Environment["EXPLORER_URL"] = s.Url;
        start.Environment["EMAIL"] = ExplorerFixture.Email;
        start.Environment["INJECTED_INDEX"] = s.InjectedIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["INJECTED_EMAIL"] = ExplorerFixture.InjectedEmail;
        start.Environment["SCREENSHOT_DIR"] = screenshots;
        start.Environment["CHROMIUM"] = chromium;
        start.Environment.Remove("NODE_OPTIONS");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var report = $"exit {process.ExitCode}\nstdout: {await stdout}\nstderr: {await stderr}";
        Assert.True(File.Exists(results), report);
        var r = JsonNode.Parse(await File.ReadAllTextAsync(results, ct))!;
        File.Delete(results);
        TestContext.Current.TestOutputHelper?.WriteLine(r.ToJsonString());
        Assert.True(r["error"] is null, r["error"]?.ToString() + "\n" + report);

        // Search → entry: SAN, issuer, an SCT linked to its CT entry, a proof verified in the browser.
        Assert.True(r["search"]!["rows"]!.GetValue<int>() >= 2, r.ToJsonString());
        var entry = r["entry"]!;
        Assert.True(entry["verified"]!.GetValue<bool>(), entry.ToJsonString());
        Assert.Contains(ExplorerFixture.Email, entry["san"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Contains(s.Issuer, entry["issuer"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(1, entry["scts"]!.GetValue<int>());
        Assert.Equal(1, entry["sctLinks"]!.GetValue<int>());
        Assert.Contains(entry["steps"]!.AsArray(), st => st!.GetValue<string>().Contains("signed by the log key", StringComparison.Ordinal));
        Assert.True(r["ct"]!["verified"]!.GetValue<bool>(), r["ct"]!.ToJsonString());

        // Tampered proof: the page says so.
        Assert.True(r["tampered"]!["failed"]!.GetValue<bool>(), r["tampered"]!.ToJsonString());
        Assert.StartsWith("Verification FAILED", r["tampered"]!["verify"]!.GetValue<string>(), StringComparison.Ordinal);

        // Log page: a plotted chart and a consistency result.
        Assert.True(r["log"]!["svg"]!.GetValue<int>() > 0);
        Assert.StartsWith("Consistent", r["log"]!["consistent"]!.GetValue<string>(), StringComparison.Ordinal);

        // The script in the SAN is text: no dialog opened, no extra script element, the text shown as is.
        Assert.Empty(r["dialogs"]!.AsArray());
        Assert.Contains(ExplorerFixture.InjectedEmail, r["injection"]!["san"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(1, r["injection"]!["scripts"]!.GetValue<int>()); // ours only
        Assert.Contains(ExplorerFixture.InjectedEmail, r["injection"]!["searchText"]!.GetValue<string>(), StringComparison.Ordinal);

        // Without JavaScript the entry page still shows its content.
        Assert.Contains(ExplorerFixture.Email, r["noJs"]!["san"]!.AsArray().Select(n => n!.GetValue<string>()));

        // axe-core: no serious or critical violation on the search, entry and log pages.
        foreach (var page in new[] { "search", "entry", "log" })
        {
            Assert.True(r["axe"]![page]!.AsArray().Count == 0, $"{page}: {r["axe"]![page]!.ToJsonString()}");
        }
        Assert.All(r["screenshots"]!.AsArray(), shot => Assert.True(new FileInfo(shot!.GetValue<string>()).Length > 1000));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PrivateSigstore.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("repository root not found");
    }
}
