using System.Reflection;

namespace PrivateSigstore.Hosting.Tests;

/// <summary>The layering rules of issue 13, checked on the built assemblies (their IL references, not their project files).</summary>
public sealed class ArchitectureTests
{
    private static readonly string[] Services = ["PrivateSigstore.Rekor", "PrivateSigstore.CtLog", "PrivateSigstore.Fulcio", "PrivateSigstore.Identity", "PrivateSigstore.Timestamp", "PrivateSigstore.Tuf.Server", "PrivateSigstore.Witness", "PrivateSigstore.Monitor", "PrivateSigstore.Explorer"];

    private static readonly string[] Everything =
    [
        "PrivateSigstore.Core", "PrivateSigstore.Keys", "PrivateSigstore.Keys.Pkcs11", "PrivateSigstore.Log", "PrivateSigstore.Log.Storage", "PrivateSigstore.Hosting",
        "PrivateSigstore.Rekor", "PrivateSigstore.Rekor.Entries", "PrivateSigstore.CtLog", "PrivateSigstore.Fulcio", "PrivateSigstore.Identity",
        "PrivateSigstore.Timestamp", "PrivateSigstore.Tuf", "PrivateSigstore.Tuf.Server", "PrivateSigstore.Client", "PrivateSigstore.Stack",
        "PrivateSigstore.Witness",
        "PrivateSigstore.Monitor",
        "PrivateSigstore.Explorer",
    ];

    private static List<string> References(string assembly) =>
        [.. Assembly.Load(assembly).GetReferencedAssemblies().Select(a => a.Name ?? "")];

    private static bool IsDatabaseDriver(string name) =>
        name.StartsWith("Npgsql", StringComparison.Ordinal) || name.StartsWith("Microsoft.Data.Sqlite", StringComparison.Ordinal)
        || name.StartsWith("Microsoft.EntityFrameworkCore.Sqlite", StringComparison.Ordinal);

    [Fact]
    public void Only_the_storage_layer_and_the_identity_store_use_database_drivers()
    {
        foreach (var assembly in Everything.Except(["PrivateSigstore.Log.Storage", "PrivateSigstore.Identity"]))
        {
            Assert.DoesNotContain(References(assembly), n => IsDatabaseDriver(n) || n.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal));
        }
        Assert.Contains(References("PrivateSigstore.Log.Storage"), IsDatabaseDriver);
    }

    [Fact]
    public void Every_service_is_built_on_the_hosting_layer_and_sets_up_no_telemetry_of_its_own()
    {
        foreach (var service in Services)
        {
            var refs = References(service);
            Assert.Contains("PrivateSigstore.Hosting", refs);
            Assert.DoesNotContain(refs, n => n.StartsWith("OpenTelemetry", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_hosting_layer_knows_no_service_and_no_storage()
    {
        Assert.DoesNotContain(References("PrivateSigstore.Hosting"), n => n.StartsWith("PrivateSigstore", StringComparison.Ordinal) || IsDatabaseDriver(n));
    }

    [Fact]
    public void The_tuf_library_knows_no_http_so_psig_can_use_it()
    {
        Assert.DoesNotContain(References("PrivateSigstore.Tuf"), n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
            || n.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal) || n == "PrivateSigstore.Hosting");
    }

    [Fact]
    public void The_log_engine_knows_no_http_and_no_ef()
    {
        Assert.DoesNotContain(References("PrivateSigstore.Log"), n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
            || n.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal) || IsDatabaseDriver(n));
    }

    [Fact]
    public void Every_service_has_a_typed_entry_point_taking_its_options()
    {
        (string App, string Options)[] entries =
        [
            ("PrivateSigstore.Rekor.RekorApp, PrivateSigstore.Rekor", "PrivateSigstore.Rekor.RekorOptions, PrivateSigstore.Rekor"),
            ("PrivateSigstore.CtLog.CtLogApp, PrivateSigstore.CtLog", "PrivateSigstore.CtLog.CtLogOptions, PrivateSigstore.CtLog"),
            ("PrivateSigstore.Fulcio.FulcioApp, PrivateSigstore.Fulcio", "PrivateSigstore.Fulcio.FulcioOptions, PrivateSigstore.Fulcio"),
            ("PrivateSigstore.Identity.IdentityApp, PrivateSigstore.Identity", "PrivateSigstore.Identity.IdentityProviderOptions, PrivateSigstore.Identity"),
            ("PrivateSigstore.Rekor.V2.RekorV2App, PrivateSigstore.Rekor", "PrivateSigstore.Rekor.V2.RekorV2Options, PrivateSigstore.Rekor"),
            ("PrivateSigstore.Rekor.Research.ResearchLogApp, PrivateSigstore.Rekor", "PrivateSigstore.Rekor.V2.RekorV2Options, PrivateSigstore.Rekor"),
            ("PrivateSigstore.Timestamp.TimestampApp, PrivateSigstore.Timestamp", "PrivateSigstore.Timestamp.TimestampOptions, PrivateSigstore.Timestamp"),
            ("PrivateSigstore.Tuf.Server.TufApp, PrivateSigstore.Tuf.Server", "PrivateSigstore.Tuf.Server.TufOptions, PrivateSigstore.Tuf.Server"),
            ("PrivateSigstore.Witness.WitnessApp, PrivateSigstore.Witness", "PrivateSigstore.Witness.WitnessOptions, PrivateSigstore.Witness"),
            ("PrivateSigstore.Monitor.MonitorApp, PrivateSigstore.Monitor", "PrivateSigstore.Monitor.MonitorOptions, PrivateSigstore.Monitor"),
            ("PrivateSigstore.Explorer.ExplorerApp, PrivateSigstore.Explorer", "PrivateSigstore.Explorer.ExplorerOptions, PrivateSigstore.Explorer"),
        ];
        foreach (var (app, options) in entries)
        {
            var appType = Type.GetType(app, throwOnError: true)!;
            var optionsType = Type.GetType(options, throwOnError: true)!;
            Assert.True(typeof(IServiceOptions).IsAssignableFrom(optionsType), $"{optionsType.Name} implements IServiceOptions");
            Assert.Contains(appType.GetMethods(BindingFlags.Public | BindingFlags.Static), m => m.Name == "BuildAsync" && m.GetParameters()[0].ParameterType == optionsType);
            Assert.NotNull(appType.GetField("Service", BindingFlags.Public | BindingFlags.Static));
        }
    }

    [Fact]
    public void The_stack_passes_typed_options_not_argv_strings()
    {
        var source = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "PrivateSigstore.Stack", "StackHost.cs"));
        Assert.DoesNotMatch(@"""--(Rekor|CtLog|Fulcio|Identity|urls|Logging)", source);
    }

    [Fact]
    public void Only_the_storage_layer_names_a_provider_as_a_string()
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "src"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains("PrivateSigstore.Log.Storage", StringComparison.Ordinal) || file.Contains($"{Path.DirectorySeparatorChar}Migrations{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) continue;
            var text = File.ReadAllText(file);
            Assert.False(text.Contains("== \"Postgres\"", StringComparison.Ordinal) || text.Contains("is not (\"Sqlite\"", StringComparison.Ordinal), $"{file} compares a storage provider string");
        }
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PrivateSigstore.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
