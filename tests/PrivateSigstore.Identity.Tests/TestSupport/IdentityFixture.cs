namespace PrivateSigstore.Identity.Tests.TestSupport;

/// <summary>One provider shared by a test class, with a few people and workloads registered through the admin API.</summary>
public sealed class IdentityFixture : IAsyncLifetime
{
    public const string AlicePassword = "correct horse battery staple";
    public const string BobPassword = "bob's long password 1";

    public IdentityServer Server { get; private set; } = null!;

    /// <summary>Secret of <c>ci-builder</c>: sub https://ci.example.com/builders/app, CI claims.</summary>
    public string BuilderSecret { get; private set; } = "";

    /// <summary>Secret of <c>mailer</c>: a workload with a verified email.</summary>
    public string MailerSecret { get; private set; } = "";

    public HttpClient Http { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Server = await IdentityServer.StartAsync();
        Http = new HttpClient { BaseAddress = new Uri(Server.Url) };
        await Server.AdminAsync(a => a.AddUserAsync("alice", AlicePassword, "alice@example.com", emailVerified: true, TestContext.Current.CancellationToken));
        await Server.AdminAsync(a => a.AddUserAsync("bob", BobPassword, "bob@example.com", emailVerified: false, TestContext.Current.CancellationToken));
        BuilderSecret = await Server.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("ci-builder", "https://ci.example.com/builders/app")
        {
            Claims = new Dictionary<string, string>
            {
                ["repository"] = "platform/app",
                ["ref"] = "refs/heads/main",
                ["workflow"] = "release",
                ["sha"] = "0123456789abcdef0123456789abcdef01234567",
            },
        }, TestContext.Current.CancellationToken));
        MailerSecret = await Server.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("mailer", "mailer-service")
        {
            Email = "mailer@example.com",
            EmailVerified = true,
        }, TestContext.Current.CancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}
