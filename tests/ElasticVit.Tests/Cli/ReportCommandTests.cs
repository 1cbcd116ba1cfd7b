using ElasticVit.Cli.Commands;
using ElasticVit.Tests.Data;

namespace ElasticVit.Tests.Cli;

[Collection("Console")]
public class ReportCommandTests
{
    private static (int Code, string Error) Report(string dir)
    {
        var (code, _, error) = CliRunner.Run(ReportCommand.All.ToList(), "report", "--out", dir);
        return (code, error.Trim());
    }

    [Fact]
    public void A_directory_no_quickstart_wrote_is_one_error_line_and_gets_no_files()
    {
        using var dir = new TempDir();
        var missing = dir.File("not-there");
        var (code, error) = Report(missing);
        Assert.NotEqual(0, code);
        Assert.Single(error.Split('\n'));
        Assert.Contains("is not a quickstart output directory", error);
        Assert.False(Directory.Exists(missing));

        (code, error) = Report(dir.Path);
        Assert.NotEqual(0, code);
        Assert.Contains("is not a quickstart output directory", error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Theory]
    [InlineData("quickstart.json", "not json", "quickstart.json: not valid JSON")]
    [InlineData("results.json", "{\"winner\": 1}", "results.json: expected a JSON array of winners")]
    [InlineData("results.json", "[{\"key\": \"a\"}]", "its files are not as the quickstart writes them")]
    public void Files_not_as_the_quickstart_writes_them_are_one_error_line_naming_them_and_no_report(string file, string content, string message)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("quickstart.json"), "{\"minutes\": 1}");
        File.WriteAllText(dir.File(file), content);
        var (code, error) = Report(dir.Path);
        Assert.NotEqual(0, code);
        Assert.Single(error.Split('\n'));
        Assert.Contains(message, error);
        Assert.DoesNotContain("unexpected", error);
        Assert.False(File.Exists(dir.File("report.md")));
    }

    [Fact]
    public void A_quickstart_directory_with_only_its_plan_gets_a_report()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("quickstart.json"), "{\"minutes\": 1, \"stages\": {}}");
        var (code, error) = Report(dir.Path);
        Assert.True(code == 0, error);
        Assert.Contains("./elasticvit quickstart --out", File.ReadAllText(dir.File("report.md")));
        Assert.True(File.Exists(dir.File("report.html")));
    }
}
