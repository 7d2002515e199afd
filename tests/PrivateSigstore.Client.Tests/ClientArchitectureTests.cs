using System.Reflection;
using PrivateSigstore.Client.Verification;

namespace PrivateSigstore.Client.Tests;

/// <summary>The client library ships as a NuGet package: it must not pull in native PKCS#11 bits or server frameworks.</summary>
public sealed class ClientArchitectureTests
{
    [Fact]
    public void Client_assembly_closure_has_no_PKCS11_provider()
    {
        var closure = Closure(typeof(BundleVerifier).Assembly);
        Assert.Contains("PrivateSigstore.Keys", closure);
        Assert.DoesNotContain(closure, n => n.StartsWith("Pkcs11Interop", StringComparison.Ordinal));
        Assert.DoesNotContain("PrivateSigstore.Keys.Pkcs11", closure);
    }

    [Fact]
    public void Client_assembly_closure_has_no_server_frameworks()
    {
        var closure = Closure(typeof(BundleVerifier).Assembly);
        Assert.DoesNotContain(closure, n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
                                         || n.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal)
                                         || n.StartsWith("Npgsql", StringComparison.Ordinal)
                                         || n.StartsWith("Microsoft.Data.Sqlite", StringComparison.Ordinal));
    }

    /// <summary>The names of every assembly reachable from <paramref name="root"/> through references (framework assemblies included).</summary>
    private static HashSet<string> Closure(Assembly root)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { root.GetName().Name! };
        var queue = new Queue<Assembly>([root]);
        while (queue.TryDequeue(out var assembly))
        {
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (reference.Name is { } name && seen.Add(name))
                {
                    try
                    {
                        queue.Enqueue(Assembly.Load(reference));
                    }
                    catch (FileNotFoundException)
                    {
                        // A reference that cannot be loaded is not deployed with the client; its name is still recorded.
                    }
                }
            }
        }

        return seen;
    }
}
