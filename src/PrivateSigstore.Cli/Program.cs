using PrivateSigstore.Cli;

return await PsigApp.RunAsync(args, new CliConsole(Console.Out, Console.Error, !Console.IsOutputRedirected && !Console.IsErrorRedirected));
