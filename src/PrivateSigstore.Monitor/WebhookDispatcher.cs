using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PrivateSigstore.Monitor;

/// <summary>
/// Delivers each alert to every webhook as a JSON POST (the alert object), with
/// <c>X-PrivateSigstore-Signature: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c> under the webhook's secret and
/// <c>X-PrivateSigstore-Alert-Id</c>; a failed delivery (no answer or not 2xx) is retried with exponential backoff,
/// at most <see cref="WebhookOptions.MaxAttempts"/> times. Delivery is at-least-once while the monitor runs; the
/// alert feed (<c>GET /api/v1/alerts</c>) is the durable record.
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
                if (_hooks.Length == 0) continue;
                var body = JsonSerializer.SerializeToUtf8Bytes(alert, MonitorJson.Default.MonitorAlert);
                await Task.WhenAll(_hooks.Select(h => DeliverAsync(h.Hook, h.Secret, alert.Id, body, stoppingToken))).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task DeliverAsync(WebhookOptions hook, byte[] secret, long id, byte[] body, CancellationToken cancellationToken)
    {
        var http = httpFactory.CreateClient(MonitorApp.HttpClientName);
        var delay = TimeSpan.FromMilliseconds(200);
        for (var attempt = 1; attempt <= hook.MaxAttempts; attempt++)
        {
            string failure;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, hook.Url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.TryAddWithoutValidation(SignatureHeader, Sign(secret, body));
                request.Headers.TryAddWithoutValidation("X-PrivateSigstore-Alert-Id", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    metrics.Webhook("delivered");
                    return;
                }
                failure = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                failure = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failure = "timed out";
            }
            LogRetry(logger, id, hook.Url, attempt, failure);
            if (attempt == hook.MaxAttempts) break;
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
        metrics.Webhook("failed");
        LogGaveUp(logger, id, hook.Url, hook.MaxAttempts);
    }

    [LoggerMessage(EventId = 8210, Level = LogLevel.Warning, Message = "Monitor: webhook delivery of alert {Id} to {Url} failed (attempt {Attempt}): {Failure}")]
    private static partial void LogRetry(ILogger logger, long id, string url, int attempt, string failure);

    [LoggerMessage(EventId = 8211, Level = LogLevel.Error, Message = "Monitor: gave up delivering alert {Id} to {Url} after {Attempts} attempts")]
    private static partial void LogGaveUp(ILogger logger, long id, string url, int attempts);
}
