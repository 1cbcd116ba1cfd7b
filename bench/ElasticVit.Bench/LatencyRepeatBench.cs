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
        var reuse = args.Contains("--reuse");
        using var backend = LatencyBackends.Create(device, 1);
        var protocol = TimingProtocol.WholeModel(1, double.Parse(Arg("--quantile", "0.1"))) with { MinTotalMs = double.Parse(Arg("--min-ms", "100")) };
        var subnets = LatencySubnets.Spread(space, count, seed);
        Console.WriteLine($"{device}, 1 thread, {space.Name}: {count} subnets, {passes} interleaved rounds, {protocol.StatisticName} of {TimingProtocol.Describe(protocol.Clock)}, "
            + $"{repeats} repeats, between repeats: {between}{(reuse ? ", models loaded once" : ", models loaded afresh each repeat")}; load {BenchArgs.Load()}");
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

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
