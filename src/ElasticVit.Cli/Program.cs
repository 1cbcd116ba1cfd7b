using ElasticVit.Cli;
using Spectre.Console;

// Written to a file or a pipe, tables get a log-friendly width instead of the 80 columns assumed without a terminal.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;
return CliHost.Run(CommandRegistry.All, args);
