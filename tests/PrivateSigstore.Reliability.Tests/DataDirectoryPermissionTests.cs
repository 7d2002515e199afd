namespace PrivateSigstore.Reliability.Tests;

/// <summary>
/// Issue 20 #6: a data directory made by an older version (or by hand) with a looser mode is brought to 0700 / 0600 when
/// the service starts, for every stateful service (Identity has its own test in Identity.Tests). The services start in
/// parallel on directories prepared 0755 with a 0644 file and a 0755 subdirectory holding a 0644 file.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DataDirectoryPermissionTests
{
    private const UnixFileMode Open = (UnixFileMode)0b111_101_101;
    private const UnixFileMode OpenFile = (UnixFileMode)0b110_100_100;

    [Fact]
    public async Task Every_service_brings_an_existing_data_directory_to_0700_and_its_files_to_0600_at_start()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        var root = Directory.CreateTempSubdirectory("psig-perm-").FullName;
        var keyPath = Path.Combine(root, "log.pub");
        using (var logKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(keyPath, logKey.ExportSubjectPublicKeyInfoPem());
        }

        (string Service, string[] Args, string Dir)[] cases =
        [
            ("Rekor", [$"--Rekor:DataDirectory={Path.Combine(root, "rekor")}"], Path.Combine(root, "rekor")),
            ("Rekor", ["v2", "serve", $"--RekorV2:DataDirectory={Path.Combine(root, "rekor-v2")}"], Path.Combine(root, "rekor-v2")),
            ("CtLog", [$"--CtLog:DataDirectory={Path.Combine(root, "ctlog")}"], Path.Combine(root, "ctlog")),
            ("Timestamp", [$"--Timestamp:DataDirectory={Path.Combine(root, "tsa")}"], Path.Combine(root, "tsa")),
            ("Witness", [$"--Witness:DataDirectory={Path.Combine(root, "witness")}"], Path.Combine(root, "witness")),
            ("Monitor", [$"--Monitor:DataDirectory={Path.Combine(root, "monitor")}", "--Monitor:Logs:0:Url=http://127.0.0.1:9", $"--Monitor:Logs:0:PublicKeyPath={keyPath}"], Path.Combine(root, "monitor")),
        ];
        foreach (var (_, _, dir) in cases)
        {
            Directory.CreateDirectory(Path.Combine(dir, "old"));
            File.WriteAllText(Path.Combine(dir, "notes.txt"), "left by an older version");
            File.WriteAllText(Path.Combine(dir, "old", "state.json"), "{}");
            File.SetUnixFileMode(dir, Open);
            File.SetUnixFileMode(Path.Combine(dir, "old"), Open);
            File.SetUnixFileMode(Path.Combine(dir, "notes.txt"), OpenFile);
            File.SetUnixFileMode(Path.Combine(dir, "old", "state.json"), OpenFile);
        }

        var started = await Task.WhenAll(cases.Select(c => ServiceProcess.StartAsync(c.Service, c.Args, root)));
        try
        {
            var wrong = new List<string>();
            foreach (var (service, _, dir) in cases)
            {
                foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", SearchOption.AllDirectories).Prepend(new DirectoryInfo(dir)))
                {
                    var wanted = entry is DirectoryInfo ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute : UnixFileMode.UserRead | UnixFileMode.UserWrite;
                    if (entry.UnixFileMode != wanted)
                    {
                        wrong.Add($"{service} {entry.FullName[root.Length..]}: {Convert.ToString((int)entry.UnixFileMode, 8)}");
                    }
                }
            }

            Assert.True(wrong.Count == 0, "not owner-only after start:\n" + string.Join("\n", wrong));
        }
        finally
        {
            foreach (var s in started)
            {
                await s.DisposeAsync();
            }

            Directory.Delete(root, recursive: true);
        }
    }
}
