namespace PrivateSigstore.Deploy.Tests;

/// <summary>
/// deploy/release/build-psig.sh, the psig release tarball: run as a release manager runs it, with a stand-in
/// <c>dotnet</c> (and <c>clang</c>) on the PATH and PSIG_SMOKE=0 (a real NativeAOT or ReadyToRun publish takes minutes;
/// test.sh runs one real NativeAOT publish with its smoke test, deploy/release/smoke-psig.sh, and docs/performance.md has
/// the figures). Checks the publish flags of both builds, the tarball's contents and its checksum file.
/// </summary>
public sealed class ReleaseScriptTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string Script = Repository.File("deploy", "release", "build-psig.sh");

    private static (string Work, Dictionary<string, string> Environment) FakeDotnet()
    {
        var work = Directory.CreateTempSubdirectory("psig-release-").FullName;
        var bin = Directory.CreateDirectory(Path.Combine(work, "bin")).FullName;
        // The stand-in records its arguments and writes what a publish leaves in -o: the binary and debris.
        File.WriteAllText(Path.Combine(bin, "dotnet"), """
            #!/usr/bin/env bash
            printf '%s\n' "$@" > "$FAKE_ARGS"
            while [ $# -gt 0 ]; do if [ "$1" = "-o" ]; then out=$2; fi; shift; done
            mkdir -p "$out"
            printf '#!/bin/sh\necho psig\n' > "$out/psig"; chmod +x "$out/psig"
            echo pdb > "$out/psig.pdb"; echo xml > "$out/PrivateSigstore.Core.xml"
            """.Replace("\r", "", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(bin, "clang"), "#!/bin/sh\nexit 0\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(bin, "dotnet"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(Path.Combine(bin, "clang"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return (work, new Dictionary<string, string>
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["OUT"] = Path.Combine(work, "out"),
            ["FAKE_ARGS"] = Path.Combine(work, "args.txt"),
            ["PSIG_SMOKE"] = "0",
        });
    }

    [Fact]
    public async Task The_script_publishes_a_self_contained_NativeAOT_binary_and_packages_it_with_a_checksum()
    {
        var (work, environment) = FakeDotnet();

        var (exit, output) = await RequiredTool.RunAsync("bash", [Script, "1.2.3"], work, environment, Ct);

        Assert.True(exit == 0, output);
        var tarball = Path.Combine(work, "out", "psig-1.2.3-linux-x64.tar.gz");
        Assert.Equal($"{tarball}\n{tarball}.sha256\n", output);
        var args = await File.ReadAllLinesAsync(environment["FAKE_ARGS"], Ct);
        Assert.Equal("publish", args[0]);
        Assert.EndsWith("src/PrivateSigstore.Cli/PrivateSigstore.Cli.csproj", args[1], StringComparison.Ordinal);
        foreach (var flag in new[] { "-r", "linux-x64", "--self-contained", "true", "-p:PublishAot=true", "-p:InvariantGlobalization=true", "-p:Version=1.2.3" })
        {
            Assert.Contains(flag, args);
        }
        Assert.DoesNotContain("-p:PublishReadyToRun=true", args);

        // The checksum file verifies with sha256sum -c, and the tarball holds the binary and a note only.
        var (check, checkOutput) = await RequiredTool.RunAsync("sha256sum", ["-c", "psig-1.2.3-linux-x64.tar.gz.sha256"], Path.Combine(work, "out"), null, Ct);
        Assert.True(check == 0, checkOutput);
        Assert.Equal("psig-1.2.3-linux-x64.tar.gz: OK\n", checkOutput);
        var (listed, listing) = await RequiredTool.RunAsync("tar", ["-tzf", tarball], work, null, Ct);
        Assert.True(listed == 0, listing);
        Assert.Equal(["psig-1.2.3-linux-x64/", "psig-1.2.3-linux-x64/README.txt", "psig-1.2.3-linux-x64/psig"],
            listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_ReadyToRun_fallback_is_a_single_file_in_its_own_tarball()
    {
        var (work, environment) = FakeDotnet();
        environment["PSIG_BUILD"] = "r2r";

        var (exit, output) = await RequiredTool.RunAsync("bash", [Script, "1.2.3"], work, environment, Ct);

        Assert.True(exit == 0, output);
        var tarball = Path.Combine(work, "out", "psig-1.2.3-linux-x64-r2r.tar.gz");
        Assert.Equal($"{tarball}\n{tarball}.sha256\n", output);
        var args = await File.ReadAllLinesAsync(environment["FAKE_ARGS"], Ct);
        foreach (var flag in new[] { "-r", "linux-x64", "--self-contained", "true", "-p:PublishSingleFile=true", "-p:PublishReadyToRun=true", "-p:InvariantGlobalization=true" })
        {
            Assert.Contains(flag, args);
        }
        Assert.DoesNotContain("-p:PublishAot=true", args);
        var (check, checkOutput) = await RequiredTool.RunAsync("sha256sum", ["-c", "psig-1.2.3-linux-x64-r2r.tar.gz.sha256"], Path.Combine(work, "out"), null, Ct);
        Assert.True(check == 0, checkOutput);
    }

    [Fact]
    public async Task An_unknown_build_kind_is_refused()
    {
        var (work, environment) = FakeDotnet();
        environment["PSIG_BUILD"] = "jit";

        var (exit, output) = await RequiredTool.RunAsync("bash", [Script, "1.2.3"], work, environment, Ct);

        Assert.Equal(2, exit);
        Assert.Equal("build-psig.sh: PSIG_BUILD must be aot or r2r, not 'jit'\n", output);
        Assert.False(File.Exists(environment["FAKE_ARGS"]), "nothing was published");
    }

    [Fact]
    public async Task A_version_that_is_not_a_plain_word_is_refused()
    {
        var (work, environment) = FakeDotnet();

        var (exit, output) = await RequiredTool.RunAsync("bash", [Script, "1.2 3;x"], work, environment, Ct);

        Assert.Equal(2, exit);
        Assert.Equal("build-psig.sh: version '1.2 3;x' must be letters, digits, '.', '_', '+' or '-'\n", output);
        Assert.False(File.Exists(environment["FAKE_ARGS"]), "nothing was published");
    }
}
