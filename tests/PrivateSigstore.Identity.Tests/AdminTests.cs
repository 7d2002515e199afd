using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PrivateSigstore.Identity.Tests.TestSupport;
using static PrivateSigstore.Identity.Tests.TestSupport.OidcFlows;

namespace PrivateSigstore.Identity.Tests;

/// <summary>The admin commands against a running service's store, and what never reaches the logs.</summary>
public sealed class AdminTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    private IdentityServer Server => fixture.Server;

    [Fact]
    public async Task Users_add_list_disable_and_reset_password()
    {
        var (exit, output, _) = await Server.CliAsync("users", "add", "erin", "--email", "erin@example.com", "--email-verified");
        Assert.Equal(0, exit);
        var password = output.Split("password (shown once): ")[1].Trim();
        Assert.True(password.Length >= 24);
        await PersonTokensAsync(Server, "erin", password);

        (exit, output, _) = await Server.CliAsync("users", "list", "--json");
        Assert.Equal(0, exit);
        var erin = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).Single(u => u["username"]!.GetValue<string>() == "erin");
        Assert.True(erin["emailVerified"]!.GetValue<bool>());
        Assert.DoesNotContain("hash", output, StringComparison.OrdinalIgnoreCase);

        (exit, output, _) = await Server.CliWithInputAsync("erin's new password!\n", "users", "reset-password", "erin", "--password-stdin");
        Assert.Equal(0, exit);
        Assert.DoesNotContain("erin's new password!", output, StringComparison.Ordinal);
        await PersonTokensAsync(Server, "erin", "erin's new password!");

        (exit, _, _) = await Server.CliAsync("users", "disable", "erin");
        Assert.Equal(0, exit);
        using var login = await LoginAsync(Server.NewBrowser(), "erin", "erin's new password!");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, login.StatusCode);
    }

    [Fact]
    public async Task Clients_add_list_disable()
    {
        var (exit, output, error) = await Server.CliAsync("clients", "add", "cli-builder", "--subject", "http://127.0.0.1/cli-builder", "--claim", "repository=platform/cli", "--claim", "ref=refs/tags/v1");
        Assert.True(exit == 0, error);
        var secret = output.Split("client secret (shown once): ")[1].Trim();
        var (_, body) = await ClientCredentialsAsync(fixture.Http, "cli-builder", secret);
        var token = await ValidateAsync(Server, body["id_token"]!.GetValue<string>());
        Assert.Equal("platform/cli", token.GetPayloadValue<string>("repository"));

        (exit, output, _) = await Server.CliAsync("clients", "list");
        Assert.Contains("cli-builder\tsub=http://127.0.0.1/cli-builder", output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, output, StringComparison.Ordinal);

        (exit, _, _) = await Server.CliAsync("clients", "disable", "cli-builder");
        Assert.Equal(0, exit);
        Assert.Equal("invalid_client", (await ClientCredentialsAsync(fixture.Http, "cli-builder", secret)).Body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Audit_lists_issued_tokens_by_client_and_time()
    {
        await ClientCredentialsAsync(fixture.Http, "ci-builder", fixture.BuilderSecret);
        var (exit, output, _) = await Server.CliAsync("audit", "--client", "ci-builder", "--since", "10m", "--json");
        Assert.Equal(0, exit);
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, r =>
        {
            Assert.Equal("ci-builder", r["clientId"]!.GetValue<string>());
            Assert.Equal("https://ci.example.com/builders/app", r["subject"]!.GetValue<string>());
            Assert.Equal("ci-builder sigstore", r["audience"]!.GetValue<string>());
        });
        (exit, output, _) = await Server.CliAsync("audit", "--client", "ci-builder", "--since", DateTimeOffset.UtcNow.AddHours(1).ToString("O"));
        Assert.Equal(0, exit);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData(2, "users", "add")]
    [InlineData(2, "users", "add", "bad name!")]
    [InlineData(2, "clients", "add", "x1")]
    [InlineData(2, "clients", "add", "x2", "--subject", "s", "--claim", "iss=evil")]
    [InlineData(2, "clients", "add", "x3", "--subject", "s", "--email", "not-an-email")]
    [InlineData(2, "audit", "--since", "yesterday-ish")]
    [InlineData(2, "frobnicate")]
    [InlineData(1, "users", "disable", "nobody")]
    [InlineData(1, "users", "add", "alice")]
    [InlineData(1, "clients", "add", "ci-builder", "--subject", "s")]
    public async Task Bad_commands_fail_with_a_message(int expectedExit, params string[] args)
    {
        var (exit, _, error) = await Server.CliAsync(args);
        Assert.Equal(expectedExit, exit);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Passwords_are_stored_as_pbkdf2_sha512_hashes()
    {
        await Server.AdminAsync(a => a.AddUserAsync("frank", "frank's long password", null, false, Ct));
        await using var scope = Server.App.Services.CreateAsyncScope();
        var hash = Convert.FromBase64String((await scope.ServiceProvider.GetRequiredService<IdentityStoreContext>().Users.SingleAsync(u => u.Username == "frank", Ct)).PasswordHash);
        // ASP.NET Core Identity v3 format: 0x01, PRF (2 = HMAC-SHA512), iterations, salt length, salt, 256-bit subkey.
        Assert.Equal(0x01, hash[0]);
        Assert.Equal(2u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(hash.AsSpan(1)));
        Assert.Equal((uint)PasswordHashing.Iterations, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(hash.AsSpan(5)));
        Assert.True(PasswordHashing.Iterations >= 210_000);
        Assert.Equal(16u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(hash.AsSpan(9)));
        Assert.Equal(13 + 16 + 32, hash.Length);
    }

    [Fact]
    public async Task Secrets_passwords_and_hashes_never_reach_the_logs()
    {
        await PersonTokensAsync(Server, "alice", IdentityFixture.AlicePassword);
        using (await LoginAsync(Server.NewBrowser(), "alice", "a wrong password for the log")) { }
        await ClientCredentialsAsync(fixture.Http, "ci-builder", fixture.BuilderSecret);
        await ClientCredentialsAsync(fixture.Http, "ci-builder", "a-wrong-secret-for-the-log");
        string[] hashes;
        await using (var scope = Server.App.Services.CreateAsyncScope())
        {
            var store = scope.ServiceProvider.GetRequiredService<IdentityStoreContext>();
            hashes = [.. await store.Users.Select(u => u.PasswordHash).ToListAsync(Ct)];
            hashes = [.. hashes, .. (await store.Set<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication>().Select(a => a.ClientSecret).ToListAsync(Ct)).OfType<string>()];
        }
        var logs = string.Join('\n', Server.Logs);
        Assert.Contains("client_credentials", logs, StringComparison.Ordinal); // the requests were logged
        foreach (var secret in new[] { IdentityFixture.AlicePassword, "a wrong password for the log", fixture.BuilderSecret, "a-wrong-secret-for-the-log" }.Concat(hashes))
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }
    }
}
