using System.Globalization;
using ElasticVit.Latency;
using ElasticVit.Spaces;

namespace ElasticVit.Bench;

/// <summary>
/// Which per-model correction of a lookup table explains whole-model latency best: leave-one-out share within ±10% and
/// MAPE of several least-squares models over measured subnets (CSVs from <c>latency validate --save</c>).
/// </summary>
public static class LatencyFitBench
{
    public static int Run(string[] args)
    {
        var table = LatencyTable.Load(args[0]);
        var space = SpaceLoader.Load(table.Device.Space);
        var lut = new LookupTablePredictor(table, space);
        var rows = args.Skip(1).SelectMany(File.ReadLines).Where(l => !l.StartsWith("model_key", StringComparison.Ordinal) && l.Contains(','))
            .Select(l => l.Split(',')).Select(p => (Subnet: Subnet.Parse(p[0], space), Ms: double.Parse(p[1], CultureInfo.InvariantCulture))).ToList();
        Console.WriteLine($"{rows.Count} measured subnets, {table.Device.Name}");
        var kinds = Enum.GetValues<LayerKind>();
        double[] PerKind(Subnet s) => kinds.Select(k => LayerPlan.Of(space, s).Where(l => l.Kind == k)
            .Sum(l => table.Entries[l.Key].Ms)).ToArray();
        var models = new (string Name, Func<Subnet, double[]> Features)[]
        {
            ("scale + overhead", s => [lut.LayerSumMs(s), 1]),
            ("+ Σ²", s => [lut.LayerSumMs(s), Math.Pow(lut.LayerSumMs(s), 2), 1]),
            ("+ params", s => [lut.LayerSumMs(s), Complexity.Of(space, s).ParamsM, 1]),
            ("+ FLOPs", s => [lut.LayerSumMs(s), Complexity.FlopsM(space, s), 1]),
            ("per layer kind", s => [.. PerKind(s), 1]),
            ("+ resolution one-hot", s => [lut.LayerSumMs(s), .. space.Resolutions.Select(r => s.Resolution == r ? 1.0 : 0.0)]),
        };
        Console.WriteLine("| model | LOO within ±10% | LOO within ±5% | LOO MAPE % |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (name, features) in models)
        {
            var x = rows.Select(r => features(r.Subnet)).ToArray();
            var errors = new List<double>();
            try
            {
                for (var i = 0; i < rows.Count; i++)
                {
                    var train = Enumerable.Range(0, rows.Count).Where(j => j != i).ToArray();
                    var w = LeastSquares.Fit(train.Select(j => x[j]).ToArray(), train.Select(j => rows[j].Ms).ToArray(), name);
                    var predicted = x[i].Zip(w, (a, b) => a * b).Sum();
                    errors.Add(Math.Abs(predicted - rows[i].Ms) / rows[i].Ms);
                }
            }
            catch (LatencyException)   // e.g. a one-hot of a single resolution
            {
                Console.WriteLine($"| {name} | not determined by these subnets | | |");
                continue;
            }
            Console.WriteLine($"| {name} | {errors.Count(e => e <= 0.10) * 100.0 / errors.Count:F0} % | {errors.Count(e => e <= 0.05) * 100.0 / errors.Count:F0} % | {errors.Average() * 100:F2} |");
        }
        return 0;
    }
}
