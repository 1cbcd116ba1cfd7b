using ElasticVit.Spaces;

namespace ElasticVit.Cli;

/// <summary>Dispatches the command line to a command, prints help, and turns every failure into one line and an exit code.</summary>
public static class CliHost
{
    public const int UsageError = 2;
    public const int Failure = 1;

    public static int Run(IReadOnlyList<CommandSpec> commands, string[] args)
    {
        try
        {
            // The longest command path that prefixes the arguments wins ("latency profile" before "latency").
            var match = commands
                .Select(c => (Spec: c, Words: c.Path.Split(' ')))
                .Where(c => c.Words.Length <= args.Length && c.Words.SequenceEqual(args.Take(c.Words.Length)))
                .OrderByDescending(c => c.Words.Length)
                .FirstOrDefault();
            if (match.Spec is null)
            {
                var prefix = args.TakeWhile(a => !a.StartsWith('-')).ToArray();
                var group = commands.Where(c => prefix.Length > 0 && c.Path.Split(' ').Take(prefix.Length).SequenceEqual(prefix)).ToArray();
                var wantsHelp = args.Length == 0 || args.Contains("--help") || args.Contains("-h") || args[0] == "help";
                if (group.Length > 0 && (wantsHelp || prefix.Length == args.Length))
                {
                    PrintOverview(group);
                    return wantsHelp ? 0 : UsageError;
                }
                if (wantsHelp && prefix.Length <= 1 && (prefix.Length == 0 || prefix[0] == "help"))
                {
                    PrintOverview(commands);
                    return 0;
                }
                Console.Error.WriteLine($"error: unknown command '{string.Join(' ', prefix)}' (see elasticvit --help)");
                return UsageError;
            }
            var rest = args.Skip(match.Words.Length).ToArray();
            if (rest.Contains("--help") || rest.Contains("-h"))
            {
                Console.Write(match.Spec.Usage());
                return 0;
            }
            return match.Spec.Run(ParsedArgs.Parse(match.Spec, rest));
        }
        catch (Exception e) when (e is UsageException or SpaceException)
        {
            Console.Error.WriteLine($"error: {OneLine(e.Message)}");
            return UsageError;
        }
        // The project's own user errors, and what the environment or a model file given by the user can cause.
        catch (Exception e) when (e is UserError or IOException or UnauthorizedAccessException or OperationCanceledException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            Console.Error.WriteLine($"error: {OneLine(e.Message)}");
            return Failure;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: unexpected {e.GetType().Name}: {OneLine(e.Message)} (set ELASTICVIT_DEBUG=1 for details)");
            if (Environment.GetEnvironmentVariable("ELASTICVIT_DEBUG") == "1") Console.Error.WriteLine(e);
            return 70;
        }
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();

    private static void PrintOverview(IReadOnlyList<CommandSpec> commands)
    {
        Console.WriteLine("ElasticViT for .NET: train a weight-sharing hybrid CNN+ViT supernet, search it for fast subnets, export them to ONNX.");
        Console.WriteLine();
        Console.WriteLine("usage: elasticvit <command> [options]      (elasticvit <command> --help for its options)");
        Console.WriteLine();
        Console.WriteLine("commands:");
        foreach (var c in commands) Console.WriteLine($"  {c.Path,-22} {c.Summary}");
    }
}
