using ElasticVit.Cli;

namespace ElasticVit.Tests.Cli;

/// <summary>Runs the CLI in-process with the console captured. Tests that use it share the "Console" collection, so they never overlap.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Out, string Error) Run(IReadOnlyList<CommandSpec> commands, params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        var (outWriter, errorWriter) = (new StringWriter(), new StringWriter());
        Console.SetOut(outWriter);
        Console.SetError(errorWriter);
        try
        {
            var code = CliHost.Run(commands, args);
            return (code, outWriter.ToString(), errorWriter.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }
}

[CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection;
