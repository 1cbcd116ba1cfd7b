using System.Text.Json.Nodes;
using ElasticVit.Cli;
using ElasticVit.Cli.Commands;
using ElasticVit.Data;
using ElasticVit.Latency;
using ElasticVit.Search;
using ElasticVit.Tests.Data;
using ElasticVit.Tests.Latency;
using ElasticVit.Training;

namespace ElasticVit.Tests.Search;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCapture
{
    public const string Name = "console capture";

    /// <summary>Runs the CLI on <paramref name="args"/> with stdout and stderr captured.</summary>
    public static (int Code, string Out, string Error) Run(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try { return (CliHost.Run(SearchCommands.All.ToList(), args), o.ToString(), e.ToString()); }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }
}

[Collection(ConsoleCapture.Name)]
public class SearchCommandTests(TinyRun tiny) : IClassFixture<TinyRun>
{
    /// <summary>A run directory whose checkpoint is not a checkpoint: any attempt to load it fails differently.</summary>
    private static TempDir FakeRun(string space = "elasticvit-fmnist")
    {
        var dir = new TempDir();
        new RunDirectory(dir.File("run")).Initialise(new TrainOptions { Space = space });
        File.WriteAllText(dir.File("run", "checkpoint.ckpt"), "not loaded");
        return dir;
    }

    [Fact]
    public void InfeasibleBudget_FailsAtOnce_WithOneLineNamingTheBudgetAndTheSmallestValue()
    {
        using var dir = FakeRun();
        var (code, _, error) = ConsoleCapture.Run("search", "--run", dir.File("run"), "--budget", "flops:20", "--budget", "flops:1");
        Assert.Equal(CliHost.Failure, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: budget flops:1 cannot be met in elasticvit-fmnist", line);
        Assert.Contains("smallest achievable flops is 3.9", line);
    }

    [Fact]
    public void InfeasibleLatencyBudget_FailsAtOnce_AndLoadsEachTableOnce()
    {
        using var dir = FakeRun();
        var lut = dir.File("dev.json");
        LatencyTestData.RandomTable(TestSpaces.Fmnist, seed: 1).Save(lut);
        var (code, _, error) = ConsoleCapture.Run("search", "--run", dir.File("run"), "--budget", $"latency:{lut}:1000,flops:30", "--budget", $"latency:{lut}:0.01");
        Assert.Equal(CliHost.Failure, code);
        Assert.Matches($"^error: budget latency:{System.Text.RegularExpressions.Regex.Escape(lut)}:0.01 cannot be met .* smallest achievable latency:.* is [0-9.]+ ms", error.Trim());

        var luts = new LutLoader(TestSpaces.Fmnist);
        Assert.Same(luts.Load(lut), luts.Load(Path.GetRelativePath(Environment.CurrentDirectory, lut)));
        Assert.Single(luts.Loaded);
    }

    [Theory]
    [InlineData("flops")]
    [InlineData("flops:-3")]
    [InlineData("speed:3")]
    [InlineData("flops:20,")]
    [InlineData("latency:2")]
    public void MalformedBudget_IsAUsageError(string budget)
    {
        using var dir = FakeRun();
        var (code, _, error) = ConsoleCapture.Run("search", "--run", dir.File("run"), "--budget", budget);
        Assert.Equal(CliHost.UsageError, code);
        Assert.StartsWith("error: --budget: budget", Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void LatencyTableMissingLayers_IsRefusedBeforeTheSearch()
    {
        using var dir = FakeRun();
        var table = LatencyTestData.RandomTable(TestSpaces.Fmnist, seed: 1);
        var lut = dir.File("partial.json");
        (table with { Entries = table.Entries.Skip(1).ToDictionary() }).Save(lut);
        var (code, _, error) = ConsoleCapture.Run("search", "--run", dir.File("run"), "--budget", $"latency:{lut}:5");
        Assert.Equal(CliHost.Failure, code);
        Assert.Contains("has no entry for 1 layer shapes of elasticvit-fmnist", error);
    }

    [Fact]
    public void Search_EndToEnd_WritesTheDocumentedReportAndPlots()
    {
        using var dir = new TempDir();
        var output = dir.File("out", "search.json");
        var lut = dir.File("tiny-lut.json");
        LatencyTestData.RandomTable(TestSpaces.Tiny, seed: 2).Save(lut);
        var (code, stdout, error) = ConsoleCapture.Run("search", "--run", tiny.Path, "--budget", "flops:3", "--budget", $"latency:{lut}:8,params:0.08",
            "--population", "8", "--generations", "2", "--fitness-images", "5", "--calibration-batches", "2", "--threads", "1", "--out", output);
        Assert.True(code == 0, error);

        var report = JsonNode.Parse(File.ReadAllText(output))!.AsObject();
        Assert.Equal(SearchOutput.Format, (string?)report["format"]);
        Assert.Equal(["format", "run", "space", "created_at", "settings", "metrics", "alternatives", "totals", "pareto_front", "plots", "evaluated"],
            report.Select(kv => kv.Key));
        Assert.Equal(50, (int)report["settings"]!["fitness_images"]!);
        Assert.Equal(["flops", "params", $"latency:{lut}"], report["metrics"]!.AsArray().Select(m => (string)m!["name"]!));

        var evaluated = report["evaluated"]!.AsArray();
        Assert.Equal((int)report["totals"]!["evaluations"]!, evaluated.Count);
        foreach (var e in evaluated)
        {
            Assert.InRange((double)e!["fitness"]!, 0, 1);
            Assert.True((double)e["latency_ms"]![lut]! > 0);
        }

        var alternatives = report["alternatives"]!.AsArray();
        Assert.Equal(["flops:3", $"latency:{lut}:8,params:0.08"], alternatives.Select(a => (string)a!["budget"]!));
        foreach (var a in alternatives)
        {
            var w = a!["winner"]!;
            Assert.Equal(["key", "fitness", "flops_m", "params_m", "latency_ms", "heldout_top1", "test_top1", "arch"], w.AsObject().Select(kv => kv.Key));
            Assert.InRange((double)w["heldout_top1"]!, 0, 1);
            Assert.InRange((double)w["test_top1"]!, 0, 1);
            Assert.Contains(evaluated, e => (string)e!["key"]! == (string)w["key"]!);
            var stats = a["stats"]!;
            Assert.Equal(["evaluations", "cache_hits", "rejections", "duplicates", "seconds", "best_per_generation", "predictor_spearman", "predictor_spearman_per_generation"],
                stats.AsObject().Select(kv => kv.Key));
            Assert.Equal(3, stats["best_per_generation"]!.AsArray().Count);
        }
        Assert.True((double)alternatives[0]!["winner"]!["flops_m"]! <= 3);
        Assert.True((double)alternatives[1]!["winner"]!["params_m"]! <= 0.08);
        Assert.True((double)alternatives[1]!["winner"]!["latency_ms"]![lut]! <= 8);
        Assert.NotEmpty(report["pareto_front"]!["subnets"]!.AsArray());

        Assert.Equal(["search-pareto-flops.png", "search-pareto-params.png", "search-pareto-latency-tiny-lut.png"],
            report["plots"]!.AsArray().Select(p => (string)p!));
        foreach (var png in report["plots"]!.AsArray())
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, File.ReadAllBytes(dir.File("out", (string)png!))[..4]);
        Assert.Empty(Directory.GetFiles(dir.File("out"), "*.tmp"));
    }

    [Fact]
    public void KneeBudgets_PlacesTheBudgetsFromAPilot_AndReportsIt()
    {
        using var dir = new TempDir();
        var output = dir.File("out", "search.json");
        var lut = dir.File("tiny-lut.json");
        LatencyTestData.RandomTable(TestSpaces.Tiny, seed: 2).Save(lut);
        var (code, _, error) = ConsoleCapture.Run("search", "--run", tiny.Path, "--knee-budgets", $"latency:{lut}", "--knee-count", "2", "--knee-tolerance", "1",
            "--population", "8", "--generations", "1", "--fitness-images", "5", "--calibration-batches", "2", "--threads", "1", "--out", output);
        Assert.True(code == 0, error);
        Assert.Contains($"budgets ", error);

        var report = JsonNode.Parse(File.ReadAllText(output))!.AsObject();
        Assert.Equal(["format", "run", "space", "created_at", "settings", "knee_budgets", "metrics", "alternatives", "totals", "pareto_front", "plots", "evaluated"],
            report.Select(kv => kv.Key));
        var knee = report["knee_budgets"]!;
        Assert.Equal($"latency:{lut}", (string?)knee["metric"]);
        Assert.Equal(0.01, (double)knee["tolerance"]!);
        var limits = knee["limits"]!.AsArray().Select(l => (double)l!).ToList();
        Assert.Equal(2, limits.Count);
        Assert.True(limits[0] >= (double)knee["min_cost"]! && limits[1] > limits[0] && limits[1] <= (double)knee["max_cost"]!, string.Join(", ", limits));

        // The pilot's scores are in the search's cache: reported among the evaluated subnets, with the same fitness.
        var evaluated = report["evaluated"]!.AsArray().ToDictionary(e => (string)e!["key"]!, e => (double)e!["fitness"]!);
        var pilot = knee["pilot"]!.AsArray();
        Assert.True(pilot.Count >= 10, $"pilot of {pilot.Count}");
        foreach (var p in pilot) Assert.Equal(evaluated[(string)p!["key"]!], (double)p["fitness"]!);
        Assert.Equal(evaluated.Count, (int)report["totals"]!["evaluations"]! + pilot.Count);

        var alternatives = report["alternatives"]!.AsArray();
        Assert.Equal(limits.Select(l => FormattableString.Invariant($"latency:{lut}:{l:G6}")), alternatives.Select(a => (string)a!["budget"]!));
        foreach (var (a, limit) in alternatives.Zip(limits))
            Assert.True((double)a!["winner"]!["latency_ms"]![lut]! <= limit + 1e-4);
    }

    [Theory]
    [InlineData("--budget", "flops:3", "--knee-budgets", "flops")]
    [InlineData("--population", "8")]
    public void KneeBudgets_AndBudgets_AreEitherOr(params string[] args)
    {
        using var dir = FakeRun();
        var (code, _, error) = ConsoleCapture.Run(["search", "--run", dir.File("run"), .. args]);
        Assert.Equal(CliHost.UsageError, code);
        Assert.Equal("error: search needs either --budget (one or more) or --knee-budgets, not both", error.Split('\n')[0].Trim());
    }

    [Theory]
    [InlineData("speed", "--knee-budgets: 'speed' is not flops, params or latency:LUT_FILE")]
    [InlineData("latency", "--knee-budgets: 'latency' is not flops, params or latency:LUT_FILE")]
    public void KneeBudgets_OnAnUnknownCost_IsAUsageError(string metric, string expected)
    {
        using var dir = FakeRun();
        var (code, _, error) = ConsoleCapture.Run("search", "--run", dir.File("run"), "--knee-budgets", metric);
        Assert.Equal(CliHost.UsageError, code);
        Assert.StartsWith($"error: {expected}", error.Trim());
    }

    [Theory]
    [InlineData("latency:/some/where/pixel7.json:2.5", "pixel7 ≤ 2.5 ms")]
    [InlineData("flops:20,latency:lut.json:1.25", "flops ≤ 20, lut ≤ 1.25 ms")]
    [InlineData("params:1.5", "params ≤ 1.5")]
    public void ShortBudget_NamesTheTableByFileAndKeepsTheLimit(string budget, string expected) =>
        Assert.Equal(expected, SearchCommands.ShortBudget(budget));
}
