using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PrivateSigstore.Monitor;

/// <summary>
/// Delivers each alert to every webhook as a JSON POST (the alert object), with
/// <c>X-PrivateSigstore-Signature: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c> under the webhook's secret and
/// <c>X-PrivateSigstore-Alert-Id</c>; a failed delivery (no answer or not 2xx) is retried with exponential backoff,
/// at most <see cref="WebhookOptions.MaxAttempts"/> times. Delivery is at-least-once, also across restarts and crashes:
/// alerts whose deliveries had not finished are delivered again at the next start (<see cref="AlertStore.DeliveredFile"/>);
/// receivers deduplicate on the alert id. The alert feed (<c>GET /api/v1/alerts</c>) is the durable record.
/// </summary>
internal sealed partial class WebhookDispatcher(
    AlertStore alerts,
    MonitorOptions options,
    IHttpClientFactory httpFactory,
    MonitorMetrics metrics,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    /// <summary>The signature header.</summary>
    public const string SignatureHeader = "X-PrivateSigstore-Signature";

    private readonly (WebhookOptions Hook, byte[] Secret)[] _hooks = [.. options.Webhooks.Select(h => (h, ReadSecret(h)))];

    internal static byte[] ReadSecret(WebhookOptions hook) => Encoding.UTF8.GetBytes(
        (hook.SecretFile is not null ? File.ReadAllText(hook.SecretFile) : Environment.GetEnvironmentVariable(hook.SecretEnvironmentVariable!) ?? "").Trim());

    /// <summary>The signature header's value for <paramref name="body"/>.</summary>
    public static string Sign(byte[] secret, byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, body));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var alert in alerts.Outbox.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                if (_hooks.Length > 0 || options.Email is not null)
                {
                    var body = JsonSerializer.SerializeToUtf8Bytes(alert, MonitorJson.Default.MonitorAlert);
                    var deliveries = _hooks.Select(h => DeliverAsync(h.Hook, h.Secret, alert.Id, body, stoppingToken)).ToList();
                    if (options.Email is { } email) deliveries.Add(MailAsync(email, alert, body, stoppingToken));
                    await Task.WhenAll(deliveries).ConfigureAwait(false);
                }
                try
                {
                    alerts.MarkDelivered(alert.Id);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A full or read-only disk: the alert is delivered again after a restart (at least once), not lost.
                    LogMarkFailed(logger, alert.Id, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task DeliverAsync(WebhookOptions hook, byte[] secret, long id, byte[] body, CancellationToken cancellationToken)
    {
        var http = httpFactory.CreateClient(MonitorApp.HttpClientName);
        var delivered = await RetryAsync(hook.MaxAttempts, async () =>
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, hook.Url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.TryAddWithoutValidation(SignatureHeader, Sign(secret, body));
                request.Headers.TryAddWithoutValidation("X-PrivateSigstore-Alert-Id", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                return e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return "timed out";
            }
        }, (attempt, failure) => LogRetry(logger, id, hook.Url, attempt, failure), cancellationToken).ConfigureAwait(false);
        if (delivered)
        {
            metrics.Webhook("delivered");
            return;
        }
        metrics.Webhook("failed");
        LogGaveUp(logger, id, hook.Url, hook.MaxAttempts);
    }

    /// <summary>One message per alert through the SMTP relay: the summary in the subject, the alert's JSON in the body.</summary>
    private async Task MailAsync(EmailOptions email, MonitorAlert alert, byte[] body, CancellationToken cancellationToken)
    {
        var message = new MimeKit.MimeMessage();
        message.From.Add(MimeKit.MailboxAddress.Parse(email.From));
        foreach (var to in email.To) message.To.Add(MimeKit.MailboxAddress.Parse(to));
        var summary = $"{alert.Kind} on {alert.Log}: {alert.Message}";
        message.Subject = "[PrivateSigstore monitor] " + (summary.Length > 180 ? summary[..180] + "…" : summary);
        message.Headers.Add("X-PrivateSigstore-Alert-Id", alert.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        message.Body = new MimeKit.TextPart("plain")
        {
            Text = summary + "\n\n"
                + "The alert as the feed (GET /api/v1/alerts) and the webhooks carry it:\n\n"
                + JsonSerializer.Serialize(JsonDocument.Parse(body).RootElement, IndentedJson) + "\n\n"
                + "An identity-match alert says that a certificate or key you watch signed something: who signed which bytes, not\n"
                + "whether those bytes are safe.\n",
        };
        var security = Enum.Parse<MailKit.Security.SecureSocketOptions>(email.Security, ignoreCase: true);
        var delivered = await RetryAsync(email.MaxAttempts, async () =>
        {
            try
            {
                using var smtp = new MailKit.Net.Smtp.SmtpClient { Timeout = (int)TimeSpan.FromSeconds(options.HttpTimeoutSeconds).TotalMilliseconds };
                await smtp.ConnectAsync(email.SmtpHost, email.SmtpPort, security, cancellationToken).ConfigureAwait(false);
                if (email.UserName is not null)
                {
                    var password = (await File.ReadAllTextAsync(email.PasswordFile!, cancellationToken).ConfigureAwait(false)).Trim();
                    await smtp.AuthenticateAsync(email.UserName, password, cancellationToken).ConfigureAwait(false);
                }
                await smtp.SendAsync(message, cancellationToken).ConfigureAwait(false);
                await smtp.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (Exception e) when (e is MailKit.ProtocolException or MailKit.Net.Smtp.SmtpCommandException or MailKit.Security.AuthenticationException
                or System.Net.Sockets.SocketException or IOException or TimeoutException or MailKit.Security.SslHandshakeException or NotSupportedException)
            {
                return e.Message;
            }
        }, (attempt, failure) => LogMailRetry(logger, alert.Id, email.SmtpHost, attempt, failure), cancellationToken).ConfigureAwait(false);
        if (delivered)
        {
            metrics.Email("delivered");
            return;
        }
        metrics.Email("failed");
        LogMailGaveUp(logger, alert.Id, email.SmtpHost, email.MaxAttempts);
    }

    /// <summary>
    /// Up to <paramref name="maxAttempts"/> tries of <paramref name="attempt"/> (null: done, else why it failed), with
    /// exponential backoff from 200 ms capped at 30 s between them; true when one succeeded. Shared by webhooks and email.
    /// </summary>
    private async Task<bool> RetryAsync(int maxAttempts, Func<Task<string?>> attempt, Action<int, string> failed, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        for (var n = 1; n <= maxAttempts; n++)
        {
            if (await attempt().ConfigureAwait(false) is not { } failure) return true;
            failed(n, failure);
            if (n == maxAttempts) break;
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
        return false;
    }

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    [LoggerMessage(EventId = 8214, Level = LogLevel.Warning, Message = "Monitor: could not record that alert {Id} was delivered ({Failure}); it is delivered again after a restart")]
    private static partial void LogMarkFailed(ILogger logger, long id, string failure);

    [LoggerMessage(EventId = 8212, Level = LogLevel.Warning, Message = "Monitor: email of alert {Id} through {Relay} failed (attempt {Attempt}): {Failure}")]
    private static partial void LogMailRetry(ILogger logger, long id, string relay, int attempt, string failure);

    [LoggerMessage(EventId = 8213, Level = LogLevel.Error, Message = "Monitor: gave up emailing alert {Id} through {Relay} after {Attempts} attempts")]
    private static partial void LogMailGaveUp(ILogger logger, long id, string relay, int attempts);

    [LoggerMessage(EventId = 8210, Level = LogLevel.Warning, Message = "Monitor: webhook delivery of alert {Id} to {Url} failed (attempt {Attempt}): {Failure}")]
    private static partial void LogRetry(ILogger logger, long id, string url, int attempt, string failure);

    [LoggerMessage(EventId = 8211, Level = LogLevel.Error, Message = "Monitor: gave up delivering alert {Id} to {Url} after {Attempts} attempts")]
    private static partial void LogGaveUp(ILogger logger, long id, string url, int attempts);
}
