using System.Formats.Asn1;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Rekor.Tests;

/// <summary>
/// Issue 20, finding 9: which re-submissions of "the same" hashedrekord are duplicates. Upstream Rekor v1
/// (pkg/types/hashedrekord/v0.0.1 Canonicalize) copies <c>data.hash</c> into the canonical body as submitted and keeps the
/// signature bytes as submitted (x509 signature CanonicalValue), and Trillian deduplicates on the leaf hash of that body;
/// Go's ecdsa.VerifyASN1 accepts a high <c>s</c>. So an upper-case digest and an ECDSA signature with <c>s</c> replaced by
/// <c>n − s</c> are new entries upstream, and here. Search by hash still finds both (index keys are lower-cased).
/// </summary>
public sealed class DeduplicationTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpStatusCode Status, string? Id, JsonNode? Body)> PostAsync(JsonNode proposal)
    {
        using var response = await rekor.Http.PostAsync("/api/v1/log/entries", Proposals.Json(proposal), Ct);
        if (response.StatusCode != HttpStatusCode.Created) return (response.StatusCode, response.Headers.Location?.OriginalString.Split('/')[^1], null);
        var entry = Proposals.Parse(await response.Content.ReadAsStringAsync(Ct)).EnumerateObject().Single();
        return (response.StatusCode, entry.Name, JsonNode.Parse(Convert.FromBase64String(entry.Value.GetProperty("body").GetString()!)));
    }

    [Fact]
    public async Task An_upper_case_digest_is_a_new_entry_as_upstream_and_search_by_hash_finds_both()
    {
        var digest = RandomNumberGenerator.GetBytes(32);
        var signature = Convert.ToBase64String(Proposals.Key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence));
        var key = Proposals.B64(Proposals.KeyPem());
        var lower = Proposals.HashedRekordJson(Convert.ToHexStringLower(digest), signature, key);
        var upper = Proposals.HashedRekordJson(Convert.ToHexString(digest), signature, key);

        var first = await PostAsync(lower);
        Assert.Equal(HttpStatusCode.Created, first.Status);
        var second = await PostAsync(upper);
        Assert.Equal(HttpStatusCode.Created, second.Status);
        Assert.NotEqual(first.Id, second.Id);
        // The canonical body keeps the digest as submitted, as upstream's does.
        Assert.Equal(Convert.ToHexString(digest), second.Body!["spec"]!["data"]!["hash"]!["value"]!.GetValue<string>());
        // Each form is deduplicated against itself.
        var lowerAgain = await PostAsync(lower);
        Assert.Equal((HttpStatusCode.Conflict, first.Id), (lowerAgain.Status, lowerAgain.Id));
        var upperAgain = await PostAsync(upper);
        Assert.Equal((HttpStatusCode.Conflict, second.Id), (upperAgain.Status, upperAgain.Id));

        var found = await SearchByHashAsync("sha256:" + Convert.ToHexStringLower(digest), 2);
        Assert.Equal(new[] { first.Id![^64..], second.Id![^64..] }.Order(), found.Select(id => id[^64..]).Order());
        Assert.Equal(found.Order(), (await SearchByHashAsync(Convert.ToHexString(digest), 2)).Order());
    }

    [Fact]
    public async Task An_ecdsa_signature_with_s_replaced_by_n_minus_s_is_accepted_as_a_new_entry_as_upstream()
    {
        var digest = RandomNumberGenerator.GetBytes(32);
        var p1363 = Proposals.Key.SignHash(digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var r = new BigInteger(p1363.AsSpan(0, 32), isUnsigned: true, isBigEndian: true);
        var s = new BigInteger(p1363.AsSpan(32), isUnsigned: true, isBigEndian: true);
        var n = BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        var original = Der(r, s);
        var malleated = Der(r, n - s);
        Assert.True(Proposals.Key.VerifyHash(digest, malleated, DSASignatureFormat.Rfc3279DerSequence), "n - s is a valid signature too");
        var key = Proposals.B64(Proposals.KeyPem());
        var hex = Convert.ToHexStringLower(digest);

        var first = await PostAsync(Proposals.HashedRekordJson(hex, Convert.ToBase64String(original), key));
        Assert.Equal(HttpStatusCode.Created, first.Status);
        var second = await PostAsync(Proposals.HashedRekordJson(hex, Convert.ToBase64String(malleated), key));
        Assert.Equal(HttpStatusCode.Created, second.Status);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(Convert.ToBase64String(malleated), second.Body!["spec"]!["signature"]!["content"]!.GetValue<string>());
        var again = await PostAsync(Proposals.HashedRekordJson(hex, Convert.ToBase64String(malleated), key));
        Assert.Equal((HttpStatusCode.Conflict, second.Id), (again.Status, again.Id));
    }

    private static byte[] Der(BigInteger r, BigInteger s)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(r);
            writer.WriteInteger(s);
        }
        return writer.Encode();
    }

    private async Task<List<string>> SearchByHashAsync(string hash, int atLeast)
    {
        // The index is written off the append path (as upstream), so it may lag the log briefly.
        for (var attempt = 0; ; attempt++)
        {
            using var response = await rekor.Http.PostAsync("/api/v1/index/retrieve", Proposals.Json(new JsonObject { ["hash"] = hash }), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var ids = Proposals.Parse(await response.Content.ReadAsStringAsync(Ct)).EnumerateArray().Select(e => e.GetString()!).ToList();
            if (ids.Count >= atLeast || attempt > 100) return ids;
            await Task.Delay(50, Ct);
        }
    }
}
