using System.Net;
using System.Security.Cryptography.Pkcs;

namespace PrivateSigstore.Timestamp.Tests;

/// <summary>The upstream flags with a behaviour: accepted policies, accuracy, the chain in the token, HTTP 201.</summary>
public sealed class OptionsBehaviourTests
{
    [Fact]
    public async Task Accepted_policies_accuracy_chain_in_response_and_201_follow_the_settings()
    {
        await using var host = await TsaHost.StartAsync(new TimestampOptions
        {
            AcceptedPolicyOids = ["1.3.6.1.4.1.99999.1"],
            AccuracyMilliseconds = 1500,
            IncludeChainInResponse = true,
            UseHttp201 = true,
        });
        var chain = await host.ChainAsync();

        // A further accepted policy is written into the token as requested.
        var request = Replies.Request("sha384", "options"u8.ToArray(), true, 11, "1.3.6.1.4.1.99999.1");
        var (status, body, _) = await host.PostAsync(request.Encode(), "application/timestamp-query");
        Assert.Equal(HttpStatusCode.Created, status);
        var token = Replies.Verify(request, body, chain);
        Assert.Equal("1.3.6.1.4.1.99999.1", token.TokenInfo.PolicyId.Value);
        Assert.Equal(1_500_000, token.TokenInfo.AccuracyInMicroseconds);
        // certReq with IncludeChainInResponse: the TSA certificate and the rest of the chain.
        var certificates = token.AsSignedCms().Certificates.Select(c => c.Thumbprint).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(chain.Select(c => c.Thumbprint).Order(StringComparer.Ordinal), certificates);

        // No policy requested: the default is written.
        request = Replies.Request("sha256", "options"u8.ToArray(), false, null);
        (status, body, _) = await host.PostAsync(request.Encode(), "application/timestamp-query");
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(TimestampOptions.SigstorePolicyOid, Replies.Verify(request, body, chain).TokenInfo.PolicyId.Value);
        Assert.Empty(Rfc3161TimestampToken.TryDecode(Replies.Split(body).Token, out var t, out _) ? t!.AsSignedCms().Certificates : throw new InvalidOperationException());
    }

    [Fact]
    public async Task Accuracy_zero_omits_the_field()
    {
        await using var host = await TsaHost.StartAsync(new TimestampOptions { AccuracyMilliseconds = 0 });
        var chain = await host.ChainAsync();
        var request = Replies.Request("sha512", "no accuracy"u8.ToArray(), true, 1);
        var (status, body, _) = await host.PostAsync(request.Encode(), "application/timestamp-query");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(Replies.Verify(request, body, chain).TokenInfo.AccuracyInMicroseconds);
    }
}
