using PrivateSigstore.Stack;

namespace PrivateSigstore.Hardening.Tests;

/// <summary>Every service of the stack, in-process on loopback port 0, with its real stores in a fresh temporary directory.</summary>
public sealed class StackFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("psig-hardening-").FullName;

    public StackHost Stack { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Stack = await StackHost.StartAsync(new StackOptions
    {
        DataDirectory = Path.Combine(_dir, "data"),
        RekorPort = 0, FulcioPort = 0, CtLogPort = 0, IdentityPort = 0, TsaPort = 0, RekorV2Port = 0,
        TufPort = 0, WitnessPort = 0, MonitorPort = 0, ExplorerPort = 0,
        LogLevel = Environment.GetEnvironmentVariable("PSIG_HARDENING_LOG_LEVEL") ?? "Critical",
        UseSoftHsm = false, // the stack's SoftHSM2 token is covered by the Stack tests; the HTTP surface is the same
    });

    public async ValueTask DisposeAsync()
    {
        if (Stack is not null) await Stack.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
