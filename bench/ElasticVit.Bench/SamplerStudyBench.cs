using ElasticVit.IO;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElasticVit.Data;
using ElasticVit.Sampling;
using ElasticVit.Spaces;
using ElasticVit.Training;

namespace ElasticVit.Bench;

/// <summary>
/// Evaluates the supernets of a sampler study (bench/sampler-study/run.sh) on one fixed set of subnets — every level's
/// min subnet plus <c>--per-level</c> random subnets per level, drawn once with a fixed seed, identical for every run —
/// with BN recalibration, held-out and test top-1; summarises the gradient-cosine probes and final losses of
/// metrics.jsonl; prints markdown tables, writes OUT_DIR/results.json and OUT_DIR/accuracy-vs-flops.png.
/// Evaluations are cached per run (RUN/study-eval.json, written after every subnet), so an interrupted evaluation resumes.
/// </summary>
public static class SamplerStudyBench
{
    public const long FixedSetSeed = 20_240_607;
    public const string EvalFile = "study-eval.json";
    private static readonly string[] SamplerOrder = ["uniform", "sandwich", "cas", "cas-pas"];

    /// <summary>One subnet of the fixed set; <see cref="Role"/> is "min" (the level's min subnet) or "random".</summary>
    public sealed record FixedSubnet(int LevelIndex, double LevelFlopsM, string Role, Subnet Subnet, double FlopsM);

    /// <summary>The fixed evaluation set: per level its min subnet, then <paramref name="perLevel"/> draws at the level (one generator, levels in order).</summary>
    public static List<FixedSubnet> FixedSet(SearchSpace space, int perLevel, long seed = FixedSetSeed)
    {
        var rng = new SeededRandom(seed);
        var set = new List<FixedSubnet>();
        for (var i = 0; i < space.Levels.Count; i++)
        {
            var level = space.Levels[i];
            set.Add(new FixedSubnet(i, level.FlopsM, "min", level.MinSubnet, Complexity.FlopsM(space, level.MinSubnet)));
            var sampler = new LevelSampler(space, level.FlopsM, level.MinSubnet);
            for (var k = 0; k < perLevel; k++)
            {
                var s = sampler.Draw(rng);
                set.Add(new FixedSubnet(i, level.FlopsM, "random", s, Complexity.FlopsM(space, s)));
            }
        }
        return set;
    }

    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("usage: sampler-study OUT_DIR [--per-level 3] [--calibration-batches 16] [--heldout-limit 2000] [--test-limit 5000] [--threads 1] [--only RUN,RUN] [--no-eval]");
            return 2;
        }
        var outDir = args[0];
        var perLevel = int.Parse(BenchArgs.Option(args, "--per-level") ?? "3", CultureInfo.InvariantCulture);
        var calibration = int.Parse(BenchArgs.Option(args, "--calibration-batches") ?? "16", CultureInfo.InvariantCulture);
        var threads = int.Parse(BenchArgs.Option(args, "--threads") ?? "1", CultureInfo.InvariantCulture);
        var settings = new EvalSettings(perLevel, calibration,
            int.Parse(BenchArgs.Option(args, "--heldout-limit") ?? "2000", CultureInfo.InvariantCulture),
            int.Parse(BenchArgs.Option(args, "--test-limit") ?? "5000", CultureInfo.InvariantCulture));
        var evaluate = !args.Contains("--no-eval");

        var only = BenchArgs.Option(args, "--only")?.Split(',');
        var runDirs = Directory.GetDirectories(outDir).Where(d => File.Exists(Path.Combine(d, "summary.json")))
            .Where(d => only is null || only.Contains(Path.GetFileName(d))).Order(StringComparer.Ordinal).ToList();
        if (runDirs.Count == 0)
        {
            Console.Error.WriteLine($"error: no completed run (a directory with summary.json) in {outDir}");
            return 1;
        }
        var runs = new List<RunResult>();
        foreach (var dir in runDirs)
        {
            var options = new RunDirectory(dir).LoadOptions();
            var space = SpaceLoader.Load(options.Space);
            var set = FixedSet(space, perLevel);
            var cache = LoadCache(dir, settings);
            if (evaluate) EvaluateMissing(dir, set, cache, settings, threads);
            runs.Add(new RunResult(Path.GetFileName(dir), options, set, cache.Results, Metrics.Read(new RunDirectory(dir))));
        }

        var report = Report(runs, settings);
        Console.Write(report);
        File.WriteAllText(Path.Combine(outDir, "results.json"), ResultsJson(runs, settings).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var png = Path.Combine(outDir, "accuracy-vs-flops.png");
        Plot(runs, png);
        Console.Error.WriteLine($"wrote {Path.Combine(outDir, "results.json")} and {png}");
        return 0;
    }

    // ---------------------------------------------------------------- evaluation (cached per run)

    public sealed record SubnetResult(double HeldOut, double Test, double Seconds);

    /// <summary>
    /// How subnets are evaluated. Held-out and test accuracy are measured on evenly strided subsets of at most
    /// <see cref="HeldOutLimit"/> / <see cref="TestLimit"/> images (0: all) to fit the study's time budget.
    /// </summary>
    public sealed record EvalSettings(int PerLevel, int CalibrationBatches, int HeldOutLimit, int TestLimit)
    {
        public JsonObject ToJson() => new()
        {
            ["fixed_set_seed"] = FixedSetSeed, ["per_level"] = PerLevel, ["calibration_batches"] = CalibrationBatches,
            ["heldout_limit"] = HeldOutLimit, ["test_limit"] = TestLimit,
        };

        public static LabeledImages Strided(LabeledImages images, int limit)
        {
            if (limit <= 0 || limit >= images.Count) return images;
            return images.Subset(Enumerable.Range(0, limit).Select(i => (int)((long)i * images.Count / limit)).ToArray());
        }
    }

    private sealed record EvalCache(Dictionary<string, SubnetResult> Results);

    private static EvalCache LoadCache(string dir, EvalSettings settings)
    {
        var path = Path.Combine(dir, EvalFile);
        var results = new Dictionary<string, SubnetResult>(StringComparer.Ordinal);
        if (!File.Exists(path)) return new EvalCache(results);
        var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var checkpointTime = File.GetLastWriteTimeUtc(Path.Combine(dir, "checkpoint.ckpt")).ToString("O");
        if (!JsonNode.DeepEquals(o["settings"], settings.ToJson()) || (string?)o["checkpoint_time"] != checkpointTime)
        {
            Console.Error.WriteLine($"{path}: written for other settings or another checkpoint; evaluating again");
            return new EvalCache(results);
        }
        foreach (var (key, v) in o["subnets"]!.AsObject())
            results[key] = new SubnetResult((double)v!["heldout"]!, (double)v["test"]!, (double)v["seconds"]!);
        return new EvalCache(results);
    }

    private static void SaveCache(string dir, EvalCache cache, EvalSettings settings)
    {
        var o = new JsonObject
        {
            ["settings"] = settings.ToJson(),
            ["checkpoint_time"] = File.GetLastWriteTimeUtc(Path.Combine(dir, "checkpoint.ckpt")).ToString("O"),
            ["subnets"] = new JsonObject(cache.Results.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonObject
            {
                ["heldout"] = kv.Value.HeldOut, ["test"] = kv.Value.Test, ["seconds"] = Math.Round(kv.Value.Seconds, 1),
            }))),
        };
        AtomicFile.WriteAllText(Path.Combine(dir, EvalFile), o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static void EvaluateMissing(string dir, List<FixedSubnet> set, EvalCache cache, EvalSettings settings, int threads)
    {
        var missing = set.Select(f => f.Subnet).DistinctBy(s => s.Key).Where(s => !cache.Results.ContainsKey(s.Key)).ToList();
        if (missing.Count == 0) return;
        using var run = TrainedRun.Open(dir, ema: true, threads: threads);
        using var evaluator = new SubnetEvaluator(run.Supernet, run.Data.Train, run.Data.Normalization, settings.CalibrationBatches, 64, run.Options.Seed);
        var heldOut = EvalSettings.Strided(run.Data.HeldOut, settings.HeldOutLimit);
        var test = EvalSettings.Strided(run.Data.Test, settings.TestLimit);
        evaluator.AddEvalSet("heldout", heldOut, run.Data.Normalization);
        evaluator.AddEvalSet("test", test, run.Data.Normalization);
        Console.Error.WriteLine($"{Path.GetFileName(dir)}: evaluating {missing.Count} subnets ({evaluator.CalibrationImages} calibration images, {heldOut.Count} held-out, {test.Count} test)");
        foreach (var subnet in missing)
        {
            var clock = Stopwatch.StartNew();
            var acc = evaluator.Evaluate(subnet, "heldout", "test");
            cache.Results[subnet.Key] = new SubnetResult(acc["heldout"], acc["test"], clock.Elapsed.TotalSeconds);
            SaveCache(dir, cache, settings);
            Console.Error.WriteLine($"  {Complexity.FlopsM(run.Space, subnet),6:F2}M held-out {acc["heldout"]:P2} test {acc["test"]:P2} ({clock.Elapsed.TotalSeconds:F0} s) {subnet.Key}");
        }
    }

    // ---------------------------------------------------------------- metrics.jsonl

    /// <summary>Gradient-cosine probes and losses of one run, read from metrics.jsonl.</summary>
    public sealed record Metrics(
        long Steps, int Probes, double CosineMean, double CosineMeanLastHalf, int FarProbes, double FarCosineMean, double FarCosineMeanLastHalf,
        Dictionary<string, double> FinalLossByRole, double FinalLossPerSubnet, double TrainSeconds)
    {
        /// <summary>Final losses are averaged over the last 10% of the steps.</summary>
        public static Metrics Read(RunDirectory run)
        {
            var records = File.ReadLines(run.MetricsPath).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
            var steps = records.Count;
            var half = steps / 2;
            var probes = records.Where(r => r["grad_cosine"] is not null).Select(r => ((long)r["step"]!, r["grad_cosine"]!.AsObject())).ToList();
            var cos = probes.Select(p => (p.Item1, (double)p.Item2["mean"]!)).ToList();
            var far = probes.Where(p => p.Item2["min_vs_two_levels_up"] is not null).Select(p => (p.Item1, (double)p.Item2["min_vs_two_levels_up"]!)).ToList();
            var tail = records.Skip(steps - Math.Max(1, steps / 10)).ToList();
            var byRole = tail.SelectMany(r => r["loss"]!.AsObject().Select(kv => (kv.Key, (double)kv.Value!)))
                .GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Average(p => p.Item2));
            var perSubnet = tail.Average(r => (double)r["loss_total"]! / r["subnet_losses"]!.AsArray().Count);
            return new Metrics(steps, cos.Count, Mean(cos.Select(c => c.Item2)), Mean(cos.Where(c => c.Item1 >= half).Select(c => c.Item2)),
                far.Count, Mean(far.Select(c => c.Item2)), Mean(far.Where(c => c.Item1 >= half).Select(c => c.Item2)),
                byRole, perSubnet, records.Sum(r => (double)r["step_seconds"]!));
        }
    }

    // ---------------------------------------------------------------- aggregation and report

    private sealed record RunResult(string Name, TrainOptions Options, List<FixedSubnet> Set, Dictionary<string, SubnetResult> Results, Metrics Metrics)
    {
        public bool Complete => Set.All(f => Results.ContainsKey(f.Subnet.Key));
        private IEnumerable<FixedSubnet> Unique => Set.DistinctBy(f => f.Subnet.Key).Where(f => Results.ContainsKey(f.Subnet.Key));
        public double MeanTest => Mean(Unique.Select(f => Results[f.Subnet.Key].Test));
        public double MeanHeldOut => Mean(Unique.Select(f => Results[f.Subnet.Key].HeldOut));
        public double MeanTestRandom => Mean(Unique.Where(f => f.Role == "random").Select(f => Results[f.Subnet.Key].Test));
        public double MeanTestMin => Mean(Unique.Where(f => f.Role == "min").Select(f => Results[f.Subnet.Key].Test));
        public double LevelTest(int level) => Mean(Set.Where(f => f.LevelIndex == level && Results.ContainsKey(f.Subnet.Key)).Select(f => Results[f.Subnet.Key].Test));
        public double LevelHeldOut(int level) => Mean(Set.Where(f => f.LevelIndex == level && Results.ContainsKey(f.Subnet.Key)).Select(f => Results[f.Subnet.Key].HeldOut));
    }

    private static IEnumerable<IGrouping<string, RunResult>> BySampler(List<RunResult> runs) =>
        runs.GroupBy(r => r.Options.Sampler).OrderBy(g => Array.IndexOf(SamplerOrder, g.Key) is var i && i < 0 ? 99 : i).ThenBy(g => g.Key, StringComparer.Ordinal);

    /// <summary>"mean" for one seed, "mean ±half-range (a / b)" for several, in percent.</summary>
    private static string Spread(IEnumerable<double> values, string format = "F2", double scale = 100)
    {
        var v = values.Where(x => !double.IsNaN(x)).Select(x => x * scale).ToList();
        if (v.Count == 0) return "–";
        if (v.Count == 1) return v[0].ToString(format, CultureInfo.InvariantCulture);
        var f = (double x) => x.ToString(format, CultureInfo.InvariantCulture);
        return $"{f(v.Average())} ±{f((v.Max() - v.Min()) / 2)} ({string.Join(" / ", v.Select(f))})";
    }

    private static string Report(List<RunResult> runs, EvalSettings settings)
    {
        var sb = new StringBuilder();
        var space = SpaceLoader.Load(runs[0].Options.Space);
        var o = runs[0].Options;
        sb.AppendLine($"Sampler study on {space.Name}: {runs.Count} runs; fixed subnet set = each level's min subnet + {settings.PerLevel} random subnets per level (seed {FixedSetSeed}), "
            + $"{runs[0].Set.DistinctBy(f => f.Subnet.Key).Count()} distinct subnets; EMA weights, BN recalibrated on {settings.CalibrationBatches} batches of 64; "
            + $"top-1 in % on {Limit(settings.HeldOutLimit)} held-out and {Limit(settings.TestLimit)} test images (evenly strided subsets).");
        sb.AppendLine($"Budget per run: {o.Steps} steps × batch {o.BatchSize} × 4 subnets = {o.Steps * 4} subnet forward/backward passes ({o.Steps * o.BatchSize * 4:N0} image passes). "
            + "Spread: mean ±half-range (per seed).");
        var incomplete = runs.Where(r => !r.Complete).Select(r => r.Name).ToList();
        if (incomplete.Count > 0) sb.AppendLine($"NOT fully evaluated (means over the evaluated subnets only): {string.Join(", ", incomplete)}");
        sb.AppendLine();
        sb.AppendLine("| sampler | seeds | test top-1 (all) | held-out top-1 (all) | test, random subnets | test, min subnets | grad cos (all / last half) | min vs 2 levels up (all / last half) | final loss per subnet |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var g in BySampler(runs))
        {
            var r = g.ToList();
            sb.AppendLine($"| {g.Key} | {string.Join(",", r.Select(x => x.Options.Seed))} | {Spread(r.Select(x => x.MeanTest))} | {Spread(r.Select(x => x.MeanHeldOut))} | "
                + $"{Spread(r.Select(x => x.MeanTestRandom))} | {Spread(r.Select(x => x.MeanTestMin))} | "
                + $"{Spread(r.Select(x => x.Metrics.CosineMean), "F3", 1)} / {Spread(r.Select(x => x.Metrics.CosineMeanLastHalf), "F3", 1)} | "
                + $"{Spread(r.Select(x => x.Metrics.FarCosineMean), "F3", 1)} / {Spread(r.Select(x => x.Metrics.FarCosineMeanLastHalf), "F3", 1)} | "
                + $"{Spread(r.Select(x => x.Metrics.FinalLossPerSubnet), "F3", 1)} |");
        }
        sb.AppendLine();
        sb.AppendLine("Test top-1 per FLOPs level (mean over the level's min subnet and its random subnets):");
        sb.AppendLine();
        sb.AppendLine("| sampler | " + string.Join(" | ", space.Levels.Select(l => $"{l.FlopsM:G}M")) + " |");
        sb.AppendLine("| --- |" + string.Concat(Enumerable.Repeat(" --- |", space.Levels.Count)));
        foreach (var g in BySampler(runs))
            sb.AppendLine($"| {g.Key} | " + string.Join(" | ", Enumerable.Range(0, space.Levels.Count).Select(i => Spread(g.Select(x => x.LevelTest(i))))) + " |");
        sb.AppendLine();
        AppendPaired(sb, runs);
        sb.AppendLine("Per run:");
        sb.AppendLine();
        sb.AppendLine("| run | test (all) | held-out (all) | probes | grad cos mean | min vs 2 up | final loss by role | train s (sum of steps) |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
        foreach (var r in runs)
            sb.AppendLine($"| {r.Name} | {r.MeanTest * 100:F2} | {r.MeanHeldOut * 100:F2} | {r.Metrics.Probes} | {r.Metrics.CosineMean:F3} | {(r.Metrics.FarProbes > 0 ? r.Metrics.FarCosineMean.ToString("F3", CultureInfo.InvariantCulture) : "–")} | "
                + string.Join(", ", r.Metrics.FinalLossByRole.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value:F3}")) + $" | {r.Metrics.TrainSeconds:F0} |");
        sb.AppendLine();
        sb.AppendLine("Fixed subnet set (test top-1 per run):");
        sb.AppendLine();
        sb.AppendLine("| level | role | MFLOPs | subnet | " + string.Join(" | ", runs.Select(r => r.Name)) + " |");
        sb.AppendLine("| ---: | --- | ---: | --- |" + string.Concat(Enumerable.Repeat(" ---: |", runs.Count)));
        foreach (var f in runs[0].Set)
            sb.AppendLine($"| {f.LevelFlopsM:G} | {f.Role} | {f.FlopsM:F2} | `{f.Subnet.Key}` | "
                + string.Join(" | ", runs.Select(r => r.Results.TryGetValue(f.Subnet.Key, out var v) ? (v.Test * 100).ToString("F2", CultureInfo.InvariantCulture) : "–")) + " |");
        return sb.ToString();
    }

    /// <summary>
    /// Paired comparisons on the same subnets: per subnet, test top-1 averaged over each sampler's seeds; the mean difference
    /// and how often each side wins. For samplers with several seeds, the same statistics between two of its seeds show the
    /// run-to-run noise the sampler differences have to beat.
    /// </summary>
    private static void AppendPaired(StringBuilder sb, List<RunResult> runs)
    {
        var keys = runs[0].Set.Select(f => f.Subnet.Key).Distinct().Where(k => runs.All(r => r.Results.ContainsKey(k))).ToList();
        if (keys.Count == 0) return;
        var groups = BySampler(runs).ToList();
        double Acc(IEnumerable<RunResult> g, string key) => g.Average(r => r.Results[key].Test) * 100;
        sb.AppendLine($"Paired differences in test top-1 over the {keys.Count} subnets evaluated in every run (A − B, percentage points; per subnet averaged over each side's seeds):");
        sb.AppendLine();
        sb.AppendLine("| A | B | mean A − B | A better / B better / tie | largest |A − B| |");
        sb.AppendLine("| --- | --- | ---: | --- | ---: |");
        void Row(string a, IEnumerable<RunResult> ga, string b, IEnumerable<RunResult> gb)
        {
            var d = keys.Select(k => Acc(ga, k) - Acc(gb, k)).ToList();
            sb.AppendLine($"| {a} | {b} | {d.Average():+0.00;-0.00} | {d.Count(x => x > 1e-9)} / {d.Count(x => x < -1e-9)} / {d.Count(x => Math.Abs(x) <= 1e-9)} | {d.Max(Math.Abs):F2} |");
        }
        for (var i = groups.Count - 1; i >= 0; i--)
            for (var j = i - 1; j >= 0; j--)
                Row(groups[i].Key, groups[i], groups[j].Key, groups[j]);
        foreach (var g in groups.Where(g => g.Count() > 1))
        {
            var seeds = g.OrderBy(r => r.Options.Seed).ToList();
            Row($"{g.Key} seed {seeds[1].Options.Seed}", [seeds[1]], $"{g.Key} seed {seeds[0].Options.Seed}", [seeds[0]]);
        }
        sb.AppendLine();
    }

    private static string Limit(int limit) => limit <= 0 ? "all" : $"at most {limit}";

    private static JsonObject ResultsJson(List<RunResult> runs, EvalSettings settings) => new()
    {
        ["settings"] = settings.ToJson(),
        ["fixed_set"] = new JsonArray(runs[0].Set.Select(f => (JsonNode?)new JsonObject
        {
            ["level_index"] = f.LevelIndex, ["level_flops_m"] = f.LevelFlopsM, ["role"] = f.Role, ["flops_m"] = Math.Round(f.FlopsM, 3), ["key"] = f.Subnet.Key,
        }).ToArray()),
        ["runs"] = new JsonArray(runs.Select(r => (JsonNode?)new JsonObject
        {
            ["name"] = r.Name, ["sampler"] = r.Options.Sampler, ["seed"] = r.Options.Seed, ["steps"] = r.Options.Steps, ["batch_size"] = r.Options.BatchSize,
            ["complete"] = r.Complete,
            ["mean_test"] = Num(r.MeanTest), ["mean_heldout"] = Num(r.MeanHeldOut), ["mean_test_random"] = Num(r.MeanTestRandom), ["mean_test_min"] = Num(r.MeanTestMin),
            ["level_test"] = new JsonArray(Enumerable.Range(0, r.Set.Max(f => f.LevelIndex) + 1).Select(i => (JsonNode?)Num(r.LevelTest(i))).ToArray()),
            ["level_heldout"] = new JsonArray(Enumerable.Range(0, r.Set.Max(f => f.LevelIndex) + 1).Select(i => (JsonNode?)Num(r.LevelHeldOut(i))).ToArray()),
            ["subnets"] = new JsonObject(r.Results.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonObject { ["heldout"] = kv.Value.HeldOut, ["test"] = kv.Value.Test }))),
            ["grad_cosine"] = new JsonObject
            {
                ["probes"] = r.Metrics.Probes, ["mean"] = Num(r.Metrics.CosineMean), ["mean_last_half"] = Num(r.Metrics.CosineMeanLastHalf),
                ["min_vs_two_levels_up_probes"] = r.Metrics.FarProbes, ["min_vs_two_levels_up"] = Num(r.Metrics.FarCosineMean),
                ["min_vs_two_levels_up_last_half"] = Num(r.Metrics.FarCosineMeanLastHalf),
            },
            ["final_loss_by_role"] = new JsonObject(r.Metrics.FinalLossByRole.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Math.Round(kv.Value, 5)))),
            ["final_loss_per_subnet"] = Num(r.Metrics.FinalLossPerSubnet),
            ["train_seconds"] = Math.Round(r.Metrics.TrainSeconds, 1),
        }).ToArray()),
    };

    // ---------------------------------------------------------------- plot

    private static void Plot(List<RunResult> runs, string path)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var markers = new[] { ScottPlot.MarkerShape.FilledCircle, ScottPlot.MarkerShape.FilledSquare, ScottPlot.MarkerShape.FilledTriangleUp, ScottPlot.MarkerShape.FilledDiamond };
        var levels = runs[0].Set.Max(f => f.LevelIndex) + 1;
        var i = 0;
        foreach (var g in BySampler(runs))
        {
            var color = palette.GetColor(i);
            var set = g.First().Set.DistinctBy(f => f.Subnet.Key).ToList();
            // Each subnet: its test top-1 averaged over the sampler's seeds.
            var points = set.Select(f => (f.FlopsM, Acc: Mean(g.Where(r => r.Results.ContainsKey(f.Subnet.Key)).Select(r => r.Results[f.Subnet.Key].Test)) * 100))
                .Where(p => !double.IsNaN(p.Acc)).ToList();
            var scatter = plot.Add.ScatterPoints(points.Select(p => p.FlopsM).ToArray(), points.Select(p => p.Acc).ToArray(), color);
            scatter.MarkerShape = markers[i % markers.Length];
            scatter.MarkerSize = 6;
            // Line: per level, the mean over the level's random subnets (their FLOPs are within the level's range).
            var line = Enumerable.Range(0, levels).Select(l =>
            {
                var fs = set.Where(f => f.LevelIndex == l && f.Role == "random").ToList();
                return (X: fs.Average(f => f.FlopsM), Y: Mean(fs.SelectMany(f => g.Where(r => r.Results.ContainsKey(f.Subnet.Key)).Select(r => r.Results[f.Subnet.Key].Test))) * 100);
            }).Where(p => !double.IsNaN(p.Y)).ToList();
            var scatterLine = plot.Add.Scatter(line.Select(p => p.X).ToArray(), line.Select(p => p.Y).ToArray(), color);
            scatterLine.MarkerSize = 0;
            scatterLine.LineWidth = 2;
            scatterLine.LegendText = $"{g.Key} (seeds {string.Join(",", g.Select(r => r.Options.Seed))})";
            i++;
        }
        plot.Title($"Fashion-MNIST supernets, {runs[0].Options.Steps} steps × 4 subnets: test top-1 vs FLOPs");
        plot.XLabel("subnet MFLOPs");
        plot.YLabel("test top-1 (%), BN recalibrated");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        plot.SavePng(path, 900, 600);
    }

    // ---------------------------------------------------------------- helpers

    private static double Mean(IEnumerable<double> values)
    {
        var v = values.ToList();
        return v.Count == 0 ? double.NaN : v.Average();
    }

    private static JsonNode? Num(double v) => double.IsNaN(v) ? null : Math.Round(v, 6);
}
