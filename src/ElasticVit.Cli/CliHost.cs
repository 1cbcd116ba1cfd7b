using System.CommandLine;
using System.CommandLine.Help;
using ElasticVit.Spaces;

namespace ElasticVit.Cli;

/// <summary>
/// Parses the command line with System.CommandLine over the commands' specs (help included), runs the command, and turns
/// every failure into one line and an exit code.
/// </summary>
public static class CliHost
{
    public const int UsageError = 2;
    public const int Failure = 1;

    public static int Run(IReadOnlyList<CommandSpec> commands, string[] args)
    {
        try
        {
            // Response files (@file) would read paths as syntax: off (and the root command has no directives).
            var result = Root(commands).Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
            if (result.Action is not HelpAction && result.Errors.Count > 0) throw new UsageException(result.Errors[0].Message);
            return result.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
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

    /// <summary>The command tree of <paramref name="commands"/> for System.CommandLine: a command per word, options and arguments from the specs.</summary>
    private static Command Root(IReadOnlyList<CommandSpec> commands)
    {
        // A plain command named as users call the program (a RootCommand takes the assembly's name), with --help everywhere.
        var root = new Command("elasticvit", "ElasticViT for .NET: train a weight-sharing hybrid CNN+ViT supernet, search it for fast subnets, export them to ONNX.")
        {
            Options = { new HelpOption { Recursive = true } },
        };
        root.SetAction(ShowHelp);
        foreach (var spec in commands)
        {
            Command parent = root;
            var words = spec.Path.Split(' ');
            foreach (var word in words[..^1])
            {
                var group = parent.Subcommands.FirstOrDefault(c => c.Name == word);
                if (group is null)
                {
                    parent.Subcommands.Add(group = new Command(word, $"{word} commands"));
                    group.SetAction(r =>
                    {
                        ShowHelp(r);
                        return UsageError;   // a group alone is incomplete
                    });
                }
                parent = group;
            }
            parent.Subcommands.Add(Command(spec, words[^1]));
        }
        return root;
    }

    private static int ShowHelp(ParseResult result) => new HelpAction().Invoke(result);

    private static Command Command(CommandSpec spec, string name)
    {
        var command = new Command(name, spec.Summary);
        var options = spec.Options.Select(o => (Spec: o, Option: Option(o))).ToList();
        var arguments = (spec.Positionals ?? []).Select(p => new Argument<string>(p)).ToList();
        foreach (var (_, option) in options) command.Options.Add(option);
        foreach (var argument in arguments) command.Arguments.Add(argument);
        command.SetAction(result =>
        {
            var values = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (var (o, option) in options.Where(x => result.GetResult(x.Option) is { Implicit: false }))
                values[o.Name] = o.Flag ? ["true"] : o.Repeatable ? result.GetValue((Option<string[]>)option)! : [result.GetValue((Option<string>)option)!];
            return spec.Run(new ParsedArgs(spec, values, arguments.Select(a => result.GetValue(a)!).ToList()));
        });
        return command;
    }

    private static Option Option(OptionSpec o)
    {
        var description = o.Help + (o.Required ? " (required)" : "") + (o.Default is null ? "" : $" (default: {o.Default})") + (o.Repeatable ? " (repeatable)" : "");
        Option option = o.Flag ? new Option<bool>($"--{o.Name}") { Arity = ArgumentArity.Zero }
            : o.Repeatable ? new Option<string[]>($"--{o.Name}") { Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false }
            : new Option<string>($"--{o.Name}");
        option.Description = description;
        option.Required = o.Required;
        if (!o.Flag) option.HelpName = o.ValueName;
        return option;
    }
}
