using System.Runtime.InteropServices;
using ElasticVit.Latency;
using ElasticVit.Latency.Profiling;
using ElasticVit.Spaces;

namespace ElasticVit.Bench;

/// <summary>
/// Does one process time the same subnets alike when it measures them again? The same subnets measured several times in
/// a row as <c>latency validate</c> measures them (every repeat prepares fresh models, times them in interleaved rounds,
/// frees them), each repeat's latencies against the first repeat's; between repeats optionally a full .NET collection
/// (<c>--between gc</c>) or that plus glibc's <c>malloc_trim</c> (<c>--between trim</c>). <c>--reuse</c> prepares the
/// models once and times the same loaded models every repeat, which separates the process's history from the models'.
/// <c>--torch-seconds S</c> trains a static model with TorchSharp on 2 threads for S seconds between repeats (what a
/// quickstart does before it measures its winners); <c>--churn N</c> loads, runs once and frees N other subnets between
/// repeats (as a profile and a search do).
/// </summary>
public static class LatencyRepeatBench
{
    public static int Run(string[] args)
    {
        string Arg(string name, string fallback) => BenchArgs.Option(args, name) ?? fallback;
        var device = Arg("--device", "torch-cpu");
        var space = SpaceLoader.Load(Arg("--space", "elasticvit-fmnist"));
        int count = int.Parse(Arg("--count", "40")), repeats = int.Parse(Arg("--repeats", "3")), passes = int.Parse(Arg("--passes", "16")),
            seed = int.Parse(Arg("--seed", "5"));
        var between = Arg("--between", "none");
        var torchSeconds = double.Parse(Arg("--torch-seconds", "0"));
        var churn = int.Parse(Arg("--churn", "0"));
        var reuse = args.Contains("--reuse");
        using var backend = LatencyBackends.Create(device, 1);
        var protocol = TimingProtocol.WholeModel(1, double.Parse(Arg("--quantile", "0.1"))) with { MinTotalMs = double.Parse(Arg("--min-ms", "100")) };
        var subnets = LatencySubnets.Spread(space, count, seed);
        Console.WriteLine($"{device}, 1 thread, {space.Name}: {count} subnets, {passes} interleaved rounds, {protocol.StatisticName} of {TimingProtocol.Describe(protocol.Clock)}, "
            + $"{repeats} repeats, between repeats: {between}{(torchSeconds > 0 ? $" after {torchSeconds} s of TorchSharp training" : "")}{(churn > 0 ? $" after {churn} other models loaded, run once and freed" : "")}{(reuse ? ", models loaded once" : ", models loaded afresh each repeat")}; load {BenchArgs.Load()}");
        Console.WriteLine("| repeat | median of latency / first repeat's | min | max | within ±10 % of the first | quiet rounds (median) | load after |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---|");
        var loaded = reuse ? subnets.Select(s => backend.PrepareModel(space, s)).ToArray() : null;
        double[]? first = null;
        try
        {
            for (var rep = 1; rep <= repeats; rep++)
            {
                var workloads = loaded ?? subnets.Select(s => backend.PrepareModel(space, s)).ToArray();
                TimingResult[] results;
                try { results = protocol.Measure(workloads.Select(w => (Action)w.Run).ToArray(), passes); }
                finally { if (loaded is null) foreach (var w in workloads) w.Dispose(); }
                var ms = results.Select(r => r.Ms).ToArray();
                first ??= ms;
                var ratios = ms.Zip(first, (a, b) => a / b).ToArray();
                Console.WriteLine($"| {rep} | {Statistics.Median(ratios):F3} | {ratios.Min():F3} | {ratios.Max():F3} | {ratios.Count(r => Math.Abs(r - 1) <= 0.1)} of {count} "
                    + $"| {Statistics.Median(results.Select(r => (double)r.QuietRounds)):F1} of {passes} | {BenchArgs.Load()} |");
                if (torchSeconds > 0 && rep < repeats) TrainFor(space, torchSeconds);
                if (churn > 0 && rep < repeats)
                    foreach (var other in LatencySubnets.Spread(space, churn, seed + 1000 * rep))
                        using (var w = backend.PrepareModel(space, other)) w.Run();
                if (between is "gc" or "trim")
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    GC.Collect();
                }
                if (between == "trim") MallocTrim(0);
            }
        }
        finally
        {
            if (loaded is not null) foreach (var w in loaded) w.Dispose();
        }
        return 0;
    }

    /// <summary>SGD steps of the space's mid subnet at batch 64 on 2 threads for <paramref name="seconds"/>, then 1 thread again.</summary>
    private static void TrainFor(SearchSpace space, double seconds)
    {
        TorchSharp.torch.set_num_threads(2);
        using var model = new Supernet.StaticModel(space, space.Resolve("mid"));
        using var sgd = TorchSharp.torch.optim.SGD(model.parameters(), 0.01);
        var n = space.Input.NativeSize;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var steps = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            var x = TorchSharp.torch.rand(64, space.Input.Channels, n, n);
            var y = TorchSharp.torch.randint(0, space.Classes, [64]);
            sgd.zero_grad();
            TorchSharp.torch.nn.functional.cross_entropy(model.forward(x), y).backward();
            sgd.step();
            steps++;
        }
        TorchSharp.torch.set_num_threads(1);
        Console.WriteLine($"(trained {steps} steps in {clock.Elapsed.TotalSeconds:F0} s)");
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
