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
}
