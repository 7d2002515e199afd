using System.CommandLine;
using PrivateSigstore.Cli.Commands;

namespace PrivateSigstore.Cli;

/// <summary>The psig command tree; <see cref="RunAsync"/> is the whole program, so tests run it in process.</summary>
public static class PsigApp
{
    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code (0 ok/verified, 1 not verified/failed (a refused TUF update too), 2 usage).</summary>
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(console);
        var root = new RootCommand("psig: sign and verify with a private Sigstore stack")
        {
            VerifyCommands.VerifyBlob(console),
            VerifyCommands.VerifyAttestation(console),
            SignCommands.SignBlob(console),
            SignCommands.Attest(console),
            ConformanceCommands.SignBundle(console),
            ConformanceCommands.VerifyBundle(console),
            LogCommands.Log(console),
            TrustedRootCommand.Create(console),
            TokenCommand.Create(console),
            TufCommands.Create(console),
            InitializeCommand.Create(console),
            KeyPairCommand.Create(console),
            ModelCommands.SignModel(console),
            ModelCommands.VerifyModel(console),
            ModelCommands.DigestModel(console),
            GateCommands.Gate(console),
            GateCommands.Exec(console),
            RecordCommands.Record(console),
            ImageCommands.SignImage(console),
            ImageCommands.AttestImage(console),
            ImageCommands.VerifyImage(console),
            ImageCommands.VerifyImageAttestation(console),
        };
        if (args.Length == 0)
        {
            // Bare psig: the command list, as cosign prints it, rather than "Required command was not provided".
            args = ["--help"];
        }
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await console.Error.WriteLineAsync("psig: " + error.Message).ConfigureAwait(false);
            }
            return ExitCodes.Usage;
        }
        try
        {
            var config = new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false };
            return await parse.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            await console.Error.WriteLineAsync("psig: " + e.Message).ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (Client.Oci.RegistryException e)
        {
            await console.Error.WriteLineAsync("psig: " + e.Message).ConfigureAwait(false);
            return ExitCodes.NotVerified;
        }
        catch (TrustException e)
        {
            await console.Error.WriteLineAsync("psig: " + e.Message).ConfigureAwait(false);
            return ExitCodes.NotVerified;
        }
    }
}
