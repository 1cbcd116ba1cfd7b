using System.Diagnostics;
using ElasticVit.Cli;
using ElasticVit.Cli.Commands;
using ElasticVit.Data;
using ElasticVit.Sampling;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using ElasticVit.Training;
using TorchSharp;

namespace ElasticVit.Bench;

/// <summary>
/// Search fitness speed on the fmnist space: candidate evaluations (BN recalibration + held-out top-1) per minute for a few
/// fitness settings, with the split between recalibration and scoring; then, given a trained run, the wall time of the
/// default <c>search</c> command end to end.
/// </summary>
public static class SearchBench
{
    public static int Run(string[] args)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var runPath = Arg("--run");
        var count = int.Parse(Arg("--subnets") ?? "24");
        var threads = int.Parse(Arg("--threads") ?? "2");
        var budget = Arg("--budget") ?? "flops:12";
        torch.set_num_threads(1);
        Console.WriteLine($"threads {threads}, {count} random subnets per setting; {Environment.ProcessorCount} cores; load {Load()}");

        using var run = runPath is null ? null : TrainedRun.Open(runPath, threads: 1);
        var space = run?.Space ?? SpaceLoader.Load("elasticvit-fmnist");
        var data = run?.Data ?? RunData.Load(DatasetKind.FashionMnist, null, 500, 0);
        using var fresh = run is null ? new ElasticSupernet(space) : null;
        var net = run?.Supernet ?? fresh!;
        Console.WriteLine($"supernet: {(run is null ? "untrained (same cost)" : runPath)}");
        var rng = new Random(1);
        var subnets = Enumerable.Range(0, count).Select(_ => RandomSubnets.Draw(space, rng)).ToList();
        Console.WriteLine($"mean FLOPs of the subnets: {subnets.Average(s => Complexity.FlopsM(space, s)):F1}M");

        Breakdown(net, data, new FitnessOptions(), subnets.Take(4).ToList());
        if (args.Contains("--engines")) { Engines(net, data, subnets.Take(6).ToList()); return 0; }
        Console.WriteLine("| engine | fitness images | calibration | eval batch | workers × torch threads | evaluations/min | CPU s/evaluation |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        var defaults = new FitnessOptions { Workers = threads };
        foreach (var (o, torchThreads) in new[]
        {
            (defaults, 1),
            (defaults with { Engine = FitnessEngine.Torch }, 1),
            (defaults with { Engine = FitnessEngine.Torch, Workers = 1 }, threads),
            (defaults with { Workers = 1 }, 1),
            (defaults with { CalibrationBatches = 8 }, 1),
            (defaults with { CalibrationBatches = 16, CalibrationBatchSize = 16 }, 1),
            (defaults with { EvalBatchSize = 500 }, 1),
            (defaults with { ImagesPerClass = 50 }, 1),
        }.Take(args.Contains("--quick") ? 1 : int.MaxValue))
            Measure(net, data, o, torchThreads, subnets);

        if (runPath is null) return 0;
        var output = Path.Combine(Path.GetTempPath(), $"evit-search-bench-{Environment.ProcessId}", "search.json");
        string[] search = ["search", "--run", runPath, "--budget", budget, "--out", output, "--threads", $"{threads}"];
        Console.WriteLine($"default search: elasticvit {string.Join(' ', search)}   (load {Load()})");
        var clock = Stopwatch.StartNew();
        var code = CliHost.Run(SearchCommands.All.ToList(), search);
        Console.WriteLine($"exit {code}, total {clock.Elapsed.TotalMinutes:F2} min (load {Load()})");
        return code;
    }

    /// <summary>Mean milliseconds of recalibration and of scoring, one worker.</summary>
    private static void Breakdown(ElasticSupernet net, RunData data, FitnessOptions o, IReadOnlyList<Subnet> subnets)
    {
        torch.set_num_threads(1);
        using var evaluator = new SubnetEvaluator(net, data.Train, data.Normalization, o.CalibrationBatches, o.CalibrationBatchSize);
        evaluator.AddEvalSet("fitness", SupernetFitness.FirstPerClass(data.HeldOut, o.ImagesPerClass), data.Normalization, o.EvalBatchSize);
        var (recalibrate, score) = (0.0, 0.0);
        foreach (var s in subnets)
        {
            var clock = Stopwatch.StartNew();
            evaluator.Recalibrate(s);
            recalibrate += clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            evaluator.Accuracy("fitness");
            score += clock.Elapsed.TotalMilliseconds;
        }
        Console.WriteLine($"one worker, one thread, defaults: recalibration {recalibrate / subnets.Count:F0} ms ({evaluator.CalibrationImages} images), scoring {score / subnets.Count:F0} ms");
    }

    /// <summary>Where the time of one fitness evaluation goes, TorchSharp vs ONNX Runtime, one thread.</summary>
    private static void Engines(ElasticSupernet net, RunData data, IReadOnlyList<Subnet> subnets)
    {
        torch.set_num_threads(1);
        var o = new FitnessOptions();
        var images = SupernetFitness.FirstPerClass(data.HeldOut, o.ImagesPerClass);
        using var evaluator = new SubnetEvaluator(net, data.Train, data.Normalization, o.CalibrationBatches, o.CalibrationBatchSize);
        evaluator.AddEvalSet("fitness", images, data.Normalization, o.EvalBatchSize);
        var info = new ElasticVit.Export.ExportInfo(data.Train.ClassNames, data.Normalization.Mean, data.Normalization.Std);
        Console.WriteLine("| subnet MFLOPs | recalibration ms | torch scoring ms | ORT extract ms | ORT export + session ms | ORT scoring ms | torch top-1 | ORT top-1 |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var s in subnets)
        {
            var clock = Stopwatch.StartNew();
            evaluator.Recalibrate(s);
            var torchRecal = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            var torchAcc = evaluator.Accuracy("fitness");
            var torchMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            using var model = StaticModel.Extract(net, s);
            model.eval();
            var extractMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            using var session = ElasticVit.Export.OnnxClassifier.Load(ElasticVit.Export.OnnxExporter.Export(model, info), threads: 1);
            var sessionMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            var ortAcc = ElasticVit.Export.OnnxAccuracy.Measure(session, images, o.EvalBatchSize);
            var runMs = clock.Elapsed.TotalMilliseconds;
            Console.WriteLine($"| {Complexity.FlopsM(net.Space, s):F1} | {torchRecal:F0} | {torchMs:F0} | {extractMs:F0} | {sessionMs:F0} | {runMs:F0} | {torchAcc:P2} | {ortAcc:P2} |");
        }
    }

    private static void Measure(ElasticSupernet net, RunData data, FitnessOptions options, int torchThreads, IReadOnlyList<Subnet> subnets)
    {
        torch.set_num_threads(torchThreads);
        using var fitness = new SupernetFitness(net, data, options);
        fitness.Evaluate(subnets.Take(options.Workers).ToList()); // warm-up
        var before = (fitness.Evaluations, fitness.Elapsed, Cpu: Process.GetCurrentProcess().TotalProcessorTime);
        fitness.Evaluate(subnets);
        var evaluations = fitness.Evaluations - before.Evaluations;
        var perMinute = evaluations / (fitness.Elapsed - before.Elapsed).TotalMinutes;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - before.Cpu).TotalSeconds / evaluations;
        Console.WriteLine($"| {(fitness.UsesOnnxRuntime ? "ort" : "torch")} | {fitness.FitnessImages} | {options.CalibrationBatches}×{options.CalibrationBatchSize} | {options.EvalBatchSize} | {options.Workers} × {torchThreads} | {perMinute:F0} | {cpu:F2} |");
    }

    private static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];
}
