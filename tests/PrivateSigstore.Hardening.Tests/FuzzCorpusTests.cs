using PrivateSigstore.Fuzz;

namespace PrivateSigstore.Hardening.Tests;

/// <summary>
/// Every fuzz target (fuzz/PrivateSigstore.Fuzz) over its checked-in seed corpus (fuzz/corpus/TARGET) and every input a
/// fuzzing campaign found crashing (fuzz/regressions/TARGET), in-process: deterministic and fast, and it fails if a
/// parser lets anything but its documented rejection escape. test.sh adds a short AFL++ run (fuzz/run.sh --ci).
/// </summary>
public sealed class FuzzCorpusTests
{
    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Keys];

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PrivateSigstore.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("PrivateSigstore.sln not found above " + AppContext.BaseDirectory);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_corpus_and_regression_input_is_parsed_or_rejected_cleanly(string name)
    {
        var target = FuzzTargets.All[name];
        var root = RepositoryRoot();
        var corpus = Path.Combine(root, "fuzz", "corpus", name);
        Assert.True(Directory.Exists(corpus), $"no seed corpus for {name} in fuzz/corpus");
        var inputs = Directory.GetFiles(corpus).ToList();
        Assert.NotEmpty(inputs);
        var regressions = Path.Combine(root, "fuzz", "regressions", name);
        if (Directory.Exists(regressions)) inputs.AddRange(Directory.GetFiles(regressions));

        foreach (var input in inputs)
        {
            var data = File.ReadAllBytes(input);
            var escaped = Record.Exception(() => FuzzTargets.Run(target, data));
            Assert.True(escaped is null, $"{name}: {Path.GetRelativePath(root, input)}: {escaped}");
        }
    }

    [Fact]
    public void Every_target_has_a_seed_corpus()
    {
        var root = RepositoryRoot();
        var dirs = Directory.GetDirectories(Path.Combine(root, "fuzz", "corpus")).Select(d => Path.GetFileName(d)!).Order().ToList();
        Assert.Equal(FuzzTargets.All.Keys.Order().ToList(), dirs);
    }
}
