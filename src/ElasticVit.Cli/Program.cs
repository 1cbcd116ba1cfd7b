using ElasticVit.Cli;
using ElasticVit.Distributed;
using Spectre.Console;

// Written to a file or a pipe, tables get a log-friendly width instead of the 80 columns assumed without a terminal.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;
// Under mpirun every rank runs this program; rank 0 speaks for the job, the others only report their errors.
if (Communicator.LaunchedRank > 0)
{
    Console.SetOut(TextWriter.Null);
    AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });
    Console.SetError(new ErrorsOnlyWriter(Console.Error, $"rank {Communicator.LaunchedRank}: "));
}
var exitCode = CliHost.Run(CommandRegistry.All, args);
if (Communicator.IsCreated)
{
    // A rank that failed ends the job: the other ranks would wait for it in their next collective call forever.
    if (exitCode != 0 && Communicator.World.Size > 1) Communicator.World.Abort(exitCode);
    Communicator.World.Dispose();
}
return exitCode;
