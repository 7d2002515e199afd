using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>
/// A service run as a client meets it: <c>dotnet PrivateSigstore.X.dll ARGS --urls http://127.0.0.1:0</c> from its build
/// output, its address read from Kestrel's "Now listening on:" line (the port the kernel gave it), killed with SIGKILL.
/// </summary>
internal sealed partial class ServiceProcess : IAsyncDisposable
{
    private const int MaxOutputChars = 400_000;
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServiceProcess(string service, Process process)
    {
        Service = service;
        _process = process;
    }

    public string Service { get; }

    public Uri BaseUrl { get; private set; } = null!;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything it printed so far (bounded).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the service and waits until it listens (it opens its store before it binds).</summary>
    public static async Task<ServiceProcess> StartAsync(string service, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Repository.ServiceDll(service));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        start.Environment["DOTNET_gcServer"] = "0";
        start.Environment["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Warning";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var service_ = new ServiceProcess(service, process);
        process.OutputDataReceived += (_, e) => service_.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service_.Append(e.Data);
        process.Exited += (_, _) => service_._listening.TrySetException(new InvalidOperationException($"{service} exited before listening"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            service_.BaseUrl = await service_._listening.Task.WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            await service_.DisposeAsync();
            Assert.Fail($"{service} did not start ({e.Message}):\n{service_.Output}");
        }

        return service_;
    }

    /// <summary>SIGKILL: no shutdown code runs, nothing is flushed.</summary>
    public async Task KillAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        var m = ListeningLine().Match(line);
        if (m.Success)
        {
            _listening.TrySetResult(new Uri(m.Groups[1].Value.TrimEnd('/') + "/"));
        }

        lock (_output)
        {
            if (_output.Length < MaxOutputChars)
            {
                _output.AppendLine(line);
            }
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}

/// <summary>Paths of this checkout and of the services' build output.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    public static string ServiceDll(string service) =>
        Path.Combine(Root, "src", $"PrivateSigstore.{service}", "bin", Configuration, "net10.0", $"PrivateSigstore.{service}.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PrivateSigstore.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PrivateSigstore.sln not found above " + AppContext.BaseDirectory);
    }
}
