using System.Globalization;
using System.Text.Json;

namespace PrivateSigstore.Identity;

/// <summary>
/// <c>PrivateSigstore.Identity admin ...</c>: manage people, workload clients and read the audit log, against the store
/// the service's configuration names (appsettings.json, <c>Identity__*</c> environment variables, <c>--data-dir</c>).
/// </summary>
public static class AdminCommands
{
    /// <summary>The usage text.</summary>
    public const string Usage = """
        usage: PrivateSigstore.Identity admin [--data-dir DIR] COMMAND
           or: PrivateSigstore.Stack admin [--data DIR] COMMAND   (the stack's store, DIR/identity; DIR defaults to ./data)
          users add USERNAME [--email EMAIL] [--email-verified] [--password-stdin]
          users list [--json]
          users disable USERNAME
          users reset-password USERNAME [--password-stdin]
          clients add CLIENT_ID --subject SUB [--email EMAIL] [--email-verified] [--audience AUD] [--claim NAME=VALUE]...
          clients list [--json]
          clients disable CLIENT_ID
          audit [--since TIME|DURATION] [--client CLIENT_ID] [--limit N] [--json]
        Passwords and client secrets are printed once (generated unless --password-stdin) and stored hashed.
        The store must exist: start the identity provider (or the stack) once first.
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <summary>Runs one command; returns the exit code (0 done, 1 not found or conflict, 2 usage or invalid input).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, IConfiguration? configuration = null, TextReader? input = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args is ["--help"] or ["-h"] or ["help"] or ["-?"])
        {
            await output.WriteLineAsync(Usage).ConfigureAwait(false);
            return 0;
        }
        var rest = new List<string>(args);
        string? dataDir;
        try
        {
            dataDir = TakeOption(rest, "--data-dir");
        }
        catch (UsageException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}\n{Usage}").ConfigureAwait(false);
            return 2;
        }
        configuration ??= new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        var options = configuration.GetSection(IdentityProviderOptions.Section).Get<IdentityProviderOptions>() ?? new IdentityProviderOptions();
        if (dataDir is not null)
        {
            options.DataDirectory = dataDir;
        }
        try
        {
            options.Validate();
            if (rest.Count < 1)
            {
                throw new UsageException("missing command");
            }
            if (options.Storage == PrivateSigstore.Log.Storage.StorageProvider.Sqlite
                && Path.Combine(Path.GetFullPath(options.DataDirectory), "identity.db") is var database && !File.Exists(database))
            {
                // Never create a store here: an empty one in the wrong directory answers every command with nothing.
                await error.WriteLineAsync($"error: no identity store at {database}: start the identity provider (or the stack) once to create it, or point --data-dir (the stack: --data) at the data directory it uses").ConfigureAwait(false);
                return 1;
            }
            var services = new ServiceCollection().AddLogging().AddIdentityStore(options).BuildServiceProvider();
            await using (services.ConfigureAwait(false))
            {
                await IdentityStore.MigrateAsync(services, cancellationToken).ConfigureAwait(false);
                await using var scope = services.CreateAsyncScope();
                var admin = scope.ServiceProvider.GetRequiredService<IdentityAdmin>();
                return await DispatchAsync(admin, rest, output, error, input ?? Console.In, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (UsageException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}\n{Usage}").ConfigureAwait(false);
            return 2;
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
        {
            await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static async Task<int> DispatchAsync(IdentityAdmin admin, List<string> args, TextWriter output, TextWriter error, TextReader input, CancellationToken ct)
    {
        var group = args[0];
        var verb = args.Count > 1 ? args[1] : "";
        switch (group, verb)
        {
            case ("users", "add"):
            {
                var rest = args[2..];
                var email = TakeOption(rest, "--email");
                var verified = TakeFlag(rest, "--email-verified");
                var fromStdin = TakeFlag(rest, "--password-stdin");
                var username = Single(rest, "USERNAME");
                var password = await admin.AddUserAsync(username, fromStdin ? await ReadSecretAsync(input).ConfigureAwait(false) : null, email, verified, ct).ConfigureAwait(false);
                await output.WriteLineAsync(fromStdin ? $"added user {username}" : $"added user {username}\npassword (shown once): {password}").ConfigureAwait(false);
                return 0;
            }
            case ("users", "list"):
            {
                var rest = args[2..];
                var json = TakeFlag(rest, "--json");
                NoMore(rest);
                var users = await admin.ListUsersAsync(ct).ConfigureAwait(false);
                foreach (var u in users)
                {
                    await output.WriteLineAsync(json ? JsonSerializer.Serialize(u, Json)
                        : $"{u.Username}\temail={u.Email ?? "-"}\tverified={u.EmailVerified}\tdisabled={u.Disabled}\tlocked_until={u.LockedUntil?.ToString("O", CultureInfo.InvariantCulture) ?? "-"}").ConfigureAwait(false);
                }
                return 0;
            }
            case ("users", "disable"):
            {
                var username = Single(args[2..], "USERNAME");
                await admin.DisableUserAsync(username, ct).ConfigureAwait(false);
                await output.WriteLineAsync($"disabled user {username}").ConfigureAwait(false);
                return 0;
            }
            case ("users", "reset-password"):
            {
                var rest = args[2..];
                var fromStdin = TakeFlag(rest, "--password-stdin");
                var username = Single(rest, "USERNAME");
                var password = await admin.ResetPasswordAsync(username, fromStdin ? await ReadSecretAsync(input).ConfigureAwait(false) : null, ct).ConfigureAwait(false);
                await output.WriteLineAsync(fromStdin ? $"reset the password of {username}" : $"reset the password of {username}\npassword (shown once): {password}").ConfigureAwait(false);
                return 0;
            }
            case ("clients", "add"):
            {
                var rest = args[2..];
                var subject = TakeOption(rest, "--subject") ?? throw new UsageException("clients add needs --subject");
                var email = TakeOption(rest, "--email");
                var verified = TakeFlag(rest, "--email-verified");
                var audience = TakeOption(rest, "--audience") ?? IdentityProviderOptions.DefaultAudience;
                var claims = new Dictionary<string, string>(StringComparer.Ordinal);
                while (TakeOption(rest, "--claim") is { } claim)
                {
                    var eq = claim.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0) throw new UsageException($"--claim {claim}: expected NAME=VALUE");
                    claims[claim[..eq]] = claim[(eq + 1)..];
                }
                var clientId = Single(rest, "CLIENT_ID");
                var secret = await admin.AddClientAsync(new WorkloadClientSpec(clientId, subject) { Email = email, EmailVerified = verified, Audience = audience, Claims = claims }, ct).ConfigureAwait(false);
                await output.WriteLineAsync($"added client {clientId}\nclient secret (shown once): {secret}").ConfigureAwait(false);
                if (email is null)
                {
                    await error.WriteLineAsync($"warning: client {clientId} gets tokens without an email claim; a CA that trusts this provider as type email (the stack's CA does) refuses them with \"token missing email claim\": for such a CA add the client with --email ADDRESS --email-verified").ConfigureAwait(false);
                }
                return 0;
            }
            case ("clients", "list"):
            {
                var rest = args[2..];
                var json = TakeFlag(rest, "--json");
                NoMore(rest);
                foreach (var c in await admin.ListClientsAsync(ct).ConfigureAwait(false))
                {
                    await output.WriteLineAsync(json ? JsonSerializer.Serialize(c, Json)
                        : $"{c.ClientId}\tsub={c.Subject}\temail={c.Email ?? "-"}\taud={c.Audience}\tclaims={JsonSerializer.Serialize(c.Claims)}\tdisabled={c.Disabled}").ConfigureAwait(false);
                }
                return 0;
            }
            case ("clients", "disable"):
            {
                var clientId = Single(args[2..], "CLIENT_ID");
                await admin.DisableClientAsync(clientId, ct).ConfigureAwait(false);
                await output.WriteLineAsync($"disabled client {clientId}").ConfigureAwait(false);
                return 0;
            }
            case ("audit", _):
            {
                var rest = args[1..];
                var since = TakeOption(rest, "--since") is { } s ? ParseSince(s) : (DateTimeOffset?)null;
                var client = TakeOption(rest, "--client");
                var limit = TakeOption(rest, "--limit") is { } l ? int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new UsageException("--limit must be a positive integer") : 1000;
                var json = TakeFlag(rest, "--json");
                NoMore(rest);
                foreach (var r in await admin.QueryAuditAsync(since, client, limit, ct).ConfigureAwait(false))
                {
                    await output.WriteLineAsync(json
                        ? JsonSerializer.Serialize(new { r.IssuedAt, r.Subject, r.ClientId, r.Audience, r.GrantType, r.TokenTypes, r.Warning }, Json)
                        : $"{r.IssuedAt.ToString("O", CultureInfo.InvariantCulture)}\tsub={r.Subject}\tclient={r.ClientId}\taud={r.Audience}\tgrant={r.GrantType}\ttokens={r.TokenTypes}"
                            + (r.Warning is null ? "" : $"\twarning={r.Warning}")).ConfigureAwait(false);
                }
                return 0;
            }
            default:
                throw new UsageException($"unknown command '{string.Join(' ', args.Take(2))}'");
        }
    }

    /// <summary>An ISO 8601 time, or a duration back from now: <c>90s</c>, <c>15m</c>, <c>2h</c>, <c>7d</c>.</summary>
    internal static DateTimeOffset ParseSince(string value)
    {
        if (value.Length >= 2 && long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount <= 100_000)
        {
            TimeSpan? span = value[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (span is { } s)
            {
                return DateTimeOffset.UtcNow - s;
            }
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new UsageException($"--since {value}: expected an ISO 8601 time or a duration such as 15m, 2h, 7d");
    }

    private static async Task<string> ReadSecretAsync(TextReader input) =>
        (await input.ReadLineAsync().ConfigureAwait(false))?.TrimEnd('\r') ?? throw new UsageException("--password-stdin: no password on standard input");

    private static string? TakeOption(List<string> args, string name)
    {
        var i = args.IndexOf(name);
        if (i < 0) return null;
        if (i + 1 >= args.Count) throw new UsageException($"{name} needs a value");
        var value = args[i + 1];
        args.RemoveRange(i, 2);
        return value;
    }

    private static bool TakeFlag(List<string> args, string name) => args.Remove(name);

    private static string Single(List<string> args, string what)
    {
        if (args.Count != 1 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            throw new UsageException(args.Count == 0 ? $"missing {what}" : $"unexpected arguments: {string.Join(' ', args)}");
        }
        return args[0];
    }

    private static void NoMore(List<string> args)
    {
        if (args.Count > 0) throw new UsageException($"unexpected arguments: {string.Join(' ', args)}");
    }

    private sealed class UsageException(string message) : Exception(message);
}
