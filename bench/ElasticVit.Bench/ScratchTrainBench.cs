using ElasticVit.IO;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElasticVit.Data;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using ElasticVit.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Bench;

/// <summary>
/// Inherited vs from scratch: one subnet of a trained supernet run is (1) evaluated with its inherited EMA weights after BN
/// recalibration, and (2) trained from scratch as a standalone <see cref="StaticModel"/> on the run's data pipeline —
/// same augmentation, label-smoothed CE, AdamW with the trainer's decay groups, cosine schedule with 5% warm-up, adaptive
/// gradient clipping, EMA (window 5% of the run), batch 64 — for <c>--steps</c> steps (default: the supernet run's
/// steps × its subnets per step, i.e. as many forward/backward passes as the whole supernet run made), then evaluated the
/// same way (EMA weights, BN recalibrated on the same calibration batches); with <c>--seconds S</c> instead, for S seconds
/// of steps (the count fixed from the pace of the first 5 %, as the equal-wall-clock arms of quality-vs-time). Accuracy
/// on the full held-out and test sets. With <c>--baseline cnn2|mbv2</c> instead of a subnet, a hand-designed network
/// (<see cref="Baseline"/>) is trained the same way on the run's data and recipe, and there is no inherited figure.
/// </summary>
public static class ScratchTrainBench
{
    public static int Run(string[] args)
    {
        var runPath = BenchArgs.Option(args, "--run");
        if (runPath is null)
        {
            Console.Error.WriteLine("usage: scratch-train --run RUN_DIR (--subnet KEY | --best-at-level FLOPS_M | --baseline cnn2|mbv2) [--steps N | --seconds S] [--threads 1] [--calibration-batches 16] [--out FILE.json]");
            return 2;
        }
        var threads = int.Parse(BenchArgs.Option(args, "--threads") ?? "1", CultureInfo.InvariantCulture);
        var calibration = int.Parse(BenchArgs.Option(args, "--calibration-batches") ?? "16", CultureInfo.InvariantCulture);
        var outPath = BenchArgs.Option(args, "--out");
        var dir = new RunDirectory(runPath);
        var options = dir.LoadOptions();
        var space = SpaceLoader.Load(options.Space);
        var baseline = BenchArgs.Option(args, "--baseline");
        var (subnet, selection) = baseline is null ? Choose(args, runPath, space) : (null, "hand-designed");
        const int passesPerStep = 4;   // every sampler of the study trains 4 subnets per step
        var seconds = BenchArgs.Option(args, "--seconds") is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : (double?)null;
        var steps = long.Parse(BenchArgs.Option(args, "--steps") ?? ((options.Steps ?? 0) * passesPerStep).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        if (seconds is null && steps < 1) throw new ArgumentException("--steps: give the number of steps (the run's config has no step count)");
        Func<nn.Module<Tensor, Tensor>> create = baseline is null ? () => new StaticModel(space, subnet!) : () => Baseline.Create(baseline);
        string name;
        double flops;
        using (var probe = create()) (name, flops) = probe is Baseline b ? (b.Description, b.MacsM) : (subnet!.Key, Complexity.FlopsM(space, subnet!));
        Console.Error.WriteLine($"{name} ({flops:F2} M{(baseline is null ? "FLOPs" : "MACs")}; {selection}); scratch budget {(seconds is { } budget ? $"{budget:F0} s of steps" : $"{steps} steps")} × batch {options.BatchSize}; load {BenchArgs.Load()}");

        // (1) Inherited weights (a subnet's only).
        var clock = Stopwatch.StartNew();
        Dictionary<string, double>? inherited = null;
        RunData data;
        using (var run = TrainedRun.Open(runPath, ema: true, threads: threads))
        {
            data = run.Data;
            if (subnet is not null)
            {
                using var evaluator = run.Evaluator(calibration);
                inherited = evaluator.Evaluate(subnet, "heldout", "test");
                Console.Error.WriteLine($"inherited: held-out {inherited["heldout"]:P2} test {inherited["test"]:P2} ({clock.Elapsed.TotalSeconds:F0} s)");
            }
        }

        // (2) From scratch.
        torch.set_num_threads(threads);
        random.manual_seed(options.Seed);
        using var model = create();
        using var ema = create();
        clock.Restart();
        var alone = AloneTraining.Train(model, ema, data, options, seconds is null ? steps : null, seconds, report: (step, total, loss) =>
            Console.Error.WriteLine($"  step {step}/{total} loss {loss:F3} ({clock.Elapsed.TotalSeconds / step:F2} s/step, load {BenchArgs.Load()})"));
        var trainSeconds = alone.Seconds;

        var rawTest = StaticAccuracy.Measure(model, SamplerStudyBench.EvalSettings.Strided(data.Test, 2000), data.Normalization);   // a sanity check only
        AloneTraining.Recalibrate(ema, data, options, calibration);
        var scratchHeldOut = StaticAccuracy.Measure(ema, data.HeldOut, data.Normalization);
        var scratchTest = StaticAccuracy.Measure(ema, data.Test, data.Normalization);
        Console.Error.WriteLine($"scratch: held-out {scratchHeldOut:P2} test {scratchTest:P2} (EMA, BN recalibrated); raw weights with running BN statistics: test {rawTest:P2} (2000 images); {trainSeconds:F0} s");

        var result = new JsonObject
        {
            ["run"] = Path.GetFullPath(runPath), ["sampler"] = options.Sampler, ["run_seed"] = options.Seed, ["run_steps"] = options.Steps,
            ["subnet"] = subnet?.Key, ["baseline"] = baseline, ["model"] = name, [baseline is null ? "flops_m" : "macs_m"] = Math.Round(flops, 3), ["selection"] = selection,
            ["calibration_batches"] = calibration, ["heldout_images"] = data.HeldOut.Count, ["test_images"] = data.Test.Count,
            ["inherited"] = inherited is null ? null : new JsonObject { ["heldout"] = inherited["heldout"], ["test"] = inherited["test"] },
            ["scratch"] = new JsonObject
            {
                ["steps"] = alone.Steps, ["wall_clock_budget_s"] = seconds, ["batch_size"] = options.BatchSize, ["peak_lr"] = options.PeakLr, ["seed"] = options.Seed,
                ["heldout"] = scratchHeldOut, ["test"] = scratchTest, ["test_2000_raw_weights_running_bn"] = rawTest,
                ["final_train_loss"] = Math.Round(alone.FinalLoss, 5),
                ["train_seconds"] = Math.Round(trainSeconds, 1),
            },
            ["load_average_end"] = BenchArgs.Load(),
        };
        var json = result.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        if (outPath is not null) AtomicFile.WriteAllText(outPath, json);
        Console.WriteLine(json);
        return 0;
    }

    /// <summary>The subnet: <c>--subnet KEY</c>, or the best by held-out top-1 among the sampler study's fixed subnets of a level (never by test).</summary>
    private static (Subnet Subnet, string Selection) Choose(string[] args, string runPath, SearchSpace space)
    {
        if (BenchArgs.Option(args, "--subnet") is { } key) return (space.Resolve(key), "given");
        var levelText = BenchArgs.Option(args, "--best-at-level") ?? throw new ArgumentException("give --subnet KEY or --best-at-level FLOPS_M");
        var level = double.Parse(levelText, CultureInfo.InvariantCulture);
        var evalPath = Path.Combine(runPath, SamplerStudyBench.EvalFile);
        if (!File.Exists(evalPath)) throw new ArgumentException($"{evalPath} is missing: run the sampler-study evaluation first");
        var o = JsonNode.Parse(File.ReadAllText(evalPath))!.AsObject();
        var perLevel = (int)o["settings"]!["per_level"]!;
        var results = o["subnets"]!.AsObject();
        var candidates = SamplerStudyBench.FixedSet(space, perLevel).Where(f => f.LevelFlopsM == level && results.ContainsKey(f.Subnet.Key)).ToList();
        if (candidates.Count == 0) throw new ArgumentException($"no evaluated fixed subnet at level {level}M in {evalPath}");
        var best = candidates.MaxBy(f => (double)results[f.Subnet.Key]!["heldout"]!)!;
        var heldOut = (double)results[best.Subnet.Key]!["heldout"]!;
        return (best.Subnet, $"best held-out top-1 ({heldOut:P2}, {(int)o["settings"]!["heldout_limit"]!} images) of the {candidates.Count} fixed subnets at level {level:G}M ({best.Role})");
    }
}
