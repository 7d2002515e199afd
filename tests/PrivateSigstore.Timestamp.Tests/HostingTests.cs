using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PrivateSigstore.Timestamp.Tests;

/// <summary>The typed entry points another host uses (the Stack, the shared hosting layer): Add + Map into its own app.</summary>
public sealed class HostingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Authority_can_be_added_to_another_host_and_mapped_under_a_prefix()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddTimestampAuthority(new TimestampOptions { DataDirectory = TsaHost.TempDirectory("hosted") });
        await using var app = builder.Build();
        app.MapGroup("/tsa").MapTimestampAuthority();
        app.MapHealthChecks("/readyz");
        await app.StartAsync(Ct);
        var port = TsaHost.BoundPort(app);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            Assert.Equal("Healthy", await http.GetStringAsync("/readyz", Ct));
            var pem = await http.GetStringAsync("/tsa/api/v1/timestamp/certchain", Ct);
            var chain = Core.Pem.GoPem.DecodeCertificates(pem).Select(System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate).ToArray();
            var request = Replies.Request("sha256", "hosted"u8.ToArray(), true, 3);
            using var content = new ByteArrayContent(request.Encode());
            content.Headers.TryAddWithoutValidation("Content-Type", "application/timestamp-query");
            using var response = await http.PostAsync("/tsa/api/v1/timestamp", content, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Replies.Verify(request, await response.Content.ReadAsByteArrayAsync(Ct), chain);
        }
        finally
        {
            await app.StopAsync(Ct);
        }
    }

    [Fact]
    public void Invalid_options_fail_when_added()
    {
        var e = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddTimestampAuthority(new TimestampOptions { AccuracyMilliseconds = -5 }));
        Assert.Contains("Timestamp:AccuracyMilliseconds", e.Message, StringComparison.Ordinal);
    }
}
