using PrivateSigstore.Core;

namespace PrivateSigstore.Core.Tests;

public sealed class ArchitectureTests
{
    [Fact]
    public void Core_references_neither_AspNetCore_nor_EntityFrameworkCore()
    {
        var forbidden = CoreAssembly.Assembly.GetReferencedAssemblies()
            .Select(a => a.Name ?? "")
            .Where(n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
                     || n.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal)
                     || n.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal))
            .ToList();
        Assert.Empty(forbidden);
    }

    [Fact]
    public void Core_has_no_package_dependencies_that_do_IO()
    {
        // Core is wire formats only: System.* is all it may reference.
        var names = CoreAssembly.Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "").ToList();
        Assert.All(names, n => Assert.True(n.StartsWith("System", StringComparison.Ordinal) || n == "netstandard", n));
    }
}
