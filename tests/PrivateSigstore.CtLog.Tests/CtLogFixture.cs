namespace PrivateSigstore.CtLog.Tests;

/// <summary>One CT log (SQLite, prefix "test") trusting <see cref="Ca"/>'s root, shared by a test class.</summary>
public sealed class CtLogFixture : IAsyncLifetime
{
    internal TestCa Ca { get; } = new();

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "psig-ctlog-tests", Guid.NewGuid().ToString("N"));

    internal CtLogHost Host { get; private set; } = null!;

    public byte[] LogKey { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        Host = await CtLogHost.StartAsync(DataDirectory, Ca.RootPem, "--CtLog:Prefix", "test");
        LogKey = CtLogHost.PublicKey(DataDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Ca.Dispose();
    }
}
