using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElasticVit.Data;
using ElasticVit.IO;
using ElasticVit.Latency.Profiling;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using ElasticVit.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Bench;

/// <summary>
/// The product's claim, measured for one trained supernet (issue 14, item 4): for a fixed subnet set (min, max, three
/// level-min subnets in between) and the run's search winners, the inherited test top-1 (EMA weights, BN recalibrated,
/// no retraining) against the same subnet trained alone with the run's recipe for (a) as many forward/backward passes
/// as the whole supernet run made and, for the first winner, (b) the run's wall-clock; and two hand-designed networks
/// (<see cref="Baseline"/>) trained alone for the run's wall-clock. Every model's ONNX Runtime latency (1 thread, thread
/// CPU time, the fastest of 5 rounds). Writes a JSON result and a plot of test top-1 against latency.
/// </summary>
public static class QualityVsTimeBench
{
    public static int Run(string[] args)
    {
        var runPath = BenchArgs.Option(args, "--run");
        var searchPath = BenchArgs.Option(args, "--search");
        var outPath = BenchArgs.Option(args, "--out");
        if (runPath is null || searchPath is null || outPath is null)
        {
            Console.Error.WriteLine("usage: quality-vs-time --run RUN_DIR --search SEARCH.json --out RESULT.json [--threads 2] [--skip-wall-clock] [--only ROLE,ROLE] [--report-only]");
            return 2;
        }
        var threads = int.Parse(BenchArgs.Option(args, "--threads") ?? "2", CultureInfo.InvariantCulture);
        var wallClockArms = !args.Contains("--skip-wall-clock");
        var trainArms = !args.Contains("--report-only");   // only what --out already holds: the table and the plot
        // Arms of the named roles only (e.g. "min,winner 1"; "cnn2" or "mbv2" for a hand-designed network's wall-clock
        // arm), so that two processes of one thread each can share the machine's cores; their result files are merged afterwards.
        var only = BenchArgs.Option(args, "--only")?.Split(',', StringSplitOptions.TrimEntries);
        var dir = new RunDirectory(runPath);
        var options = dir.LoadOptions();
        var space = SpaceLoader.Load(options.Space);
        var (steps, passes) = Passes(dir.MetricsPath);
        var summary = JsonNode.Parse(File.ReadAllText(dir.SummaryPath))!;
        var seconds = (double?)summary["step_seconds"] ?? (double)summary["last_session_seconds"]!;
        Console.Error.WriteLine($"run {runPath}: {steps} steps, {passes} subnet passes, {seconds:F0} s of steps; load {BenchArgs.Load()}");

        var levels = space.Levels;
        var subnets = new List<(string Role, Subnet Subnet)> { ("min", space.MinSubnet) };
        foreach (var q in new[] { 0.25, 0.5, 0.75 }) subnets.Add(($"level {levels[(int)Math.Round(q * (levels.Count - 1))].FlopsM:G3}M min", levels[(int)Math.Round(q * (levels.Count - 1))].MinSubnet));
        subnets.Add(("max", space.MaxSubnet));
        var search = JsonNode.Parse(File.ReadAllText(searchPath))!;
        var winners = search["alternatives"]!.AsArray().Select(a => (string)a!["winner"]!["key"]!).Distinct().ToList();
        for (var i = 0; i < winners.Count; i++) subnets.Add(($"winner {i + 1}", space.Resolve(winners[i])));
        subnets = subnets.DistinctBy(s => s.Subnet.Key).ToList();   // level-min subnets of neighbouring levels can coincide

        // Resumable: arms already in --out (same kind and model) are kept, not trained again; the file is rewritten after every arm.
        var done = File.Exists(outPath) ? JsonNode.Parse(File.ReadAllText(outPath))!["models"]!.AsArray().Select(m => m!.DeepClone().AsObject()).ToList() : [];
        var results = new JsonArray();
        bool Has(string kind, string key) => results.Any(r => (string)r!["kind"]! == kind && (string)r["key"]! == key);
        void Add(JsonObject r)
        {
            results.Add(r);
            Save(outPath, runPath, steps, passes, seconds, threads, results);
        }
        RunData data;
        using (var run = TrainedRun.Open(runPath, ema: true, threads: threads))
        using (var evaluator = run.Evaluator(16))
        {
            data = run.Data;
            foreach (var (role, subnet) in subnets)
            {
                var test = evaluator.Evaluate(subnet, "test")["test"];
                Console.Error.WriteLine($"inherited {role}: test {test:P2}");
                results.Add(new JsonObject
                {
                    ["kind"] = "inherited", ["role"] = role, ["key"] = subnet.Key, ["flops_m"] = Math.Round(Complexity.FlopsM(space, subnet), 3),
                    ["test_top1"] = test, ["latency_ms"] = Latency(new OrtCpuBackend(1), b => b.PrepareModel(space, subnet)),
                });
            }
        }
        double LatencyOf(Subnet subnet) => (double)results.First(r => (string)r!["key"]! == subnet.Key)!["latency_ms"]!;
        foreach (var r in done.Where(r => (string)r["kind"]! != "inherited"))
        {
            // An entry carried over without a latency (e.g. written from a log) gets it measured here.
            if (r["latency_ms"] is null)
                r["latency_ms"] = subnets.FirstOrDefault(s => s.Subnet.Key == (string)r["key"]!) is { Subnet: not null } known ? LatencyOf(known.Subnet)
                    : BaselineLatency((string)r["key"]!);
            results.Add(r);
        }
        // The wall-clock arms first, on a machine kept quiet for them; the step-counted arms after (their results do not
        // depend on the machine's speed).
        if (wallClockArms && trainArms)
        {
            bool Wanted(string role) => only is null || only.Contains(role);
            var (role, winner) = subnets.First(s => s.Role == "winner 1");
            if (!Has("alone, equal wall-clock", winner.Key) && Wanted(role))
                Add(Alone("alone, equal wall-clock", role, winner.Key, Complexity.FlopsM(space, winner), LatencyOf(winner),
                    () => new StaticModel(space, winner), data, options, threads, null, seconds));
            foreach (var name in new[] { "cnn2", "mbv2" }.Where(n => !Has("hand-designed, equal wall-clock", n) && Wanted(n)))
            {
                using var probe = Baseline.Create(name);
                Add(Alone("hand-designed, equal wall-clock", probe.Description, name, probe.MacsM, BaselineLatency(name),
                    () => Baseline.Create(name), data, options, threads, null, seconds));
            }
        }
        foreach (var (role, subnet) in subnets.Where(s => trainArms && !Has("alone, equal passes", s.Subnet.Key) && (only is null || only.Contains(s.Role))))
            Add(Alone("alone, equal passes", role, subnet.Key, Complexity.FlopsM(space, subnet), LatencyOf(subnet),
                () => new StaticModel(space, subnet), data, options, threads, passes, null));

        Save(outPath, runPath, steps, passes, seconds, threads, results);
        Plot(results, Path.ChangeExtension(outPath, ".png"), $"{steps} supernet steps ({seconds / 60:F1} min)");
        foreach (var r in results)
            Console.WriteLine($"{(string)r!["kind"]!,-32} {(string)r["role"]!,-28} {(double)r["latency_ms"]!,7:F3} ms  test {(double)r["test_top1"]!:P2}");
        return 0;
    }

    private static void Save(string outPath, string runPath, long steps, long passes, double seconds, int threads, JsonArray results) =>
        AtomicFile.WriteAllText(outPath, new JsonObject
        {
            ["run"] = Path.GetFullPath(runPath), ["steps"] = steps, ["subnet_passes"] = passes, ["run_seconds"] = Math.Round(seconds, 1),
            ["threads"] = threads, ["cpu"] = MachineInfo.Describe(), ["load_average_end"] = BenchArgs.Load(), ["models"] = results.DeepClone(),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    private static double BaselineLatency(string name)
    {
        using var model = Baseline.Create(name);
        model.eval();
        return Latency(new OrtCpuBackend(1), b => ((OrtCpuBackend)b).Prepare(model.ToOnnx()));
    }

    /// <summary>Steps and subnet forward/backward passes of a run, from its metrics.</summary>
    private static (long Steps, long Passes) Passes(string metricsPath)
    {
        long steps = 0, passes = 0;
        foreach (var line in File.ReadLines(metricsPath).Where(l => l.Length > 0))
        {
            steps++;
            passes += JsonNode.Parse(line)!["subnet_keys"]!.AsArray().Count;
        }
        return (steps, passes);
    }

    /// <summary>A fresh model trained alone (<see cref="AloneTraining"/>), then its EMA weights' test top-1 after BN recalibration.</summary>
    private static JsonObject Alone(string kind, string role, string key, double flopsM, double latencyMs, Func<nn.Module<Tensor, Tensor>> create,
        RunData data, TrainOptions options, int threads, long? steps, double? seconds)
    {
        torch.set_num_threads(threads);
        random.manual_seed(options.Seed);
        using var model = create();
        using var ema = create();
        var run = AloneTraining.Train(model, ema, data, options, steps, seconds);
        AloneTraining.Recalibrate(ema, data, options, 16);
        var test = StaticAccuracy.Measure(ema, data.Test, data.Normalization);
        Console.Error.WriteLine($"{kind} {role}: {run.Steps} steps in {run.Seconds:F0} s, test {test:P2}; load {BenchArgs.Load()}");
        return new JsonObject
        {
            ["kind"] = kind, ["role"] = role, ["key"] = key, ["flops_m"] = Math.Round(flopsM, 3), ["test_top1"] = test, ["latency_ms"] = latencyMs,
            ["steps"] = run.Steps, ["train_seconds"] = Math.Round(run.Seconds, 1), ["final_loss"] = Math.Round(run.FinalLoss, 4),
        };
    }

    /// <summary>ONNX Runtime latency on one thread: thread CPU time, the fastest of 5 rounds (the project's whole-model protocol).</summary>
    private static double Latency(ILatencyBackend backend, Func<ILatencyBackend, IWorkload> prepare)
    {
        using (backend)
        using (var workload = prepare(backend))
        {
            var protocol = TimingProtocol.WholeModel(1) with { MinTotalMs = 200 };
            return Math.Round(protocol.Measure([workload.Run], passes: 5)[0].Ms, 4);
        }
    }

    private static void Plot(JsonArray results, string path, string title)
    {
        var plot = new ScottPlot.Plot();
        foreach (var group in results.GroupBy(r => (string)r!["kind"]!))
        {
            var points = group.ToList();
            var scatter = plot.Add.ScatterPoints(points.Select(r => (double)r!["latency_ms"]!).ToArray(), points.Select(r => 100 * (double)r!["test_top1"]!).ToArray());
            scatter.LegendText = group.Key;
            scatter.MarkerSize = 9;
        }
        plot.Title($"Fashion-MNIST test top-1 vs ONNX Runtime latency, {title}");
        plot.XLabel("latency, 1 thread (ms)");
        plot.YLabel("test top-1 (%)");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        plot.SavePng(path, 900, 600);
    }
}
