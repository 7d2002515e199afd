using System.CommandLine;

namespace PrivateSigstore.Cli.Commands;

/// <summary><c>psig token</c>: gets an identity token and prints it (for scripts: <c>TOKEN=$(psig token --oidc-issuer ... --oidc-device)</c>).</summary>
internal static class TokenCommand
{
    public static Command Create(CliConsole console)
    {
        var flags = new TokenFlags();
        var command = new Command("token", "Get an OIDC identity token (client credentials, device flow, or browser sign-in) and print it to stdout");
        flags.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var token = await flags.GetAsync(console, parse, "give --oidc-issuer with --oidc-device, --oidc-browser, or --oidc-client-id and --oidc-client-secret", ct).ConfigureAwait(false);
            if (token is null)
            {
                return ExitCodes.NotVerified;
            }
            await console.Out.WriteLineAsync(token).ConfigureAwait(false);
            return ExitCodes.Verified;
        });
        return command;
    }
}
