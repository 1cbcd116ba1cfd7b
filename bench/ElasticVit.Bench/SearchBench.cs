using System.Diagnostics;
using ElasticVit.Cli;
using ElasticVit.Cli.Commands;
using ElasticVit.Data;
using ElasticVit.Nn;
using ElasticVit.Sampling;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using ElasticVit.Training;
using Microsoft.ML.OnnxRuntime;
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
        if (args.Contains("--heap")) return Heap(args);
        torch.set_num_threads(1);
        Console.WriteLine($"threads {threads}, {count} random subnets per setting; {Environment.ProcessorCount} cores; load {BenchArgs.Load()}");

        using var run = runPath is null ? null : TrainedRun.Open(runPath, threads: 1);
        var space = run?.Space ?? SpaceLoader.Load("elasticvit-fmnist");
        var data = run?.Data ?? RunData.Load(DatasetKind.FashionMnist, null, 500, 0);
        using var fresh = run is null ? new ElasticSupernet(space) : null;
        var net = run?.Supernet ?? fresh!;
        Console.WriteLine($"supernet: {(run is null ? "untrained (same cost)" : runPath)}");
        var rng = new Random(1);
        var subnets = Enumerable.Range(0, count).Select(_ => RandomSubnets.Draw(space, rng)).ToList();
        Console.WriteLine($"mean FLOPs of the subnets: {subnets.Average(s => Complexity.FlopsM(space, s)):F1}M");

        if (args.Contains("--fidelity")) { Fidelity(net, data, subnets, threads); return 0; }
        Breakdown(net, data, new FitnessOptions(), subnets.Take(4).ToList());
        if (args.Contains("--engines")) { Engines(net, data, subnets.Take(6).ToList()); return 0; }
        if (args.Contains("--scoring")) { Scoring(net, data, subnets.Take(6).ToList()); return 0; }
        Console.WriteLine("| engine | fitness images | calibration | eval batch | workers × torch threads | evaluations/min | CPU s/evaluation |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        var defaults = new FitnessOptions { Workers = threads };
        foreach (var (o, torchThreads) in new[]
        {
            (defaults, 1),
            (defaults with { Engine = FitnessEngine.Torch }, 1),
            (defaults with { Engine = FitnessEngine.Torch, Workers = 1 }, threads),
            (defaults with { Workers = 1 }, 1),
            (defaults with { EvalBatchSize = 100 }, 1),
            (defaults with { EvalBatchSize = 500 }, 1),
            (defaults with { CalibrationBatches = 8 }, 1),
            (defaults with { CalibrationBatches = 16, CalibrationBatchSize = 16 }, 1),
            (defaults with { CalibrationBatches = 2 }, 1),
            (defaults with { ImagesPerClass = 50 }, 1),
        }.Take(args.Contains("--quick") ? 1 : int.MaxValue))
            Measure(net, data, o, torchThreads, subnets);

        if (runPath is null) return 0;
        var output = Path.Combine(Path.GetTempPath(), $"evit-search-bench-{Environment.ProcessId}", "search.json");
        string[] search = ["search", "--run", runPath, "--budget", budget, "--out", output, "--threads", $"{threads}"];
        Console.WriteLine($"default search: elasticvit {string.Join(' ', search)}   (load {BenchArgs.Load()})");
        var clock = Stopwatch.StartNew();
        var code = CliHost.Run(SearchCommands.All.ToList(), search);
        Console.WriteLine($"exit {code}, total {clock.Elapsed.TotalMinutes:F2} min (load {BenchArgs.Load()})");
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
        var (o, images, evaluator, info) = OneThreadDefaults(net, data);
        using var disposeEvaluator = evaluator;
        evaluator.AddEvalSet("fitness", images, data.Normalization, o.EvalBatchSize);
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

    /// <summary>One thread, the default fitness options, their fitness images, an evaluator with their calibration batches and the export info.</summary>
    private static (FitnessOptions Options, LabeledImages Images, SubnetEvaluator Evaluator, ElasticVit.Export.ExportInfo Info) OneThreadDefaults(ElasticSupernet net, RunData data)
    {
        torch.set_num_threads(1);
        var o = new FitnessOptions();
        return (o, SupernetFitness.FirstPerClass(data.HeldOut, o.ImagesPerClass),
            new SubnetEvaluator(net, data.Train, data.Normalization, o.CalibrationBatches, o.CalibrationBatchSize),
            new ElasticVit.Export.ExportInfo(data.Train.ClassNames, data.Normalization.Mean, data.Normalization.Std));
    }

    /// <summary>ONNX Runtime scoring of recalibrated subnets: export, session build and run time per session setting and batch size.</summary>
    private static void Scoring(ElasticSupernet net, RunData data, IReadOnlyList<Subnet> subnets)
    {
        var (_, images, evaluator, info) = OneThreadDefaults(net, data);
        using var disposeEvaluator = evaluator;
        var settings = new (string Name, Action<SessionOptions> Set)[]
        {
            ("all", _ => { }),
            ("extended", so => so.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED),
            ("all, no prepacking", so => so.AddSessionConfigEntry("session.disable_prepacking", "1")),
            ("all, no arena, no memory pattern", so => { so.EnableCpuMemArena = false; so.EnableMemoryPattern = false; }),
        };
        int[] batches = [25, 50, 100];
        Console.WriteLine($"| subnet MFLOPs | extract ms | export ms | session | session ms | {string.Join(" | ", batches.Select(b => $"run ms, batch {b}"))} |");
        Console.WriteLine($"|---|---|---|---|---|{string.Concat(batches.Select(_ => "---|"))}");
        foreach (var s in subnets)
        {
            evaluator.Recalibrate(s);
            var clock = Stopwatch.StartNew();
            using var model = StaticModel.Extract(net, s);
            model.eval();
            var extractMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            var bytes = ElasticVit.Export.OnnxExporter.Export(model, info);
            var exportMs = clock.Elapsed.TotalMilliseconds;
            foreach (var (name, set) in settings)
            {
                clock.Restart();
                using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
                set(options);
                using var session = new InferenceSession(bytes, options);
                var sessionMs = clock.Elapsed.TotalMilliseconds;
                var runs = new List<string>();
                foreach (var b in batches)
                {
                    clock.Restart();
                    var pixels = new float[b * images.ImageSize];
                    for (var start = 0; start < images.Count; start += b)
                    {
                        for (var i = 0; i < pixels.Length; i++) pixels[i] = images.Pixels[start * images.ImageSize + i] / 255f;
                        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [b, images.Channels, images.Height, images.Width]);
                        using var runOptions = new RunOptions();
                        using var outputs = session.Run(runOptions, [session.InputNames[0]], [input], [session.OutputNames[0]]);
                    }
                    runs.Add($"{clock.Elapsed.TotalMilliseconds:F0}");
                }
                Console.WriteLine($"| {Complexity.FlopsM(net.Space, s):F1} | {extractMs:F0} | {exportMs:F0} | {name} | {sessionMs:F0} | {string.Join(" | ", runs)} |");
            }
        }
    }

    /// <summary>
    /// Convs on activations above glibc's 32 MB mmap threshold (batch 64, 144 channels, 32×32) and below it (batch 32), with
    /// large blocks kept in the heap (this process, <see cref="NativeHeap"/>) and with glibc's defaults (a child process).
    /// </summary>
    private static int Heap(string[] args)
    {
        if (NativeHeap.KeepsLargeBlocks)
        {
            var self = new ProcessStartInfo("dotnet") { UseShellExecute = false };
            self.ArgumentList.Add(typeof(SearchBench).Assembly.Location);
            foreach (var a in new[] { "search", "--heap" }) self.ArgumentList.Add(a);
            self.Environment[NativeHeap.OptOutVariable] = "1";
            using var child = Process.Start(self)!;
            child.WaitForExit();
        }
        torch.set_num_threads(1);
        using var _ = torch.no_grad();
        double Ms(Func<torch.Tensor> f)
        {
            for (var i = 0; i < 3; i++) using (torch.NewDisposeScope()) f();
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 10; i++) using (torch.NewDisposeScope()) f();
            return clock.Elapsed.TotalMilliseconds / 10;
        }
        var heap = NativeHeap.KeepsLargeBlocks ? "kept in the heap" : "glibc defaults  ";
        foreach (var batch in new[] { 64, 32 })
        {
            const int channels = 144, size = 32;
            using var x = torch.randn(batch, channels, size, size);
            using var dw = torch.randn(channels, 1, 3, 3);
            using var pw = torch.randn(channels / 4, channels, 1, 1);
            var dwMs = Ms(() => torch.nn.functional.conv2d(x, dw, null, padding: [1, 1], groups: channels));
            var pwMs = Ms(() => torch.nn.functional.conv2d(x, pw));
            Console.WriteLine($"{heap} batch {batch} ({x.NumberOfElements * 4 / 1e6:F0} MB activations): depthwise 3×3 {dwMs:F1} ms ({dwMs / batch:F2} per image), pointwise {channels}→{channels / 4} {pwMs:F1} ms ({pwMs / batch:F2} per image)");
        }
        return 0;
    }

    /// <summary>
    /// How well fitness with fewer calibration images ranks subnets like fitness with many (16 batches of 64), over three
    /// draws of the calibration images.
    /// </summary>
    private static void Fidelity(ElasticSupernet net, RunData data, IReadOnlyList<Subnet> subnets, int threads)
    {
        double[] Scores(FitnessOptions o, int seed, out double perMinute)
        {
            using var fitness = new SupernetFitness(net, data, o with { Workers = threads }, seed);
            var scores = fitness.Evaluate(subnets);
            perMinute = fitness.EvaluationsPerMinute;
            return scores;
        }
        var reference = Scores(new FitnessOptions { CalibrationBatches = 16 }, 100, out var refRate);
        Console.WriteLine($"reference 16×64 (calibration seed 100): mean top-1 {reference.Average():P2}, spread {(reference.Max() - reference.Min()) * 100:F1} points, {refRate:F0} evaluations/min");
        Console.WriteLine("| calibration | spearman vs 16×64, seeds 0/1/2 | mean | mean abs top-1 difference (points) | max | top-5 overlap | evaluations/min |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        int[] Top(double[] v) => v.Select((x, i) => (x, i)).OrderByDescending(t => t.x).Take(5).Select(t => t.i).ToArray();
        foreach (var (n, b) in new[] { (8, 64), (4, 64), (2, 64), (4, 32), (1, 64) })
        {
            var rows = Enumerable.Range(0, 3).Select(seed =>
            {
                var scores = Scores(new FitnessOptions { CalibrationBatches = n, CalibrationBatchSize = b }, seed, out var rate);
                var diffs = scores.Zip(reference, (a, r) => Math.Abs(a - r) * 100).ToArray();
                return (Rho: ElasticVit.Search.Spearman.Of(scores, reference), Mean: diffs.Average(), Max: diffs.Max(), Overlap: Top(scores).Intersect(Top(reference)).Count(), Rate: rate);
            }).ToArray();
            Console.WriteLine($"| {n}×{b} | {string.Join(" / ", rows.Select(r => r.Rho.ToString("F3")))} | {rows.Average(r => r.Rho):F3} | {rows.Average(r => r.Mean):F2} | {rows.Max(r => r.Max):F2} | {string.Join("/", rows.Select(r => r.Overlap))} of 5 | {rows.Average(r => r.Rate):F0} |");
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
}
