using System.CommandLine;
using PrivateSigstore.Client.Oidc;
using PrivateSigstore.Client.Signing;

namespace PrivateSigstore.Cli.Commands;

/// <summary>
/// Where a keyless signer's identity token comes from: given (<c>--identity-token</c>), or from an OpenID provider by
/// client credentials (a workload), the device flow (<c>--oidc-device</c>, any terminal), or the code flow with PKCE in a
/// browser (<c>--oidc-browser</c>; also the choice on a terminal when no other is given).
/// </summary>
internal sealed class TokenFlags
{
    /// <summary>The public client people sign in through (the identity provider's <c>Identity:PublicClientId</c>, Fulcio's default client ID).</summary>
    public const string PublicClientId = "sigstore";

    public Option<string?> Token { get; } = new("--identity-token") { Description = "OIDC identity token for keyless signing" };

    public Option<string?> Issuer { get; } = new("--oidc-issuer") { Description = "OIDC issuer to get a token from (client credentials, --oidc-device or --oidc-browser)" };

    private readonly Option<string?> _clientId = new("--oidc-client-id") { Description = $"OIDC client ID (default for --oidc-device/--oidc-browser: {PublicClientId})" };
    private readonly Option<string?> _clientSecret = new("--oidc-client-secret") { Description = "OIDC client secret (or PSIG_OIDC_CLIENT_SECRET): client credentials grant" };
    private readonly Option<bool> _device = new("--oidc-device") { Description = "Get the token by the device flow: open the printed URL anywhere and enter the code" };
    private readonly Option<bool> _browser = new("--oidc-browser") { Description = "Get the token by signing in in a browser (code flow + PKCE, loopback redirect)" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Token, Issuer, _clientId, _clientSecret, _device, _browser })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The token, or null after printing why none could be had (exit code 1); usage errors throw.</summary>
    public async Task<string?> GetAsync(CliConsole console, ParseResult parse, string usage, CancellationToken ct)
    {
        var device = parse.GetValue(_device);
        var browser = parse.GetValue(_browser);
        var secret = parse.GetValue(_clientSecret) ?? Environment.GetEnvironmentVariable("PSIG_OIDC_CLIENT_SECRET");
        if (device && browser)
        {
            throw new UsageException("give --oidc-device or --oidc-browser, not both");
        }
        if (parse.GetValue(Token) is { } token)
        {
            return device || browser || parse.GetValue(Issuer) is not null ? throw new UsageException("--identity-token cannot be combined with --oidc-issuer, --oidc-device or --oidc-browser") : token;
        }
        if (parse.GetValue(Issuer) is not { } issuerText)
        {
            throw new UsageException(device || browser ? "--oidc-device and --oidc-browser need --oidc-issuer" : usage);
        }
        var issuer = Uri.TryCreate(issuerText, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? u : throw new UsageException($"--oidc-issuer {issuerText}: not an http(s) URL");
        var clientId = parse.GetValue(_clientId);
        var provider = new OidcProvider(SigningServices.HttpClient, issuer);
        try
        {
            if (device)
            {
                return await new DeviceAuthorization(provider).GetTokenAsync(clientId ?? PublicClientId, code => ShowAsync(console, code), cancellationToken: ct).ConfigureAwait(false);
            }
            if (browser || (secret is null && console.IsInteractive))
            {
                return await new BrowserAuthorization(provider).GetTokenAsync(clientId ?? PublicClientId, (url, c) => OpenAsync(console, url, c), cancellationToken: ct).ConfigureAwait(false);
            }
            if (clientId is null || secret is null)
            {
                throw new UsageException("--oidc-issuer needs --oidc-client-id and --oidc-client-secret (or PSIG_OIDC_CLIENT_SECRET), --oidc-device, or --oidc-browser");
            }
            return await new OidcClientCredentials(SigningServices.HttpClient).GetTokenAsync(issuer, clientId, secret, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OidcException or HttpRequestException)
        {
            await console.Error.WriteLineAsync("Error: getting an identity token: " + e.Message).ConfigureAwait(false);
            return null;
        }
    }

    private static async Task ShowAsync(CliConsole console, DeviceUserCode code)
    {
        await console.Error.WriteLineAsync($"To sign in, open {code.VerificationUri.AbsoluteUri} and enter the code {code.UserCode}").ConfigureAwait(false);
        if (code.VerificationUriComplete is { } complete)
        {
            await console.Error.WriteLineAsync($"or open {complete.AbsoluteUri}").ConfigureAwait(false);
        }
        await console.Error.WriteLineAsync($"Waiting for approval (the code expires in {code.ExpiresIn.TotalMinutes:0.#} min)...").ConfigureAwait(false);
    }

    private static async Task OpenAsync(CliConsole console, Uri url, CancellationToken ct)
    {
        await console.Error.WriteLineAsync($"Opening your browser to sign in. If it does not open, visit:\n{url.AbsoluteUri}").ConfigureAwait(false); // AbsoluteUri keeps the percent-encoding; Uri.ToString() unescapes (a literal space in scope=)
        await console.OpenBrowser(url, ct).ConfigureAwait(false);
    }
}
