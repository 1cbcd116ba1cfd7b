using System.Diagnostics;
using System.Globalization;
using ElasticVit.Latency;
using ElasticVit.Sampling;
using ElasticVit.Spaces;

namespace ElasticVit.Bench;

/// <summary>
/// Predictions per second of <see cref="LookupTablePredictor"/> on distinct random subnets, against a synthetic
/// table covering every required layer; the predictor caches nothing per subnet, so repeated passes cost the same
/// as the first. For comparison: the same sum with string keys formatted per layer.
/// </summary>
public static class LatencyPredictBench
{
    public static int Run(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        Console.WriteLine($"predict-speed: {count} distinct random subnets per space, {Environment.ProcessorCount} cores, .NET {Environment.Version}, 1 thread");
        foreach (var name in new[] { "elasticvit-fmnist", "elasticvit-imagenet" }) Measure(SpaceLoader.Load(name), count);
        return 0;
    }

    private static void Measure(SearchSpace space, int count)
    {
        var rng = new Random(1);
        var entries = LatencyTable.RequiredKeys(space).ToDictionary(k => k, _ => new LatencyEntry(0.01 + rng.NextDouble()), StringComparer.Ordinal);
        var table = new LatencyTable(new DeviceInfo("synthetic", space.Name), entries, OverheadMs: 0.5);
        var build = Stopwatch.StartNew();
        var predictor = new LookupTablePredictor(table, space);
        build.Stop();

        var distinct = new HashSet<Subnet>();
        while (distinct.Count < count) distinct.Add(RandomSubnets.Draw(space, rng));
        var subnets = distinct.ToArray();
        var layers = subnets.Average(s => LayerPlan.Of(space, s).Count);

        var interned = PerSecond(subnets, s => predictor.PredictMs(s));
        var stringKeys = PerSecond(subnets, s => LayerPlan.Of(space, s).Sum(l => entries[l.Key].Ms) + table.OverheadMs);
        Console.WriteLine($"{space.Name}: {entries.Count} table entries, predictor built in {build.Elapsed.TotalMilliseconds:F0} ms, {layers:F1} layers/subnet on average");
        Console.WriteLine($"  LookupTablePredictor.PredictMs: {interned.Best,10:N0} predictions/s best pass, {interned.Median,10:N0} median ({1e6 / interned.Best:F2} µs each)");
        Console.WriteLine($"  string key formatted per layer: {stringKeys.Best,10:N0} predictions/s best pass, {stringKeys.Median,10:N0} median ({1e6 / stringKeys.Best:F2} µs each)");
    }

    /// <summary>Predictions per second over all subnets: best and median of the passes in 2 s, after one warm-up pass.</summary>
    private static (double Best, double Median) PerSecond(Subnet[] subnets, Func<Subnet, double> predict)
    {
        var sink = 0.0;
        foreach (var s in subnets) sink += predict(s);
        var rates = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < 2 || rates.Count < 5)
        {
            var pass = Stopwatch.StartNew();
            foreach (var s in subnets) sink += predict(s);
            rates.Add(subnets.Length / pass.Elapsed.TotalSeconds);
        }
        if (double.IsNaN(sink)) Console.WriteLine("(a prediction was NaN)");
        rates.Sort();
        return (rates[^1], rates[rates.Count / 2]);
    }
}
