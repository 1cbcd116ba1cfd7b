using ElasticVit.Cli;

namespace ElasticVit.Tests.Cli;

/// <summary>The command line as System.CommandLine parses it for the project's command specs: values, help, and one-line usage errors.</summary>
[Collection("Console")]
public sealed class CliHostTests
{
    private ParsedArgs? _seen;

    private IReadOnlyList<CommandSpec> Commands() =>
    [
        new("tool run", "run something", [
            new("size", "a size", "N", "3"),
            new("name", "a name", "NAME", Required: true),
            new("budget", "a budget", "B", Repeatable: true),
            new("json", "print JSON", null),
        ], a =>
        {
            _seen = a;
            a.Int("size");   // a typed accessor refuses a bad value as a usage error
            return 0;
        }, ["FILE"]),
        new("other", "another command", [], _ => 7),
    ];

    [Fact]
    public void An_output_path_that_cannot_be_written_is_a_usage_error_before_the_command_does_any_work()
    {
        using var dir = new ElasticVit.Tests.Data.TempDir();
        var file = dir.File("a-file");
        File.WriteAllText(file, "x");
        var ran = false;
        IReadOnlyList<CommandSpec> commands =
        [
            new("write", "write something", [new("out", "output file", "FILE"), new("folder", "output folder", "DIR")], a =>
            {
                a.OutputPath("out");
                a.OutputPath("folder", folder: true);
                ran = true;
                return 0;
            }),
        ];
        foreach (var (args, message) in new[]
        {
            (new[] { "--out", dir.Path }, $"error: --out {dir.Path}: is a folder, not a file"),
            (["--out", Path.Combine(file, "deeper", "x.json")], $"error: --out {Path.Combine(file, "deeper", "x.json")}: {file} is a file, not a folder"),
            (["--folder", file], $"error: --folder {file}: is a file, not a folder"),
        })
        {
            var (code, _, error) = CliRunner.Run(commands, ["write", .. args]);
            Assert.Equal((CliHost.UsageError, message), (code, error.TrimEnd()));
            Assert.False(ran);
        }
        Assert.Equal(0, CliRunner.Run(commands, "write", "--out", dir.File("new", "x.json"), "--folder", dir.File("new-folder")).ExitCode);
        Assert.True(ran);

        // A real command refuses it before opening its run (which does not exist here either).
        var search = CliRunner.Run(ElasticVit.Cli.Commands.SearchCommands.All.ToList(), "search", "--run", dir.File("no-run"), "--budget", "flops:10", "--out", Path.Combine(file, "s.json"));
        Assert.Equal(CliHost.UsageError, search.ExitCode);
        Assert.Contains("is a file, not a folder", search.Error);
    }

    [Fact]
    public void Values_defaults_repeated_options_flags_and_positionals_reach_the_command()
    {
        var (code, _, error) = CliRunner.Run(Commands(), "tool", "run", "in.txt", "--name", "n1", "--budget", "a", "--budget=b", "--size", "-4");
        Assert.Equal((0, ""), (code, error));
        Assert.Equal("n1", _seen!.String("name"));
        Assert.Equal(-4, _seen.Int("size"));
        Assert.Equal(["a", "b"], _seen.All("budget"));
        Assert.False(_seen.Flag("json"));
        Assert.Equal(["in.txt"], _seen.Positionals);

        CliRunner.Run(Commands(), "tool", "run", "x", "--name", "n", "--json");
        Assert.True(_seen.Flag("json"));
        Assert.Equal(3, _seen.Int("size"));   // the spec's default
        Assert.Equal(7, CliRunner.Run(Commands(), "other").ExitCode);
    }

    [Theory]
    [InlineData("tool run x --name n --bogus 1", "error: Unrecognized command or argument '--bogus'.")]
    [InlineData("tool run x", "error: Option '--name' is required.")]
    [InlineData("tool run x --name a --name b", "error: Option '--name' expects a single argument but 2 were provided.")]
    [InlineData("tool run --name a", "error: Required argument missing for command: 'run'.")]
    [InlineData("tool run x --name a --size big", "error: --size expects an integer, got 'big'")]
    [InlineData("nothing", "error: Unrecognized command or argument 'nothing'.")]
    public void A_wrong_command_line_is_one_error_line_and_exit_code_2(string line, string message)
    {
        _seen = null;
        var (code, output, error) = CliRunner.Run(Commands(), line.Split(' '));
        Assert.Equal(CliHost.UsageError, code);
        Assert.Equal(message, error.TrimEnd());
        Assert.Equal("", output);
    }

    [Fact]
    public void Help_is_everywhere_and_a_group_alone_shows_its_commands_as_a_usage_error()
    {
        var (code, output, _) = CliRunner.Run(Commands(), "tool", "run", "--help");
        Assert.Equal(0, code);
        Assert.Contains("elasticvit tool run <FILE> [options]", output);
        Assert.Contains("--size <N>", output);
        Assert.Contains("a size (default: 3)", output);
        Assert.Contains("a budget (repeatable)", output);
        Assert.Null(_seen);   // help does not run the command, even without its required option

        (code, output, _) = CliRunner.Run(Commands());
        Assert.Equal(0, code);
        Assert.Contains("other", output);

        (code, output, _) = CliRunner.Run(Commands(), "tool");
        Assert.Equal(CliHost.UsageError, code);
        Assert.Contains("run something", output);
    }
}
