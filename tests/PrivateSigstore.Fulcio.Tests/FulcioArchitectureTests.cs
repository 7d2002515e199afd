namespace PrivateSigstore.Fulcio.Tests;

public sealed class FulcioArchitectureTests
{
    [Fact]
    public void Ca_does_not_reference_the_log_engine_or_EF_Core()
    {
        var names = FulcioAssembly.Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "").ToList();
        Assert.DoesNotContain(names, n => n.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal) || n == "PrivateSigstore.Log");
    }
}
