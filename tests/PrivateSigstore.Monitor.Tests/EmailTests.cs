using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PrivateSigstore.Monitor.Tests;

/// <summary>Alerts by email: a real SMTP conversation with a relay on loopback (retried after a refusal), and bad settings refused at start-up.</summary>
public sealed class EmailTests
{
    private const string Config = """
        monitoredValues:
          certIdentities:
            - certSubject: alice@example\.com
        """;

    /// <summary>A minimal SMTP relay (RFC 5321 without extensions): records each message; refuses the first MAIL FROM with a 451 when asked.</summary>
    private sealed class SmtpRelay : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _refusals;

        public SmtpRelay(int refusals)
        {
            _refusals = refusals;
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public List<(string From, List<string> To, string Data)> Messages { get; } = [];

        private async Task LoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                _ = Task.Run(() => ServeAsync(client));
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using (client)
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII);
                await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
                await writer.WriteLineAsync("220 relay.test ESMTP");
                string from = "";
                var to = new List<string>();
                while (await reader.ReadLineAsync() is { } line)
                {
                    var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                    switch (verb)
                    {
                        case "EHLO" or "HELO":
                            await writer.WriteLineAsync("250 relay.test");
                            break;
                        case "MAIL":
                            if (Interlocked.Decrement(ref _refusals) >= 0)
                            {
                                await writer.WriteLineAsync("451 4.3.0 try again later");
                                break;
                            }
                            from = line;
                            await writer.WriteLineAsync("250 OK");
                            break;
                        case "RCPT":
                            to.Add(line);
                            await writer.WriteLineAsync("250 OK");
                            break;
                        case "DATA":
                            await writer.WriteLineAsync("354 end with <CRLF>.<CRLF>");
                            var data = new StringBuilder();
                            while (await reader.ReadLineAsync() is { } d && d != ".") data.Append(d).Append('\n');
                            lock (Messages) Messages.Add((from, [.. to], data.ToString()));
                            await writer.WriteLineAsync("250 OK queued");
                            break;
                        case "QUIT":
                            await writer.WriteLineAsync("221 bye");
                            return;
                        case "RSET" or "NOOP":
                            await writer.WriteLineAsync("250 OK");
                            break;
                        default:
                            await writer.WriteLineAsync("502 not implemented");
                            break;
                    }
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            _stop.Dispose();
        }
    }

    [Fact]
    public async Task An_alert_is_mailed_through_the_relay_after_a_temporary_refusal()
    {
        await using var relay = new SmtpRelay(refusals: 1);
        await using var log = await FakeLog.StartAsync();
        var options = MonitorHost.Options(log, MonitoredLogKind.RekorV1);
        var config = Path.Combine(MonitorHost.TempDirectory(), "identities.yaml");
        await File.WriteAllTextAsync(config, Config, TestContext.Current.CancellationToken);
        options.IdentityConfigPath = config;
        options.Email = new EmailOptions
        {
            SmtpHost = "127.0.0.1",
            SmtpPort = relay.Port,
            Security = "None",
            From = "monitor@example.com",
            To = ["security@example.com", "oncall@example.com"],
        };
        await using var monitor = await MonitorHost.StartAsync(options);
        await monitor.WaitForSizeAsync(0);
        log.AddRekorEntry(Certs.HashedRekord(Certs.Fulcio("alice@example.com", "https://accounts.example.com")));
        await MonitorHost.WaitAsync(() => { lock (relay.Messages) return relay.Messages.Count == 1; }, "the alert email");

        var (from, to, data) = relay.Messages[0];
        Assert.Contains("<monitor@example.com>", from, StringComparison.Ordinal);
        Assert.Equal(2, to.Count);
        Assert.Contains("Subject: [PrivateSigstore monitor] identity-match on", data, StringComparison.Ordinal);
        Assert.Contains("alice@example.com", data, StringComparison.Ordinal);
        Assert.Contains("X-PrivateSigstore-Alert-Id: 1", data, StringComparison.Ordinal);
        Assert.Contains("\"kind\": \"identity-match\"", data, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "a@example.com", "None", "SmtpHost must be set")]
    [InlineData("127.0.0.1", "not an address", "None", "From \"not an address\" is not an email address")]
    [InlineData("127.0.0.1", "a@example.com", "Sometimes", "Security must be StartTlsWhenAvailable, StartTls, Tls or None")]
    public void Bad_email_settings_fail_at_start_up_naming_the_setting(string host, string from, string security, string message)
    {
        var options = new MonitorOptions
        {
            Logs = [new MonitoredLogOptions { Kind = MonitoredLogKind.RekorV1, Url = "http://127.0.0.1:1", PublicKeyPath = "/dev/null" }],
            Email = new EmailOptions { SmtpHost = host, From = from, Security = security, To = ["b@example.com"] },
        };
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
