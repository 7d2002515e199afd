using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PrivateSigstore.Identity.Tests.TestSupport;
using PrivateSigstore.Keys;
using static PrivateSigstore.Identity.Tests.TestSupport.OidcFlows;

namespace PrivateSigstore.Identity.Tests;

/// <summary>
/// The key material replicas share (<see cref="IdentityKeys"/>): kept in the store, imported from an older version's
/// files, and the signing key in the store (<c>Identity:Key:Provider=Database</c>). Two replicas on PostgreSQL as real
/// processes: ReplicaTests in PrivateSigstore.Reliability.Tests.
/// </summary>
public sealed class SharedKeyTests
{
    [Fact]
    public async Task An_upgrade_imports_the_token_encryption_key_and_the_cookie_keys_an_older_version_kept_in_files()
    {
        var dir = Directory.CreateTempSubdirectory("psig-identity-upgrade-").FullName;
        try
        {
            // What an older version left: a token encryption key file and a file-system key ring.
            var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            await File.WriteAllTextAsync(Path.Combine(dir, "token-encryption.key"), secret, Ct);
            var ring = new DirectoryInfo(Path.Combine(dir, "cookie-keys"));
            var old = DataProtectionProvider.Create(ring, b => b.SetApplicationName("PrivateSigstore.Identity"));
            var cookie = old.CreateProtector("replica-test").Protect("signed in");
            var files = ring.GetFiles("*.xml");
            Assert.NotEmpty(files);

            await using var server = await IdentityServer.StartAsync(dataDirectory: dir);
            await using (var scope = server.App.Services.CreateAsyncScope())
            {
                var store = scope.ServiceProvider.GetRequiredService<IdentityStoreContext>();
                Assert.Equal(secret, (await store.KeyMaterial.SingleAsync(k => k.Name == IdentityKeys.EncryptionKeyName, Ct)).Value);
                var names = await store.DataProtectionKeys.Select(k => k.FriendlyName).ToListAsync(Ct);
                Assert.Equal(files.Select(f => Path.GetFileNameWithoutExtension(f.Name)).Order(), names.Order());
            }

            // What the old ring protected, the provider's ring (now in the store) reads: login sessions survive the upgrade.
            Assert.Equal("signed in", server.App.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("replica-test").Unprotect(cookie));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_signing_key_kept_in_the_store_signs_tokens_is_reused_and_refuses_another_algorithm()
    {
        var dir = Directory.CreateTempSubdirectory("psig-identity-dbkey-").FullName;
        try
        {
            string[] database = ["--Identity:Key:Provider", "Database"];
            string jwks;
            await using (var server = await IdentityServer.StartAsync(database, dataDirectory: dir))
            {
                jwks = JsonNode.Parse(await new HttpClient().GetStringAsync(server.Url + "/.well-known/jwks", Ct))!.ToJsonString();
                string pem;
                await using (var scope = server.App.Services.CreateAsyncScope())
                {
                    pem = (await scope.ServiceProvider.GetRequiredService<IdentityStoreContext>().KeyMaterial.SingleAsync(k => k.Name == IdentityKeys.SigningKeyName, Ct)).Value;
                }

                // The key in the store is the one that signs, and no key file was written.
                using var ec = ECDsa.Create();
                ec.ImportFromPem(pem);
                Assert.Contains(JwtSigningKey.KeyId(ec.ExportSubjectPublicKeyInfo()), jwks, StringComparison.Ordinal);
                Assert.Empty(Directory.GetFiles(dir, "*.pem"));
                var secret = await server.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("db-key-builder", "http://127.0.0.1/db-key-builder"), Ct));
                using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
                var token = await ValidateAsync(server, (await ClientCredentialsAsync(http, "db-key-builder", secret)).Body["id_token"]!.GetValue<string>());
                Assert.Equal(JwtSigningKey.KeyId(ec.ExportSubjectPublicKeyInfo()), token.Kid);
                Assert.Contains(server.Logs, l => l.Contains("IN THE IDENTITY STORE", StringComparison.Ordinal));
            }

            await using (var again = await IdentityServer.StartAsync(database, dataDirectory: dir))
            {
                Assert.Equal(jwks, JsonNode.Parse(await new HttpClient().GetStringAsync(again.Url + "/.well-known/jwks", Ct))!.ToJsonString());
            }

            var conflicting = await Assert.ThrowsAsync<ArgumentException>(() => IdentityServer.StartAsync([.. database, "--Identity:Key:KeyPath", Path.Combine(dir, "key.pem")], dataDirectory: dir));
            Assert.Contains("Provider Database", conflicting.Message, StringComparison.Ordinal);
            var refused = await Assert.ThrowsAsync<KeyConfigurationException>(() => IdentityServer.StartAsync([.. database, "--Identity:Key:Algorithm", "RsaPkcs1v15Sha256"], dataDirectory: dir));
            Assert.Contains("Identity:Key:Algorithm", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
