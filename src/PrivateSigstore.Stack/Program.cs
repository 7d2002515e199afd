using System.CommandLine;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using PrivateSigstore.Stack;

// The embedded default: every service in one process, on loopback, with its data under ./data (or --data <dir>).
return await StackCommand.RunAsync(args);

/// <summary>The stack's command line (System.CommandLine, as psig): options, --help, and the run loop.</summary>
internal static class StackCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0 && args[0] == "admin")
        {
            return await AdminAsync(args[1..]).ConfigureAwait(false);
        }
        var data = new Option<string>("--data") { Description = "The data directory (keys, logs, trust files, services.json)", DefaultValueFactory = _ => "data" };
        var rekorPort = PortOption("--rekor-port", "Rekor's port", 3000);
        var fulcioPort = PortOption("--fulcio-port", "The CA's port", 5555);
        var ctPort = PortOption("--ctlog-port", "The CT log's port", 6962);
        var identityPort = PortOption("--identity-port", "The identity provider's port", 5556);
        var tsaPort = PortOption("--tsa-port", "The timestamp authority's port", 3004);
        var rekorV2Port = PortOption("--rekor-v2-port", "Rekor v2's port", 3001);
        var tufPort = PortOption("--tuf-port", "The TUF repository's port", 8081);
        var witnessPort = PortOption("--witness-port", "The witness's port", 8083);
        var monitorPort = PortOption("--monitor-port", "The log monitor's port", 8082);
        var explorerPort = PortOption("--explorer-port", "The log explorer's port (web UI)", 8080);
        var monitorConfig = new Option<string?>("--monitor-config") { Description = "Identities to watch in the logs, in rekor-monitor's YAML (monitoredValues: certIdentities, subjects, fingerprints, oidMatchers)" };
        var monitorWebhook = new Option<string?>("--monitor-webhook") { Description = "A URL that receives every monitor alert as a JSON POST (retried; signed with HMAC-SHA256 when --monitor-webhook-secret is given)" };
        var monitorWebhookSecret = new Option<string?>("--monitor-webhook-secret") { Description = "A file holding the webhook's HMAC-SHA256 secret (header X-PrivateSigstore-Signature: sha256=<hex>)" };
        var freePorts = new Option<bool>("--free-ports") { Description = "Every service takes a free loopback port (see data/services.json for where)" };
        var fulcioConfig = new Option<string?>("--fulcio-config") { Description = "An issuer configuration for the CA (upstream format) instead of the local identity provider" };
        var pemKeys = new Option<bool>("--pem-keys") { Description = "Development PEM keys even when SoftHSM2 is installed (decided at first start; keys are not migrated)" };
        var logLevel = new Option<string>("--log-level") { Description = "Minimum level of the services' own messages", DefaultValueFactory = _ => "Information" };
        logLevel.AcceptOnlyFromAmong("Trace", "Debug", "Information", "Warning", "Error", "Critical", "None");
        var root = new RootCommand("""
            PrivateSigstore stack: the identity provider, the Fulcio-compatible CA, the CT log, Rekor (v1 and v2), the
            timestamp authority, the TUF repository, the witness, the log monitor and the log explorer in one process on loopback, on their embedded defaults. Writes trusted_root.json,
            signing_config.v0.2.json (also published through TUF, data/tuf) and services.json (service name -> base URL) into the data directory.
            """)
        {
            data, rekorPort, rekorV2Port, fulcioPort, ctPort, identityPort, tsaPort, tufPort, witnessPort, monitorPort, explorerPort, monitorConfig, monitorWebhook, monitorWebhookSecret, freePorts, fulcioConfig, pemKeys, logLevel,
        };
        root.SetAction(async (parse, ct) =>
        {
            bool free = parse.GetValue(freePorts);
            var options = new StackOptions
            {
                DataDirectory = parse.GetValue(data)!,
                RekorPort = free ? 0 : parse.GetValue(rekorPort),
                FulcioPort = free ? 0 : parse.GetValue(fulcioPort),
                CtLogPort = free ? 0 : parse.GetValue(ctPort),
                IdentityPort = free ? 0 : parse.GetValue(identityPort),
                TsaPort = free ? 0 : parse.GetValue(tsaPort),
                RekorV2Port = free ? 0 : parse.GetValue(rekorV2Port),
                TufPort = free ? 0 : parse.GetValue(tufPort),
                WitnessPort = free ? 0 : parse.GetValue(witnessPort),
                MonitorPort = free ? 0 : parse.GetValue(monitorPort),
                ExplorerPort = free ? 0 : parse.GetValue(explorerPort),
                MonitorConfigPath = parse.GetValue(monitorConfig) is { } m ? Path.GetFullPath(m) : null,
                MonitorWebhookUrl = parse.GetValue(monitorWebhook),
                MonitorWebhookSecretPath = parse.GetValue(monitorWebhookSecret) is { } w ? Path.GetFullPath(w) : null,
                FulcioConfigPath = parse.GetValue(fulcioConfig),
                UseSoftHsm = !parse.GetValue(pemKeys),
                LogLevel = parse.GetValue(logLevel)!,
            };
            return await RunStackAsync(options).ConfigureAwait(false);
        });
        root.Subcommands.Add(RotateKeyCommand());
        // Listed for --help; "admin …" is handed to the identity provider's admin commands before parsing (AdminAsync).
        root.Subcommands.Add(new Command("admin", "Identity administration on the stack's store (people, workload clients, the token audit log): admin --help"));
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors) await Console.Error.WriteLineAsync("stack: " + error.Message).ConfigureAwait(false);
            await Console.Error.WriteLineAsync("Run with --help for the options.").ConfigureAwait(false);
            return 2;
        }
        return await result.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>admin [--data DIR] COMMAND …</c>: the identity provider's admin commands on the stack's store (DIR/identity,
    /// DIR defaulting to ./data as for the stack itself); they never create a store.
    /// </summary>
    private static Task<int> AdminAsync(string[] args)
    {
        var rest = new List<string>(args);
        var data = "data";
        var i = rest.IndexOf("--data");
        if (i >= 0)
        {
            if (i + 1 >= rest.Count)
            {
                Console.Error.WriteLine("stack: admin: --data needs a value");
                return Task.FromResult(2);
            }
            data = rest[i + 1];
            rest.RemoveRange(i, 2);
        }
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Identity:DataDirectory"] = Path.Combine(Path.GetFullPath(data), "identity") })
            .Build();
        return PrivateSigstore.Identity.AdminCommands.RunAsync([.. rest], Console.Out, Console.Error, configuration);
    }

    /// <summary><c>rotate-key SERVICE [--data DIR]</c>: a new key for one service of the stopped stack.</summary>
    private static Command RotateKeyCommand()
    {
        var service = new Argument<string>("service") { Description = "The service whose key to rotate: " + string.Join(", ", StackKeyRotation.Names) };
        service.AcceptOnlyFromAmong([.. StackKeyRotation.Names]);
        var data = new Option<string>("--data") { Description = "The stack's data directory", DefaultValueFactory = _ => "data" };
        var command = new Command("rotate-key", """
            Rotates one service's signing key while the stack is stopped: a new key (in the stack's SoftHSM2 token, or a new
            PEM file with development keys), for fulcio-intermediate a new intermediate certificate under the same root, for
            tsa a new TSA certificate. Logs keep their trees. The stack signs with the new key from its next start, which
            rewrites trusted_root.json: the old key stays with validFor.end = that start, the new one starts then.
            """)
        {
            service, data,
        };
        command.SetAction(async (parse, ct) =>
        {
            string dir = parse.GetValue(data)!;
            KeyRotation rotation;
            try
            {
                rotation = StackKeyRotation.Rotate(dir, StackKeyRotation.Parse(parse.GetValue(service)!));
            }
            catch (Exception ex) when (ex is StackStartException or PrivateSigstore.Keys.KeyConfigurationException or InvalidOperationException or InvalidDataException or IOException)
            {
                await Console.Error.WriteLineAsync("stack: rotate-key: " + ex.Message).ConfigureAwait(false);
                return 2;
            }

            string keyId = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(rotation.SubjectPublicKeyInfo));
            Console.WriteLine($"""
                Rotated {rotation.Name}: key generation {rotation.PreviousGeneration} -> {rotation.Generation}
                  new key:        {rotation.Key}
                  SHA-256 of its public key: {keyId}
                """);
            if (rotation.CertificateChainPath is { } chainPath) Console.WriteLine($"  new chain:      {chainPath}");
            Console.WriteLine($"""

                The stack signs with the new key from its next start. That start rewrites {Path.Combine(Path.GetFullPath(dir), StackHost.TrustedRootFile)}:
                the old key stays listed with validFor.end = the restart time (bundles made before keep verifying), and the new
                key is listed from then on. Clients need the new trusted_root.json to verify anything signed after the restart.
                """);
            return 0;
        });
        return command;
    }

    private static Option<int> PortOption(string name, string description, int fallback)
    {
        return new Option<int>(name)
        {
            Description = $"{description} (0: a free one)",
            DefaultValueFactory = _ => fallback,
            CustomParser = r =>
            {
                var text = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
                if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port <= 65535) return port;
                r.AddError($"{name} must be a port number in 0..65535, not '{text}'");
                return 0;
            },
        };
    }

    private static async Task<int> RunStackAsync(StackOptions options)
    {
        Console.WriteLine($"PrivateSigstore stack — data in {Path.GetFullPath(options.DataDirectory)}");
        StackHost stack;
        try
        {
            stack = await StackHost.StartAsync(options).ConfigureAwait(false);
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            await Console.Error.WriteLineAsync($"stack: a port is already in use ({ex.Message}); stop what listens there, choose other ports (--rekor-port …) or use --free-ports").ConfigureAwait(false);
            return 2;
        }
        catch (StackStartException ex)
        {
            await Console.Error.WriteLineAsync("stack: " + ex.Message).ConfigureAwait(false);
            return 2;
        }
        await using (stack.ConfigureAwait(false))
        {
            await PrintAsync(stack).ConfigureAwait(false);

            // Ctrl-C (SIGINT), SIGTERM (systemd, kill, container stop) and SIGQUIT all stop the services cleanly: queued log
            // batches are written before the process exits.
            var stop = new TaskCompletionSource();
            void Stop(System.Runtime.InteropServices.PosixSignalContext context)
            {
                context.Cancel = true;
                stop.TrySetResult();
            }
            using var onInt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
            using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
            using var onQuit = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGQUIT, Stop);
            await stop.Task.ConfigureAwait(false);
            Console.WriteLine("stopping…");
            await stack.StopAsync().ConfigureAwait(false);
            Console.WriteLine("stopped.");
        }
        return 0;
    }

    private static async Task PrintAsync(StackHost stack)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Console.WriteLine();
        foreach (var service in stack.Services)
        {
            Console.WriteLine($"  {service.Key,-9} {service.Name,-40} {service.Url,-24} {await ReadyAsync(http, service.Url).ConfigureAwait(false)}");
        }

        Console.WriteLine($"""

            Trust material for clients:
              {stack.TrustedRootPath}
              {stack.SigningConfigPath}
            Service registry (name -> URL): {stack.ServiceRegistryPath}
            {stack.TufClientInstructions}

            Try it:
              curl -s {stack.RekorUrl}/api/v1/log
              curl -s {stack.FulcioUrl}/api/v2/trustBundle
              curl -s {stack.CtLogUrl}/ct/v1/get-sth
            """);
        if (stack.Demo is { } demo)
        {
            string issuer = stack.Issuer;
            var psig = PsigLocator.Find();
            Console.WriteLine($"""

                Demo identities (kept in {Path.Combine(stack.DataDirectory, "identity", "demo-credentials.json")}, mode 0600):
                  person:   {demo.Username} / {demo.Password}   (sign in at {issuer}account/login; certificate identity {demo.Username}@privatesigstore.local)
                  workload: client id {demo.ClientId}, secret {demo.ClientSecret}, certificate identity {demo.WorkloadEmail}

                Sign a file keylessly as the demo workload, then verify it ({psig.Where}):
                  {psig.Command} sign-blob README.md --bundle README.md.sigstore.json --signing-config {stack.SigningConfigPath} --oidc-issuer {issuer} --oidc-client-id {demo.ClientId} --oidc-client-secret {demo.ClientSecret}
                  {psig.Command} verify-blob README.md --bundle README.md.sigstore.json --trusted-root {stack.TrustedRootPath} --certificate-identity {demo.WorkloadEmail} --certificate-oidc-issuer {issuer}
                """);
        }

        Console.WriteLine("""

            Press Ctrl-C to stop (queued log batches are written before exit).
            """);
    }

    private static async Task<string> ReadyAsync(HttpClient http, string url)
    {
        try
        {
            var r = await http.GetAsync(new Uri($"{url}/readyz")).ConfigureAwait(false);
            return r.IsSuccessStatusCode ? "ready" : $"NOT READY ({(int)r.StatusCode})";
        }
        catch (HttpRequestException ex)
        {
            return $"NOT READY ({ex.Message})";
        }
    }
}
