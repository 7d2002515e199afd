using System.Text.Json.Nodes;

namespace PrivateSigstore.Client.Oidc;

/// <summary>What the person must do to approve a device (RFC 8628 §3.2).</summary>
/// <param name="UserCode">The code to enter.</param>
/// <param name="VerificationUri">Where to enter it.</param>
/// <param name="VerificationUriComplete">The same page with the code filled in, when the provider sends one.</param>
/// <param name="ExpiresIn">How long the codes are valid.</param>
public sealed record DeviceUserCode(string UserCode, Uri VerificationUri, Uri? VerificationUriComplete, TimeSpan ExpiresIn);

/// <summary>
/// The OAuth 2.0 device authorization grant (RFC 8628) for a public client: ask the provider's
/// <c>device_authorization_endpoint</c> for a user code, show it, then poll the token endpoint until the person approves
/// it in a browser elsewhere, honouring <c>interval</c> and <c>slow_down</c> and stopping at <c>expires_in</c>.
/// </summary>
public sealed class DeviceAuthorization(OidcProvider provider, TimeProvider? time = null)
{
    private const string GrantType = "urn:ietf:params:oauth:grant-type:device_code";

    /// <summary>RFC 8628 §3.2: interval defaults to 5 seconds.</summary>
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    /// <summary>RFC 8628 §3.5: <c>slow_down</c> adds 5 seconds to the interval.</summary>
    private static readonly TimeSpan SlowDownStep = TimeSpan.FromSeconds(5);

    private readonly OidcProvider _provider = provider ?? throw new ArgumentNullException(nameof(provider));
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>
    /// Runs the flow for <paramref name="clientId"/>; <paramref name="show"/> tells the person what to do. Returns the
    /// token (<c>id_token</c>, else <c>access_token</c>); throws <see cref="AccessDeniedException"/>,
    /// <see cref="ExpiredTokenException"/> or <see cref="OidcException"/>.
    /// </summary>
    public async Task<string> GetTokenAsync(string clientId, Func<DeviceUserCode, Task> show, string scope = "openid email", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentNullException.ThrowIfNull(show);
        var endpoints = await _provider.DiscoverAsync(cancellationToken).ConfigureAwait(false);
        var deviceEndpoint = endpoints.DeviceAuthorizationEndpoint
            ?? throw new OidcException("unsupported", $"{_provider.Issuer}: the provider publishes no device_authorization_endpoint");
        var started = _time.GetTimestamp();
        var answer = await _provider.PostFormAsync(deviceEndpoint, new Dictionary<string, string> { ["client_id"] = clientId, ["scope"] = scope }, cancellationToken: cancellationToken).ConfigureAwait(false);

        // RFC 8628 §3.2: device_code, user_code, verification_uri and expires_in are required.
        var deviceCode = OidcProvider.Text(answer, "device_code") ?? throw Invalid("device_code");
        var userCode = OidcProvider.Text(answer, "user_code") ?? throw Invalid("user_code");
        var verification = Uri.TryCreate(OidcProvider.Text(answer, "verification_uri"), UriKind.Absolute, out var v) ? v : throw Invalid("verification_uri");
        Uri.TryCreate(OidcProvider.Text(answer, "verification_uri_complete"), UriKind.Absolute, out var complete);
        var expiresIn = Seconds(answer, "expires_in") ?? throw Invalid("expires_in");
        var interval = Seconds(answer, "interval") ?? DefaultInterval;
        await show(new DeviceUserCode(userCode, verification, complete, expiresIn)).ConfigureAwait(false);

        var poll = new Dictionary<string, string> { ["grant_type"] = GrantType, ["device_code"] = deviceCode, ["client_id"] = clientId };
        while (true)
        {
            // RFC 8628 §3.5: wait at least the interval between polls; stop once the codes have expired.
            if (_time.GetElapsedTime(started) + interval >= expiresIn)
            {
                throw new ExpiredTokenException($"the user code {userCode} expired after {expiresIn.TotalSeconds:0} s without approval");
            }
            await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
            try
            {
                return OidcProvider.SelectToken(await _provider.PostFormAsync(endpoints.TokenEndpoint, poll, cancellationToken: cancellationToken).ConfigureAwait(false));
            }
            catch (OidcException e) when (e.Error == "authorization_pending")
            {
                // Not approved yet: poll again.
            }
            catch (OidcException e) when (e.Error == "slow_down")
            {
                interval += SlowDownStep;
            }
        }
    }

    private static OidcException Invalid(string field) => new("invalid_response", $"device authorization response has no valid {field}");

    private static TimeSpan? Seconds(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<long>(out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;
}
