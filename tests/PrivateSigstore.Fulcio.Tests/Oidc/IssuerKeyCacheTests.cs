using PrivateSigstore.Fulcio.Config;
using PrivateSigstore.Fulcio.Oidc;

namespace PrivateSigstore.Fulcio.Tests.Oidc;

/// <summary>
/// Issue 20, finding 9: the cache of issuer key sources (one HTTP client each; meta issuers add one per tenant) is a
/// bounded LRU that disposes what it evicts, so that evicted sources do not keep their connection pools open.
/// </summary>
public sealed class IssuerKeyCacheTests
{
    private static readonly FulcioConfig Config = FulcioConfig.Parse("""{"MetaIssuers":{"https://idp.example.com/tenants/*":{"Type":"email"} } }""");

    private static OidcIssuerConfig Tenant(int i) => Config.GetIssuer($"https://idp.example.com/tenants/t{i}")!;

    [Fact]
    public void An_evicted_issuer_key_source_is_disposed_and_the_bound_holds()
    {
        using var verifier = new OidcVerifier(Config, new OidcVerifierOptions { MaxCachedIssuers = 3 });
        var sources = Enumerable.Range(0, 3).Select(i => verifier.GetSource(Tenant(i))).ToList();
        // t0 used again: t1 is now the least recently used.
        Assert.Same(sources[0], verifier.GetSource(Tenant(0)));
        var t3 = verifier.GetSource(Tenant(3));
        Assert.Equal(3, verifier.CachedIssuerCount);
        Assert.True(sources[1].IsDisposed);
        Assert.False(sources[0].IsDisposed);
        Assert.False(sources[2].IsDisposed);
        Assert.Same(sources[0], verifier.GetSource(Tenant(0)));
        Assert.Same(sources[2], verifier.GetSource(Tenant(2)));

        for (var i = 4; i < 50; i++)
        {
            verifier.GetSource(Tenant(i));
            Assert.True(verifier.CachedIssuerCount <= 3);
        }
        Assert.True(t3.IsDisposed);
        Assert.All(sources, s => Assert.True(s.IsDisposed));
        // An evicted issuer comes back as a new source.
        Assert.NotSame(sources[1], verifier.GetSource(Tenant(1)));
    }

    [Fact]
    public void Disposing_the_verifier_disposes_every_cached_source()
    {
        var verifier = new OidcVerifier(Config, new OidcVerifierOptions { MaxCachedIssuers = 3 });
        var sources = Enumerable.Range(0, 3).Select(i => verifier.GetSource(Tenant(i))).ToList();
        verifier.Dispose();
        Assert.All(sources, s => Assert.True(s.IsDisposed));
    }
}
