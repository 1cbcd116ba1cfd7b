using System.Diagnostics;
using ElasticVit.Export;
using ElasticVit.Latency;
using ElasticVit.Latency.Profiling;
using ElasticVit.Nn;
using ElasticVit.Sampling;
using ElasticVit.Search;
using ElasticVit.Supernet;
using ElasticVit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Bench;

/// <summary>
/// Native-ownership stress (docs/native-ownership.md): the work that used to die in libtorch — searches with parallel fitness
/// workers, training steps, extraction + export + latency measurement on parallel threads — while a thread forces
/// garbage collections without pause, so any tensor or Scalar left to the finalizer is freed as early as the runtime allows.
/// A use-after-free shows as a crash (exit 134/139); surviving prints the counts. <c>--hazard</c> first runs the pattern the
/// rules forbid (TorchSharp's implicit Scalars and unscoped temporaries) under the same pressure, to show the test can fail.
/// </summary>
public static class StressBench
{
    public static int Run(string[] args)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var runPath = Arg("--run") ?? throw new ArgumentException("--run DIR (a trained run) is required");
        var searches = int.Parse(Arg("--searches") ?? "50");
        var trainSteps = int.Parse(Arg("--train-steps") ?? "500");
        var loopSeconds = double.Parse(Arg("--loop-seconds") ?? "120");
        torch.set_num_threads(1);
        Console.WriteLine($"stress: {Environment.ProcessorCount} cores, load {BenchArgs.Load()}");
        using var hammer = new GcHammer();
        if (Arg("--hazard") is { } hazard) Hazard(hammer, hazard, loopSeconds);

        var clock = Stopwatch.StartNew();
        using (var run = TrainedRun.Open(runPath, threads: 1))
        using (var fitness = new SupernetFitness(run, new FitnessOptions { Workers = 2 }))
        {
            var budget = BudgetSet.Parse("flops:16.66", run.Space, _ => throw new InvalidOperationException());
            for (var i = 1; i <= searches; i++)
            {
                var report = SearchRunner.Run(run.Space, [budget], fitness, new EvolutionOptions { Population = 8, Generations = 2, Seed = i });
                fitness.Report(report.Alternatives[0].Winner.Subnet);
                Console.WriteLine($"search {i}/{searches}: {report.Evaluations} evaluations, winner {report.Alternatives[0].Winner.Fitness:P1}; {hammer.Collections} forced GCs so far, {clock.Elapsed.TotalSeconds:F0} s");
            }
        }

        clock.Restart();
        var dir = Directory.CreateTempSubdirectory("evit-stress-").FullName;
        try
        {
            var options = new TrainOptions { Steps = trainSteps, BatchSize = 16, TrainLimit = 4800, HeldOutPerClass = 20, ProbeEvery = 25, CheckpointEvery = 100, Threads = 2, Seed = 5 };
            using var trainer = new Trainer(options, new RunDirectory(dir), resume: false);
            trainer.Run(p =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                if (p.Step % 50 == 0) Console.WriteLine($"train step {p.Step}/{p.TotalSteps} (a full GC after every step), loss {p.Loss:F3}, {clock.Elapsed.TotalSeconds:F0} s");
            });
        }
        finally { Directory.Delete(dir, recursive: true); }

        clock.Restart();
        using (var run = TrainedRun.Open(runPath, threads: 1))
        {
            var counts = new int[2];
            var info = new ExportInfo(run.Data.Train.ClassNames, run.Data.Normalization.Mean, run.Data.Normalization.Std);
            var threads = Enumerable.Range(0, 2).Select(w => new Thread(() =>
            {
                // Each thread its own supernet copy (a tensor belongs to one thread) and its own latency backend.
                using var net = new ElasticSupernet(run.Space);
                net.load_state_dict(run.Supernet.state_dict());
                net.eval();
                using var backend = LatencyBackends.Create(w == 0 ? "ort-cpu" : "torch-cpu", 1);
                var profiler = new LatencyProfiler(backend, run.Space, new TimingProtocol { WarmupRuns = 1, MinRuns = 3, MinTotalMs = 0 });
                var rng = new Random(w);
                while (clock.Elapsed.TotalSeconds < loopSeconds)
                {
                    var subnet = RandomSubnets.Draw(run.Space, rng);
                    using (var model = StaticModel.Extract(net, subnet))
                    {
                        model.eval();
                        using var session = OnnxClassifier.Load(OnnxExporter.Export(model, info), threads: 1, source: subnet.Key);
                    }
                    profiler.MeasureModels([subnet]);
                    counts[w]++;
                }
            })).ToArray();
            foreach (var t in threads) t.Start();
            foreach (var t in threads) t.Join();
            Console.WriteLine($"extract + export + load + measure loops: {counts[0]} (ort-cpu) and {counts[1]} (torch-cpu) subnets in {clock.Elapsed.TotalSeconds:F0} s");
        }
        Console.WriteLine($"stress: no crash; {hammer.Collections} forced GCs");
        return 0;
    }

    /// <summary>
    /// A forbidden pattern on two threads, expected to crash: <c>scalars</c> — TorchSharp's implicit Scalars, every tensor in a
    /// dispose scope; <c>temporaries</c> — owned Scalars, intermediate tensors outside any scope; <c>conv-init</c> — TorchSharp's
    /// convolution constructor with a bias, as modules are built (outside scopes), against <c>conv-init-fixed</c>, the project's.
    /// </summary>
    private static void Hazard(GcHammer hammer, string kind, double seconds)
    {
        if (kind is not ("scalars" or "temporaries" or "conv-init" or "conv-init-fixed")) throw new ArgumentException("--hazard scalars|temporaries|conv-init|conv-init-fixed");
        Console.WriteLine($"hazard ({kind}) on 2 threads: a crash here shows the stress can catch the bug");
        var clock = Stopwatch.StartNew();
        long done = 0;
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() =>
        {
            using var x = randn(2048, 2048);   // ops of milliseconds: longer than a collection
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                if (kind == "conv-init") nn.Conv2d(32, 64, 3, bias: true).Dispose();   // TorchSharp's bias bound reads an unowned weight[0, 0]
                else if (kind == "conv-init-fixed") StaticLayers.Conv(32, 64, 3, bias: true).Dispose();   // the project's way: nothing unowned
                else if (kind == "scalars")
                {
                    using var scope = NewDisposeScope();
                    _ = (x * 0.5 + x).square().clamp_min(1e-6).sum();   // four Scalars only the finalizer frees
                }
                else x.Times(0.5).Plus(x).Squared().ClampMin(1e-6).sum().Dispose();   // four temporaries only the finalizer frees
                Interlocked.Increment(ref done);
            }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        Console.WriteLine($"hazard: survived {done} iterations and {hammer.Collections} forced GCs");
    }

    /// <summary>A thread that forces collections (gen 0, every 100th full) and runs finalizers back to back until disposed.</summary>
    private sealed class GcHammer : IDisposable
    {
        private volatile bool _stop;
        private readonly Thread _thread;
        public long Collections;

        public GcHammer()
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    // Temporaries die young: a gen-0 collection finds them, and costs little enough to run back to back.
                    GC.Collect(Collections % 100 == 0 ? 2 : 0);
                    GC.WaitForPendingFinalizers();
                    Interlocked.Increment(ref Collections);
                    Thread.Sleep(1);   // hundreds of collections a second, yet the work itself keeps most of the CPU
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }
}
