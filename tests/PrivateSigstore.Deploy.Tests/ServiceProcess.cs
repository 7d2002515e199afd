using System.Diagnostics;
using System.Net;
using System.Text;

namespace PrivateSigstore.Deploy.Tests;

/// <summary>A service running as a child process (dotnet PrivateSigstore.X.dll), stopped and killed on dispose.</summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private const int MaxOutputChars = 200_000;
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(string name, Process process, Uri baseUrl)
    {
        Name = name;
        _process = process;
        BaseUrl = baseUrl;
    }

    /// <summary>The compose service name.</summary>
    public string Name { get; }

    /// <summary>Where it listens.</summary>
    public Uri BaseUrl { get; }

    /// <summary>What it printed so far (bounded).</summary>
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

    /// <summary>
    /// Starts the image's entrypoint (deploy/docker/entrypoint.sh, which execs <c>dotnet PrivateSigstore.&lt;service&gt;.dll</c>)
    /// with the service's build output in place of the image's /app and <paramref name="environment"/> added.
    /// </summary>
    public static ServiceProcess Start(string name, string imageService, Uri baseUrl, IReadOnlyDictionary<string, string> environment, string workingDirectory, IReadOnlyList<string>? arguments = null)
    {
        var start = new ProcessStartInfo("sh")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Repository.File("deploy", "docker", "entrypoint.sh"));
        foreach (var argument in arguments ?? [])
        {
            start.ArgumentList.Add(argument); // the compose service's command: the image entrypoint's arguments
        }

        start.Environment["PSIG_SERVICE"] = imageService; // ENV PSIG_SERVICE=${SERVICE} in the image
        start.Environment["PSIG_APP_DIR"] = Path.GetDirectoryName(Repository.ServiceDll(imageService))!;
        foreach (var (k, v) in environment)
        {
            start.Environment[k] = v;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var service = new ServiceProcess(name, process, baseUrl);
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>Polls /readyz until it answers 200; fails with the service's output if it exits or never gets ready.</summary>
    public async Task WaitReadyAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                Assert.Fail($"{Name} exited with code {_process.ExitCode} before it was ready:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseUrl, "/readyz"), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }

            await Task.Delay(250, cancellationToken);
        }

        Assert.Fail($"{Name} not ready at {BaseUrl}readyz ({last}):\n{Output}");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < MaxOutputChars)
            {
                _output.AppendLine(line);
            }
        }
    }
}
