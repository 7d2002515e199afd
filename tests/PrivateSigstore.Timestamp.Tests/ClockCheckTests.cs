using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace PrivateSigstore.Timestamp.Tests;

/// <summary>
/// A fake SNTP server on 127.0.0.1: answers every client packet as an RFC 4330 server whose clock is
/// <see cref="Skew"/> ahead of ours (or with a chosen stratum / leap indicator), or stays silent.
/// </summary>
internal sealed class FakeSntpServer : IDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeSntpServer(TimeSpan skew, byte stratum = 2, int leap = 0, bool silent = false)
    {
        Skew = skew;
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                UdpReceiveResult received;
                try
                {
                    received = await _udp.ReceiveAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }
                Interlocked.Increment(ref _queries);
                if (silent || received.Buffer.Length < 48) continue;
                var answer = new byte[48];
                answer[0] = (byte)((leap << 6) | (4 << 3) | 4); // LI, VN 4, mode 4 (server)
                answer[1] = stratum;
                answer[2] = 6;
                answer[3] = 0xEC;
                Encoding.ASCII.GetBytes(stratum == 0 ? "RATE" : "GPS\0").CopyTo(answer, 12);
                received.Buffer.AsSpan(40, 8).CopyTo(answer.AsSpan(24)); // originate = the client's transmit
                var now = DateTimeOffset.UtcNow + Skew;
                SntpClient.WriteTimestamp(answer.AsSpan(16), now);
                SntpClient.WriteTimestamp(answer.AsSpan(32), now);
                SntpClient.WriteTimestamp(answer.AsSpan(40), now);
                await _udp.SendAsync(answer, received.RemoteEndPoint, _stop.Token);
            }
        });
    }

    private int _queries;

    public TimeSpan Skew { get; }

    public int Queries => Volatile.Read(ref _queries);

    public string Address => $"127.0.0.1:{((IPEndPoint)_udp.Client.LocalEndPoint!).Port}";

    public void Dispose()
    {
        _stop.Cancel();
        _udp.Dispose();
        _loop.Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}

/// <summary>The optional NTP clock check: the SNTP client against a fake server, and the authority refusing with 503.</summary>
public sealed class ClockCheckTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Query() => Replies.Request("sha256", "clock"u8.ToArray(), true, 5).Encode();

    [Theory]
    [InlineData(0)]
    [InlineData(30_000)]
    [InlineData(-45_000)]
    public async Task Sntp_client_measures_the_servers_offset(int skewMs)
    {
        using var server = new FakeSntpServer(TimeSpan.FromMilliseconds(skewMs));
        var result = await SntpClient.QueryAsync(server.Address, TimeSpan.FromSeconds(2), TimeProvider.System, Ct);
        // Generous bounds: on a loaded machine the request and answer delays differ (the offset error is at most RTT / 2).
        Assert.InRange(result.Offset.TotalMilliseconds, skewMs - 1000, skewMs + 1000);
        Assert.Equal(2, result.Stratum);
    }

    [Theory]
    [InlineData(0, 0, "kiss-o'-death")]
    [InlineData(2, 3, "unsynchronized")]
    public async Task Sntp_client_refuses_unusable_answers(byte stratum, int leap, string reason)
    {
        using var server = new FakeSntpServer(TimeSpan.Zero, stratum, leap);
        var e = await Assert.ThrowsAsync<SntpException>(() => SntpClient.QueryAsync(server.Address, TimeSpan.FromSeconds(2), TimeProvider.System, Ct));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ntp_timestamps_round_trip_across_the_2036_era_boundary()
    {
        Span<byte> buffer = stackalloc byte[8];
        foreach (var t in new[] { new DateTimeOffset(2026, 12, 6, 6, 0, 0, TimeSpan.Zero), new DateTimeOffset(2036, 2, 7, 6, 28, 17, TimeSpan.Zero), new DateTimeOffset(2040, 1, 1, 0, 0, 0, TimeSpan.Zero) })
        {
            SntpClient.WriteTimestamp(buffer, t);
            Assert.InRange((SntpClient.ReadTimestamp(buffer) - t).Duration().TotalMilliseconds, 0, 1);
        }
    }

    private static TimestampOptions WithClockCheck(string server, int maxOffsetMs = 1000) => new()
    {
        ClockCheck = new ClockCheckOptions { Enabled = true, Server = server, MaxOffsetMilliseconds = maxOffsetMs, TimeoutMilliseconds = 2000, IntervalSeconds = 60 },
    };

    [Fact]
    public async Task Skewed_clock_makes_the_authority_refuse_with_503_and_a_reason()
    {
        using var server = new FakeSntpServer(TimeSpan.FromSeconds(30));
        await using var host = await TsaHost.StartAsync(WithClockCheck(server.Address));
        var (status, body, _) = await host.PostAsync(Query(), "application/timestamp-query");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        using var error = JsonDocument.Parse(body);
        Assert.Equal(503, error.RootElement.GetProperty("code").GetInt32());
        Assert.Contains("off by", error.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, host.Issued);
        using var ready = await host.Http.GetAsync("/readyz", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("Healthy", await host.Http.GetStringAsync("/healthz", Ct));
    }

    [Fact]
    public async Task Silent_ntp_server_makes_the_authority_refuse()
    {
        using var server = new FakeSntpServer(TimeSpan.Zero, silent: true);
        await using var host = await TsaHost.StartAsync(WithClockCheck(server.Address));
        var (status, body, _) = await host.PostAsync(Query(), "application/timestamp-query");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("did not answer", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        Assert.True(server.Queries >= 1);
    }

    [Fact]
    public async Task Good_clock_lets_the_authority_issue_and_a_later_skew_stops_it()
    {
        using var server = new FakeSntpServer(TimeSpan.FromMilliseconds(200));
        await using var host = await TsaHost.StartAsync(WithClockCheck(server.Address));
        var (status, _, _) = await host.PostAsync(Query(), "application/timestamp-query");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", await host.Http.GetStringAsync("/readyz", Ct));

        // The next check finds the clock off (a tighter threshold stands in for the clock drifting).
        var monitor = host.Services.GetRequiredService<ClockMonitor>();
        using var skewed = new FakeSntpServer(TimeSpan.FromSeconds(5));
        var options = host.Services.GetRequiredService<TimestampOptions>();
        options.ClockCheck.Server = skewed.Address;
        var verdict = await monitor.CheckOnceAsync(Ct);
        Assert.False(verdict.Allows);
        (status, _, _) = await host.PostAsync(Query(), "application/timestamp-query");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
    }

    [Fact]
    public void Enabled_clock_check_without_a_server_fails_at_start_up_naming_the_setting()
    {
        var e = Assert.Throws<ArgumentException>(() => new TimestampOptions { ClockCheck = new() { Enabled = true } }.Validate());
        Assert.Contains("Timestamp:ClockCheck:Server", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => new TimestampOptions { ClockCheck = new() { Enabled = true, Server = "ntp:99999" } }.Validate());
        Assert.Contains("bad port", e.Message, StringComparison.Ordinal);
    }
}
