using System.Text.Json.Nodes;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Explorer.Tests;

/// <summary>The explorer's pages over a real stack: search, entries, logs, proofs, downloads, alerts.</summary>
[Collection(ExplorerGroup.Name)]
public sealed class PageTests(ExplorerFixture s)
{
    [Fact]
    public async Task Search_by_email_lists_the_rekor_entry_and_the_ct_precertificate()
    {
        var (status, body) = await s.GetAsync("/?q=" + Uri.EscapeDataString(ExplorerFixture.Email));
        Assert.Equal(200, status);
        Assert.Contains($"href=\"/logs/rekor/entries/{s.ErinIndex}\"", body, StringComparison.Ordinal);
        Assert.Contains("/logs/ct/entries/", body, StringComparison.Ordinal);
        Assert.Contains("precertificate", body, StringComparison.Ordinal);
        Assert.Contains(s.Issuer, body, StringComparison.Ordinal);
        Assert.Contains("Rekor v2 keeps no search index", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_by_digest_index_uuid_serial_and_issuer_find_the_entry()
    {
        var digest = "sha256:" + Convert.ToHexStringLower(s.ErinBundle.MessageSignature!.MessageDigest!.Digest);
        var (status, body) = await s.GetAsync("/?q=" + Uri.EscapeDataString(digest));
        Assert.Equal(200, status);
        Assert.Contains($"/logs/rekor/entries/{s.ErinIndex}", body, StringComparison.Ordinal);

        // An index or a UUID redirects to the entry itself.
        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var byIndex = await noRedirect.GetAsync(new Uri($"{s.Url}/?q={s.ErinIndex}"), TestContext.Current.CancellationToken);
        Assert.Equal($"/logs/rekor/entries/{s.ErinIndex}", byIndex.Headers.Location?.OriginalString);
        var entry = await new Client.Rekor.RekorClient(s.Http, new Uri(s.Stack.RekorUrl)).GetEntryByIndexAsync(s.ErinIndex, TestContext.Current.CancellationToken);
        using var byUuid = await noRedirect.GetAsync(new Uri($"{s.Url}/?q={entry.Uuid}"), TestContext.Current.CancellationToken);
        Assert.Equal($"/logs/rekor/entries/{s.ErinIndex}", byUuid.Headers.Location?.OriginalString);

        // The certificate's serial (CT log index) and the issuer (CT log index).
        using var cert = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(s.ErinBundle.VerificationMaterial!.Certificate!.RawBytes);
        (status, body) = await s.GetAsync("/?q=serial:" + cert.SerialNumber);
        Assert.Equal(200, status);
        Assert.Contains("/logs/ct/entries/", body, StringComparison.Ordinal);
        (status, body) = await s.GetAsync("/?q=" + Uri.EscapeDataString("issuer:" + s.Issuer));
        Assert.Equal(200, status);
        Assert.Contains("/logs/ct/entries/", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entry_page_shows_the_certificate_in_human_terms_and_links_the_sct_to_the_ct_entry()
    {
        var (status, body) = await s.GetAsync($"/logs/rekor/entries/{s.ErinIndex}");
        Assert.Equal(200, status);
        Assert.Contains(ExplorerFixture.Email, body, StringComparison.Ordinal);
        Assert.Contains(s.Issuer, body, StringComparison.Ordinal);
        Assert.Contains("Issuer (V2)", body, StringComparison.Ordinal);
        Assert.Contains("1.3.6.1.4.1.57264.1.8", body, StringComparison.Ordinal);
        Assert.Contains("hashedrekord", body, StringComparison.Ordinal);
        Assert.Matches("href=\"/logs/ct/entries/[0-9]+\">entry [0-9]+</a>", body);
        Assert.Contains("Chain (from the trusted root)", body, StringComparison.Ordinal);
        Assert.Contains("/static/explorer.js", body, StringComparison.Ordinal);
        Assert.Contains("data-proof-url=\"/logs/rekor/entries/", body, StringComparison.Ordinal);

        // The CT entry shows the precertificate and, found through Rekor, the final certificate side by side.
        var ct = System.Text.RegularExpressions.Regex.Match(body, "href=\"(/logs/ct/entries/[0-9]+)\"").Groups[1].Value;
        (status, body) = await s.GetAsync(ct);
        Assert.Equal(200, status);
        Assert.Contains("Precertificate and final certificate", body, StringComparison.Ordinal);
        Assert.Contains(ExplorerFixture.Email, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rekor_v2_entries_and_logs_are_shown()
    {
        var (status, body) = await s.GetAsync($"/logs/rekor-v2/entries/{s.ErinV2Index}");
        Assert.Equal(200, status);
        Assert.Contains(ExplorerFixture.Email, body, StringComparison.Ordinal);
        Assert.Contains("hashedRekordV002", body, StringComparison.Ordinal);
        (status, body) = await s.GetAsync("/logs/rekor-v2");
        Assert.Equal(200, status);
        Assert.Contains("no entries-per-hour chart", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rekor")]
    [InlineData("rekor-v2")]
    [InlineData("ct")]
    public async Task Proof_json_holds_what_the_browser_checks_and_it_verifies(string log)
    {
        var index = log switch { "rekor" => s.ErinIndex, "rekor-v2" => s.ErinV2Index, _ => 0 };
        var (status, text) = await s.GetAsync($"/logs/{log}/entries/{index}/proof.json");
        Assert.Equal(200, status);
        var p = JsonNode.Parse(text)!;
        var leaf = Convert.FromBase64String(p["leaf"]!.GetValue<string>());
        var root = Convert.FromHexString(p["rootHash"]!.GetValue<string>());
        var hashes = p["hashes"]!.AsArray().Select(h => Convert.FromHexString(h!.GetValue<string>())).ToList();
        ProofVerifier.VerifyInclusion(Rfc6962.HashLeaf(leaf), p["proofIndex"]!.GetValue<ulong>(), p["treeSize"]!.GetValue<ulong>(), hashes, root);
        if (log != "ct")
        {
            var checkpoint = SignedCheckpoint.Parse(p["checkpoint"]!.GetValue<string>()).Checkpoint;
            Assert.Equal(root, checkpoint.RootHash);
        }
    }

    [Fact]
    public async Task Log_pages_show_the_checkpoint_a_plotted_chart_and_check_consistency()
    {
        foreach (var log in new[] { "rekor", "ct" })
        {
            var (status, body) = await s.GetAsync($"/logs/{log}");
            Assert.Equal(200, status);
            Assert.Contains("<svg", body, StringComparison.Ordinal);
            Assert.Contains("<rect", body, StringComparison.Ordinal);
            Assert.Contains("Checkpoint history", body, StringComparison.Ordinal);
        }
        // Powers of two take the old root from the log (an inclusion proof, the tiles); 3 from the proof itself.
        foreach (var (log, first) in new[] { ("rekor", 1), ("rekor", 2), ("rekor-v2", 1), ("ct", 1), ("ct", 3) })
        {
            var (status, body) = await s.GetAsync($"/logs/{log}?first={first}");
            Assert.Equal(200, status);
            Assert.Contains("<strong>Consistent</strong>", body, StringComparison.Ordinal);
        }
        // A wrong old root is caught.
        var (st, b) = await s.GetAsync($"/logs/rekor?first=1&firstRoot={new string('0', 64)}");
        Assert.Equal(200, st);
        Assert.Contains("Not shown consistent", b, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_bundle_fragment_carries_the_tlog_entry_and_certificate()
    {
        var (status, text) = await s.GetAsync($"/logs/rekor/entries/{s.ErinIndex}/bundle.json");
        Assert.Equal(200, status);
        var bundle = BundleJson.Parse(text);
        var entry = Assert.Single(bundle.VerificationMaterial!.TlogEntries);
        Assert.Equal(s.ErinIndex, entry.LogIndex);
        Assert.NotNull(entry.InclusionProof);
        Assert.NotNull(entry.InclusionPromise);
        Assert.Equal(s.ErinBundle.VerificationMaterial!.Certificate!.RawBytes, bundle.VerificationMaterial.Certificate!.RawBytes);
        Assert.Equal(s.ErinBundle.MessageSignature!.Signature, bundle.MessageSignature!.Signature);
    }

    [Fact]
    public async Task Alerts_page_lists_the_monitor_feed()
    {
        var (status, body) = await s.GetAsync("/alerts");
        Assert.Equal(200, status);
        Assert.Contains("Monitor alerts", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Script_in_the_san_is_shown_encoded_everywhere()
    {
        foreach (var path in new[] { $"/logs/rekor/entries/{s.InjectedIndex}", "/?q=" + Uri.EscapeDataString(ExplorerFixture.InjectedEmail) })
        {
            var (status, body) = await s.GetAsync(path);
            Assert.Equal(200, status);
            Assert.DoesNotContain("<script>alert", body, StringComparison.Ordinal);
            Assert.Contains("&lt;script&gt;alert(&quot;san&quot;)&lt;/script&gt;@example.com", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Pages_send_a_strict_content_security_policy()
    {
        using var response = await s.Http.GetAsync(new Uri(s.Url + "/"), TestContext.Current.CancellationToken);
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
    }
}
