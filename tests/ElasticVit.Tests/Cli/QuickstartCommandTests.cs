using ElasticVit.Cli.Commands;
using ElasticVit.Tests.Data;

namespace ElasticVit.Tests.Cli;

[Collection("Console")]
public class QuickstartCommandTests
{
    [Theory]
    [InlineData("elasticvit-imagenet", "the quickstart trains on Fashion-MNIST")]
    [InlineData("no-such-space", "unknown search space 'no-such-space'")]
    public void A_space_the_quickstart_cannot_train_is_one_error_line_before_any_stage_writes_a_file(string space, string message)
    {
        using var dir = new TempDir();
        var (code, _, error) = CliRunner.Run(QuickstartCommand.All.ToList(), "quickstart", "--space", space, "--out", dir.Path);
        Assert.NotEqual(0, code);
        Assert.Contains(message, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Theory]
    [InlineData("give --minutes (training) or --total-minutes (the whole quickstart), not both", "--minutes", "5", "--total-minutes", "15")]
    [InlineData("--total-minutes must be > 0", "--total-minutes", "0")]
    [InlineData("--minutes must be > 0", "--minutes", "0")]
    public void Minutes_that_cannot_make_a_plan_are_one_error_line_and_no_files(string message, params string[] minutes)
    {
        using var dir = new TempDir();
        var output = Path.Combine(dir.Path, "quickstart");
        var (code, _, error) = CliRunner.Run(QuickstartCommand.All.ToList(), ["quickstart", "--out", output, .. minutes]);
        Assert.NotEqual(0, code);
        Assert.Contains(message, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(Directory.Exists(output));
    }

    [Theory]
    [InlineData("{\"minutes\": 9.5, ", "not as the quickstart writes it")]
    [InlineData("[1, 2]", "not a JSON object")]
    [InlineData("{\"space\": \"elasticvit-fmnist-lite\"}", "a field is missing")]
    [InlineData("{\"minutes\": -3}", "'minutes' is not positive")]
    [InlineData("{\"minutes\": \"nine\"}", "not as the quickstart writes it")]
    [InlineData("{\"minutes\": 9, \"planned_seconds\": {\"training\": 600}}", "a field is missing")]
    [InlineData("{\"minutes\": 9, \"stages\": [1]}", "not as the quickstart writes it")]
    public void A_damaged_plan_in_the_output_is_one_error_line_before_any_stage_and_is_left_as_it_was(string plan, string message)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File(QuickstartTimePlan.File), plan);
        var (code, _, error) = CliRunner.Run(QuickstartCommand.All.ToList(), "quickstart", "--out", dir.Path);
        Assert.NotEqual(0, code);
        Assert.Contains(message, error);
        Assert.Contains(QuickstartTimePlan.File, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal(plan, File.ReadAllText(dir.File(QuickstartTimePlan.File)));
        Assert.Single(Directory.EnumerateFileSystemEntries(dir.Path));
    }
}
