using System.Text.Json.Nodes;
using ElasticVit.Cli.Commands;
using ElasticVit.Cli.Reporting;
using ElasticVit.Tests.Data;
using ElasticVit.Training;

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

    [Theory]
    [InlineData("short-budget", false)]
    [InlineData("paper", true)]
    [InlineData("written before the option", true)]
    public void The_loss_charts_caption_names_the_min_subnets_loss_as_the_run_trained_it(string recipe, bool distilled)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("quickstart.json"), "{\"minutes\": 1, \"stages\": {}}");
        var run = new RunDirectory(dir.File("supernet"));
        run.Initialise(recipe == "paper" ? new TrainOptions().WithPaperRecipe() : new TrainOptions());
        if (recipe == "written before the option")
        {
            var config = JsonNode.Parse(File.ReadAllText(run.ConfigPath))!.AsObject();
            config.Remove("inplace_distillation");
            File.WriteAllText(run.ConfigPath, config.ToJsonString());
        }
        File.WriteAllText(run.MetricsPath, """
            {"step":0,"loss":{"level":2.3,"level_min":2.3}}
            {"step":1,"loss":{"level":2.1,"level_min":2.2}}
            """);
        var (code, error) = Report(dir.Path);
        Assert.True(code == 0, error);
        var report = File.ReadAllText(dir.File("report.md"));
        Assert.Contains(TrainingCharts.LossCaption(distilled), report);
        Assert.DoesNotContain(TrainingCharts.LossCaption(!distilled), report);
        Assert.True(File.Exists(dir.File("training-loss.png")));
    }
}
