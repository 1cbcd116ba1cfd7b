using ElasticVit.IO;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElasticVit.Cli.Reporting;
using ElasticVit.Data;
using ElasticVit.Export;
using ElasticVit.Latency;
using ElasticVit.Latency.Profiling;
using ElasticVit.Search;
using ElasticVit.Spaces;
using ElasticVit.Training;
using Spectre.Console;

namespace ElasticVit.Cli.Commands;

/// <summary>
/// <c>quickstart</c>: the whole pipeline on Fashion-MNIST — train a supernet of --space with cas-pas, profile an ort-cpu
/// latency table, search under three latency budgets, export the winners to ONNX, check them in ONNX Runtime and write a
/// report. Every stage leaves its output in --out and is skipped when that output exists, so an interrupted quickstart
/// resumes where it stopped.
/// </summary>
public static class QuickstartCommand
{
    /// <summary>
    /// The default space: the fmnist space up to T1. Cutting T3 and T4 gained 5 points in the same minutes at a third to a
    /// half of the latency (session 11); cutting T2 as well takes 29 % off the min subnet's deployed latency, and the
    /// search fronts reach lower latencies at the same or higher accuracy (bench/results/quality.md, session 31).
    /// </summary>
    private const string DefaultSpace = "elasticvit-fmnist-t1";
    /// <summary>The timing statistic of the quickstart's table, its validation and the winners' measurements.</summary>
    private const double Quantile = 0.1;

    /// <summary>Each winner's measurement: this many interleaved rounds, at least this many ms of timed runs in all.</summary>
    private const int WinnerRounds = 32;
    private const double WinnerTimingMs = 1500;

    public static IEnumerable<CommandSpec> All =>
    [
        new("quickstart", "end-to-end search on Fashion-MNIST: train, profile latency, search 3 budgets, export to ONNX, report", [
            new("out", "output directory (run again with the same --out to resume)", "DIR", "runs/quickstart"),
            new("space", "search space: a built-in name or a space JSON file for 1×28×28 inputs and 10 classes", "S", DefaultSpace),
            new("total-minutes", "time budget of the whole quickstart in minutes, counted from the command's start (the launcher's setup and build included): training gets what the other stages, planned from this machine's measured pace, leave (a thirtieth is kept in reserve)", "M", "15"),
            new("minutes", "training budget in minutes instead (the other stages then add their planned time)", "M"),
            new("threads", "CPU threads for training and search", "T", "2"),
            new("seed", "random seed", "S", "0"),
        ], Run),
    ];

    private static int Run(ParsedArgs a)
    {
        var dir = Path.GetFullPath(a.OutputPath("out", folder: true)!);
        if (a.Has("minutes") && a.Has("total-minutes")) throw new UsageException("give --minutes (training) or --total-minutes (the whole quickstart), not both");
        double? trainMinutes = a.Has("minutes") ? PositiveMinutes(a, "minutes") : null;
        double? totalMinutes = trainMinutes is null ? PositiveMinutes(a, "total-minutes") : null;
        Directory.CreateDirectory(dir);
        var log = new CommandLog(Path.Combine(dir, CommandsFile));
        var threads = a.Int("threads", 1, 256);
        var seed = a.Int("seed", 0);
        var requestedSpace = SpaceArgument(a.RequiredString("space"));
        var earlier = QuickstartTimePlan.Load(dir);
        var spaceName = earlier?.Space ?? requestedSpace;
        if (spaceName != requestedSpace) Console.Error.WriteLine($"note: resuming {dir} with the space it started with, {spaceName}; --space {requestedSpace} applies to a new --out");
        var space = SpaceLoader.Load(spaceName);   // a bad --space fails here, before any stage
        if (space.DataMismatch(FashionMnist.Channels, FashionMnist.ClassNames.Count) is string mismatch)
            throw new UsageException($"--space: the quickstart trains on Fashion-MNIST; {mismatch}; use 'train --data' for other datasets");
        var plan = earlier ?? NewPlan(dir, spaceName, space, trainMinutes, totalMinutes, threads, seed);
        AnsiConsole.MarkupLine(Markup.Escape(plan.Describe()));
        var run = Path.Combine(dir, "supernet");
        var lut = Path.Combine(dir, "lut-ort-cpu-1t.json");
        var search = Path.Combine(dir, "search.json");

        Stage(plan, "training", "1/5 train the supernet (cas-pas)", File.Exists(Path.Combine(run, "summary.json")), () =>
        {
            var runDirectory = new RunDirectory(run);
            var resume = runDirectory.HasCheckpoint;
            var options = resume ? runDirectory.LoadOptions() : new TrainOptions
            {
                Space = spaceName, Sampler = "cas-pas", Minutes = plan.TrainMinutes, Seed = seed,
                Threads = threads, CheckpointEvery = 50, ProbeEvery = 200,   // a probe costs about four steps
            };
            // The command line that does the same: the train command takes its defaults from the record.
            log.Append(resume
                ? ["train", "--out", run, "--resume"]
                : ["train", "--space", options.Space, "--sampler", options.Sampler, "--minutes", OptionSpec.Text(options.Minutes), "--seed", OptionSpec.Text(options.Seed), "--threads", OptionSpec.Text(options.Threads),
                    "--checkpoint-every", OptionSpec.Text(options.CheckpointEvery), "--probe-every", OptionSpec.Text(options.ProbeEvery), "--out", run]);
            log.Check("train", TrainCommands.Train(options, runDirectory, resume));
        });
        Stage(plan, "latency table", "2/5 profile the ort-cpu latency table (1 thread)", IsCompleteTable(lut, space), () =>
        {
            // 100 ms of timed runs per layer instead of 500: the whole table in under a minute on this project's machines, at
            // about the accuracy of 200 ms (80 % of 40 subnets within ±10 % either way, MAPE 6.4 against 5.3 %; latency.md).
            // The 10th percentile instead of the median: a busy machine only ever adds time, and p10 repeats far better
            // there (bench/results/latency.md); validation and the winners' measurements use the same statistic.
            const int minMs = 100, calibration = 30;
            log.Append("latency", "profile", "--space", spaceName, "--device", "ort-cpu", "--threads", "1", "--min-ms", $"{minMs}", "--quantile", OptionSpec.Text(Quantile),
                "--calibration", $"{calibration}", "--out", lut);
            var protocol = TimingProtocol.WholeModel(1, Quantile) with { MinTotalMs = minMs };
            LatencyCommands.Profile(space, "ort-cpu", 1, protocol, new TableProfileRequest(lut, Calibration: calibration));
        });
        var validation = Path.Combine(dir, "latency-validation.json");
        Stage(plan, "latency validation", "2/5 validate the latency table on 30 random subnets", File.Exists(validation), () =>
            ValidateTable(log, spaceName, space, lut, seed, validation, Path.Combine(dir, "latency-validation.png")));
        Stage(plan, "search", $"3/5 search under {KneeBudgetCount} latency budgets placed where accuracy still rises with latency", File.Exists(search), () =>
        {
            var fitness = SearchFitness(threads);
            var knee = new SearchCommands.KneeRequest($"latency:{lut}", new KneeOptions(Count: KneeBudgetCount));
            log.Append(["search", "--run", run, "--knee-budgets", knee.Metric, "--knee-count", $"{KneeBudgetCount}", "--out", search, "--seed", OptionSpec.Text(seed), "--threads", OptionSpec.Text(threads),
                "--population", $"{SearchPopulation}", "--generations", $"{SearchGenerations}", "--fitness-images", $"{fitness.ImagesPerClass}"]);
            // The search command takes its defaults from the same records, so these settings are the logged command line's.
            var evolution = SearchCommands.Defaults with { Seed = seed, Population = SearchPopulation, Generations = SearchGenerations };
            log.Check("search", SearchCommands.Search(new SearchCommands.Settings(run, [], search, evolution, fitness, knee)));
        });
        var results = Path.Combine(dir, "results.json");
        Stage(plan, "export and checks", "4/5 export the winners to ONNX and check them in ONNX Runtime", File.Exists(results), () => ExportWinners(log, spaceName, dir, run, search, lut, results));
        Stage(plan, "report", "5/5 write the report", false, () => QuickstartReport.Write(dir));

        PrintTable(JsonNode.Parse(File.ReadAllText(results))!.AsArray(), JsonNode.Parse(File.ReadAllText(search))!);
        plan.PrintComparison();
        AnsiConsole.MarkupLine($"report: [bold]{Markup.Escape(Path.Combine(dir, "report.html"))}[/] (this session: {ProgressBar.Format(SinceCommandStart())} since the command started)");
        return 0;
    }

    // Three budgets share one fitness cache; a smaller evolution each keeps the stage to a few minutes, and its fourth
    // generation went to training instead (steps bought more than the search's last generation). Fitness on 3,000
    // held-out images instead of 1,000: on a front as flat as minutes of training leave it, 1,000 images let the luckiest
    // subnet win (a winner scored 90.3 % on them and 87.9 % on all 5,000; bench/results/quality.md).
    private const int SearchPopulation = 24, SearchGenerations = 3;

    /// <summary>
    /// Budgets at 25/50/75 % of the predicted latency range all fell where minutes of training leave the front flat
    /// (sessions 23–24: held-out 91.26 / 91.08 / 91.18 %); placed by a pilot from the min subnet to the knee instead
    /// (<see cref="KneeBudgets"/>), they span the part of the front where a slower subnet is more accurate.
    /// </summary>
    private const int KneeBudgetCount = 3;
    private static FitnessOptions SearchFitness(int threads) => new() { Workers = threads, ImagesPerClass = 300 };

    private static double PositiveMinutes(ParsedArgs a, string name) =>
        a.Double(name) is double m && m > 0 && double.IsFinite(m) ? m : throw new UsageException($"--{name} must be > 0");

    /// <summary>A first session's plan: the search's pace timed here and now, then the training's share of the budget.</summary>
    private static QuickstartTimePlan NewPlan(string dir, string spaceName, SearchSpace space, double? trainMinutes, double? totalMinutes, int threads, int seed)
    {
        var startup = SinceCommandStart();
        AnsiConsole.MarkupLine(Markup.Escape($"timing the search's work on this machine ({SearchPace.Evaluations(threads)} fitness evaluations of random subnets)"));
        var clock = Stopwatch.StartNew();
        var data = RunData.Load(DatasetKind.FashionMnist, null, new TrainOptions().HeldOutPerClass, seed);
        var pace = SearchPace.Measure(space, data, SearchFitness(threads));
        return QuickstartTimePlan.Create(dir, spaceName, trainMinutes, totalMinutes, pace, clock.Elapsed.TotalSeconds, startup.TotalSeconds);
    }

    /// <summary>
    /// Time since the command started: the launcher execs the CLI in its own process, which keeps the launcher's start
    /// time, so this includes the setup and the build that ran first. Zero where the system does not say.
    /// </summary>
    private static TimeSpan SinceCommandStart()
    {
        try { return DateTime.Now - Process.GetCurrentProcess().StartTime; }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception) { return TimeSpan.Zero; }
    }

    /// <summary>A space file by its full path, so that a resume from another directory finds it; built-in names as they are.</summary>
    private static string SpaceArgument(string nameOrPath) =>
        SpaceLoader.BuiltInNames.Contains(nameOrPath) || !File.Exists(nameOrPath) ? nameOrPath : Path.GetFullPath(nameOrPath);

    private static void Stage(QuickstartTimePlan plan, string stage, string title, bool done, Action action)
    {
        if (done)
        {
            AnsiConsole.MarkupLine($"[grey]{Markup.Escape(title)}: done already[/]");
            return;
        }
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(title)}[/]");
        var clock = Stopwatch.StartNew();
        action();
        plan.Record(stage, clock.Elapsed.TotalSeconds);
    }

    /// <summary>File every command the quickstart runs is appended to (the report lists them as the commands to reproduce).</summary>
    public const string CommandsFile = "commands.txt";

    /// <summary>The stages as the command lines that do the same (the quickstart itself calls the library).</summary>
    private sealed class CommandLog(string path)
    {
        public void Append(params string[] args) =>
            File.AppendAllText(path, "./elasticvit " + string.Join(' ', args.Select(a => a.Contains(' ') ? $"'{a}'" : a)) + "\n");

        /// <summary>A stage's exit code: anything but 0 stops the quickstart, which resumes when run again.</summary>
        public void Check(string command, int code)
        {
            if (code == TrainCommands.InterruptedExitCode) throw new QuickstartException($"'{command}' was interrupted; run quickstart again with the same --out to resume");
            if (code != 0) throw new QuickstartException($"'{command}' failed (exit code {code}); fix the cause and run quickstart again with the same --out to resume");
        }
    }

    /// <summary>
    /// The table against 30 random subnets measured now: its JSON report and the scatter plot; then the table refitted on
    /// both timings of its calibration subnets, the profile's and these (a shared host's speed moves within minutes, and
    /// the search's budgets and the winners' predictions come from this table).
    /// </summary>
    private static void ValidateTable(CommandLog log, string spaceName, SearchSpace space, string lut, int seed, string output, string plot)
    {
        log.Append("latency", "validate", "--lut", lut, "--space", spaceName, "--samples", "30", "--seed", OptionSpec.Text(seed), "--plot", plot, "--recalibrate", "--json");
        var table = LatencyTable.Load(lut);
        var run = LatencyValidation.Run(table, space, 30, seed, progress: ProgressBar.ForPhases("validation"));
        ValidationPlot.Write(plot, run, table, space);
        if (run.FlopsBeatsTable) Console.Error.WriteLine($"warning: {run.Verdict}");
        LatencyCommands.SaveRecalibrated(run, table);
        if (run.Reports.FirstOrDefault(r => r.Predictor == "pooled") is { } pooled)
            Console.Error.WriteLine($"the recalibrated table on the 30 validation subnets: {pooled.Within10:P0} within ±10 % (MAPE {pooled.MapePercent:F1} %)");
        AtomicFile.WriteAllText(output, run.ToJson());   // last: its presence marks the stage done
    }

    private static bool IsCompleteTable(string lut, SearchSpace space)
    {
        if (!File.Exists(lut)) return false;
        // Complete means calibrated: a profile stopped while timing its later layer rounds or its calibration subnets has every key.
        try { return LatencyTable.Load(lut) is var table && table.MissingKeys(space).Count == 0 && table.CalibrationSubnets.Count > 0; }
        catch (LatencyException) { return false; }
    }

    private static void ExportWinners(CommandLog log, string spaceName, string dir, string run, string search, string lut, string results)
    {
        var report = JsonNode.Parse(File.ReadAllText(search))!.AsObject();
        using var trained = TrainedRun.Open(run);
        var space = trained.Space;
        var table = LatencyTable.Load(lut);
        var predictor = new LookupTablePredictor(table, space);
        var rows = new JsonArray();
        // Budgets often share a winner: each subnet is exported and checked once, its files copied for the other budgets.
        var alternatives = report["alternatives"]!.AsArray().Select(a => a!).ToArray();
        var keys = alternatives.Select(a => (string)a["winner"]!["key"]!).ToArray();
        var distinct = keys.Distinct(StringComparer.Ordinal).ToArray();
        string Onnx(int budget) => Path.Combine(dir, "winners", $"budget{budget + 1}.onnx");
        string FirstOnnx(string key) => Onnx(Array.IndexOf(keys, key));
        var checks = distinct.ToDictionary(k => k, k => ExportAndCheck(log, trained, space.Resolve(k), FirstOnnx(k)));
        for (var i = 0; i < keys.Length; i++)
        {
            if (Onnx(i) == FirstOnnx(keys[i])) continue;
            AtomicFile.WriteAllBytes(Onnx(i), File.ReadAllBytes(FirstOnnx(keys[i])));
            AtomicFile.WriteAllBytes(Path.ChangeExtension(Onnx(i), ".ckpt"), File.ReadAllBytes(Path.ChangeExtension(FirstOnnx(keys[i]), ".ckpt")));
        }
        var measured = distinct.Zip(MeasureWinners(log, spaceName, distinct.Select(space.Resolve).ToArray())).ToDictionary();
        for (var i = 0; i < keys.Length; i++)
        {
            var (winner, key) = (alternatives[i]["winner"]!, keys[i]);
            var (check, each) = (checks[key], measured[key]);
            rows.Add(new JsonObject
            {
                ["budget"] = (string)alternatives[i]["budget"]!,
                ["key"] = key,
                ["flops_m"] = (double)winner["flops_m"]!,
                ["params_m"] = (double)winner["params_m"]!,
                ["predicted_ms"] = Math.Round(predictor.PredictMs(Subnet.Parse(key, space)), 4),
                ["measured_ms"] = each.Min(),
                ["measured_ms_each"] = new JsonArray(each.Select(m => (JsonNode)m).ToArray()),
                ["heldout_top1"] = (double?)winner["heldout_top1"],
                ["test_top1_onnxruntime"] = check.OnnxRuntimeTop1,
                ["test_top1_torchsharp"] = check.TorchSharpTop1,
                ["onnx"] = Path.GetRelativePath(dir, Onnx(i)),
            });
        }
        AtomicFile.WriteAllText(results, rows.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private sealed record WinnerCheck(double OnnxRuntimeTop1, double TorchSharpTop1);

    /// <summary>What <c>export --check-test</c> does: the winner with inherited, recalibrated weights to ONNX and a checkpoint, then its test top-1 in both runtimes.</summary>
    private static WinnerCheck ExportAndCheck(CommandLog log, TrainedRun run, Subnet subnet, string onnx)
    {
        var checkpoint = Path.ChangeExtension(onnx, ".ckpt");
        log.Append("export", "--run", run.Directory.Path, "--arch", subnet.Key, "--out", onnx, "--checkpoint-out", checkpoint, "--check-test", "--json");
        var (model, info) = run.Extract(subnet, ExportCommands.DefaultCalibrationBatches);
        using (model)
        {
            DeploymentPipeline.Export(model, info, onnx, checkpoint);
            using var ort = OnnxClassifier.Load(onnx, threads: 1);
            return new WinnerCheck(OnnxAccuracy.Measure(ort, run.Data.Test), StaticAccuracy.Measure(model, run.Data.Test, run.Data.Normalization));
        }
    }

    /// <summary>
    /// <c>latency measure</c> of the winners, run as its own process (<see cref="OwnCommand"/>): ONNX Runtime, 1 thread, the
    /// table's statistic, all winners in interleaved rounds, twice; each winner's milliseconds of both measurements. Over
    /// several seconds per winner, so a slow stretch of a shared host meets every winner's rounds alike and leaves some of
    /// them untouched: timed right after its own check for half a second, one winner measured 0.97 and 1.08 ms that its
    /// ONNX file runs in 0.62 (session 15).
    /// </summary>
    private static double[][] MeasureWinners(CommandLog log, string spaceName, IReadOnlyList<Subnet> winners)
    {
        const int sessions = 2;
        string[] command = ["latency", "measure", "--device", "ort-cpu", "--threads", "1", "--quantile", OptionSpec.Text(Quantile), "--space", spaceName,
            .. winners.SelectMany(w => new[] { "--arch", w.Key }), "--passes", OptionSpec.Text(WinnerRounds), "--min-ms", OptionSpec.Text(WinnerTimingMs), "--json"];
        var perSession = Enumerable.Range(0, sessions).Select(_ =>
        {
            log.Append(command);
            return MeasuredMs(OwnCommand.Run(command, TimeSpan.FromMinutes(10)), winners);
        }).ToArray();
        return winners.Select((_, w) => perSession.Select(s => s[w]).ToArray()).ToArray();
    }

    /// <summary>The milliseconds of <paramref name="subnets"/> in <c>latency measure --json</c>'s output (an object for one subnet, else an array in their order).</summary>
    public static double[] MeasuredMs(string json, IReadOnlyList<Subnet> subnets)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(json); }
        catch (JsonException e) { throw new QuickstartException($"latency measure printed no JSON: {e.Message}"); }
        var items = node is JsonArray array ? array.ToArray() : [node];
        var keys = items.Select(i => (string?)i?["key"]).ToArray();
        if (!keys.SequenceEqual(subnets.Select(s => s.Key)))
            throw new QuickstartException($"latency measure reported {string.Join(", ", keys)} instead of {string.Join(", ", subnets.Select(s => s.Key))}");
        return items.Select(i => (double)i!["latency_ms"]!).ToArray();
    }

    private static void PrintTable(JsonArray rows, JsonNode search)
    {
        // Keys are long: they go under the table, so the table stays readable in an 80-column terminal.
        var table = new Table().AddColumns("#", "latency budget", "FLOPs (M)", "params (M)", "predicted ms", "measured ms", "held-out top-1", "test top-1 (ORT)");
        foreach (var (r, i) in rows.Select((r, i) => (r!, i + 1)))
            table.AddRow($"{i}", $"≤ {double.Parse(((string)r["budget"]!).Split(':')[^1], CultureInfo.InvariantCulture):F3} ms", $"{(double)r["flops_m"]!:F2}", $"{(double)r["params_m"]!:F3}",
                $"{(double)r["predicted_ms"]!:F3}", $"{(double)r["measured_ms"]!:F3}", $"{(double?)r["heldout_top1"] ?? double.NaN:P2}", $"{(double)r["test_top1_onnxruntime"]!:P2}");
        AnsiConsole.Write(table);
        foreach (var (r, i) in rows.Select((r, i) => (r!, i + 1))) Console.WriteLine($"winner {i}: {(string)r["key"]!}  ({(string)r["onnx"]!})");
        foreach (var note in QuickstartReport.SharedWinnerNotes(rows, search)) Console.WriteLine($"note: {note}");
    }

}

/// <summary>A quickstart stage failed; the message says how to resume.</summary>
public sealed class QuickstartException(string message) : UserError(message)
{
    /// <summary>What reading a quickstart file that was cut short or edited by hand throws: a field missing or of the wrong kind.</summary>
    public static bool IsDamagedFile(Exception e) =>
        e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException or NullReferenceException or InvalidCastException;

    /// <summary>Such an exception in a few words for a one-line error.</summary>
    public static string Describe(Exception e) => e is NullReferenceException or KeyNotFoundException ? "a field is missing" : e.Message;
}
