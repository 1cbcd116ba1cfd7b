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
        if (args.Contains("--calibrate")) return CrossTime(args);
        if (args.Contains("--sizes")) return CalibrationSizes(args);
        var table = LatencyTable.Load(args[0]);
        var space = SpaceLoader.Load(table.Device.Space);
        var lut = new LookupTablePredictor(table, space);
        var measured = Measured(space, args.Skip(1));
        var rows = measured.Select(m => (m.Subnet, Ms: m.LatencyMs)).ToList();
        Console.WriteLine($"{rows.Count} measured subnets, {table.Device.Name}");
        var stored = ValidationReport.Of("lut", lut, measured);
        Console.WriteLine($"the table as stored: {stored.Within10 * 100:F0} % within ±10 %, MAPE {stored.MapePercent:F2} %, mean signed error {stored.BiasPercent:+0.00;-0.00} %");
        var kinds = Enum.GetValues<LayerKind>();
        double[] PerKind(Subnet s) => kinds.Select(k => LayerPlan.Of(space, s).Where(l => l.Kind == k)
            .Sum(l => table.Entries[l.Key].Ms)).ToArray();
        // nn-Meter's kernel types, coarsely: convolutional layers (stem, stage 0, MBConv, reductions, head) and transformer layers.
        double[] KindCounts(Subnet s) => [LayerPlan.Of(space, s).Count(l => l.Kind != LayerKind.Transformer), LayerPlan.Of(space, s).Count(l => l.Kind == LayerKind.Transformer)];
        double[] KindFlops(Subnet s) => [LayerPlan.Of(space, s).Where(l => l.Kind != LayerKind.Transformer).Sum(l => Complexity.Of(l).FlopsM),
            LayerPlan.Of(space, s).Where(l => l.Kind == LayerKind.Transformer).Sum(l => Complexity.Of(l).FlopsM)];
        var models = new (string Name, Func<Subnet, double[]> Features)[]
        {
            ("scale + overhead", s => [lut.LayerSumMs(s), 1]),
            ("+ Σ²", s => [lut.LayerSumMs(s), Math.Pow(lut.LayerSumMs(s), 2), 1]),
            ("+ Σ · params", s => [lut.LayerSumMs(s), lut.LayerSumMs(s) * Complexity.Of(space, s).ParamsM, 1]),
            ("+ Σ · FLOPs", s => [lut.LayerSumMs(s), lut.LayerSumMs(s) * Complexity.FlopsM(space, s), 1]),
            ("+ Σ² + params + FLOPs + layer count", s => [lut.LayerSumMs(s), Math.Pow(lut.LayerSumMs(s), 2), Complexity.Of(space, s).ParamsM, Complexity.FlopsM(space, s), LayerPlan.Of(space, s).Count(), 1]),
            ("+ params", s => [lut.LayerSumMs(s), Complexity.Of(space, s).ParamsM, 1]),
            ("+ FLOPs", s => [lut.LayerSumMs(s), Complexity.FlopsM(space, s), 1]),
            ("+ params + FLOPs", s => [lut.LayerSumMs(s), Complexity.Of(space, s).ParamsM, Complexity.FlopsM(space, s), 1]),
            ("FLOPs alone", s => [Complexity.FlopsM(space, s), 1]),
            ("+ layer count", s => [lut.LayerSumMs(s), LayerPlan.Of(space, s).Count(), 1]),
            ("+ layer count + FLOPs", s => [lut.LayerSumMs(s), LayerPlan.Of(space, s).Count(), Complexity.FlopsM(space, s), 1]),
            ("+ params + layer count + FLOPs", s => [lut.LayerSumMs(s), Complexity.Of(space, s).ParamsM, LayerPlan.Of(space, s).Count(), Complexity.FlopsM(space, s), 1]),
            ("layer count + FLOPs, no table", s => [LayerPlan.Of(space, s).Count(), Complexity.FlopsM(space, s), 1]),
            ("per layer kind", s => [.. PerKind(s), 1]),
            ("+ layer count + FLOPs per kind", s => [lut.LayerSumMs(s), LayerPlan.Of(space, s).Count(), .. KindFlops(s), 1]),
            ("+ FLOPs + count per kind", s => [lut.LayerSumMs(s), Complexity.FlopsM(space, s), .. KindCounts(s), 1]),
            ("+ count and FLOPs per kind", s => [lut.LayerSumMs(s), .. KindCounts(s), .. KindFlops(s), 1]),
            ("+ resolution one-hot", s => [lut.LayerSumMs(s), .. space.Resolutions.Select(r => s.Resolution == r ? 1.0 : 0.0)]),
        };
        Console.WriteLine("| model | LOO within ±10% | LOO within ±5% | LOO MAPE % | weights fitted on all (features in order, intercept last) |");
        Console.WriteLine("|---|---|---|---|---|");
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
                Console.WriteLine($"| {name} | not determined by these subnets | | | |");
                continue;
            }
            var all = LeastSquares.Fit(x, rows.Select(r => r.Ms).ToArray(), name);
            Console.WriteLine($"| {name} | {errors.Count(e => e <= 0.10) * 100.0 / errors.Count:F0} % | {errors.Count(e => e <= 0.05) * 100.0 / errors.Count:F0} % | {errors.Average() * 100:F2} | {string.Join(", ", all.Select(v => v.ToString("G3", CultureInfo.InvariantCulture)))} |");
        }
        return 0;
    }

    /// <summary>
    /// The table's fit as <c>latency profile</c> makes it (a few calibration subnets), judged on subnets measured at another
    /// time: 30 subnets drawn 50 times from the --calibrate CSV, every subnet of the --validate CSV predicted. Ordinary
    /// least squares against least squares of relative errors (each subnet weighted by 1/measured²).
    /// </summary>
    private static int CrossTime(string[] args)
    {
        string Arg(string name) => args.SkipWhile(a => a != name).Skip(1).First();
        var table = LatencyTable.Load(args[0]);
        var space = SpaceLoader.Load(table.Device.Space);
        var lut = new LookupTablePredictor(table, space);
        List<(double[] X, double Ms)> Read(string path) => Measured(space, [path])
            .Select(m => (new[] { lut.LayerSumMs(m.Subnet), Complexity.Of(space, m.Subnet).ParamsM, 1, Complexity.FlopsM(space, m.Subnet) }, m.LatencyMs)).ToList();
        var calibration = Read(Arg("--calibrate"));
        var validation = Read(Arg("--validate"));
        var size = args.Contains("--size") ? int.Parse(Arg("--size")) : 30;
        Console.WriteLine($"calibrate on {size} of {calibration.Count} subnets ({Arg("--calibrate")}), validate on {validation.Count} ({Arg("--validate")}), 50 draws");
        Console.WriteLine("| fit | features | mean within ±10% | worst draw | mean MAPE % | mean signed error % |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var relative in new[] { false, true })
            foreach (var (featureName, take) in new[] { ("Σ, 1", new[] { 0, 2 }), ("Σ, params, 1", new[] { 0, 1, 2 }), ("Σ, params, FLOPs, 1", new[] { 0, 1, 3, 2 }) })
            {
                var rng = new Random(5);
                var within = new List<double>();
                var mape = new List<double>();
                var bias = new List<double>();
                for (var draw = 0; draw < 50; draw++)
                {
                    var sample = calibration.OrderBy(_ => rng.Next()).Take(size).ToArray();
                    var x = sample.Select(r => take.Select(i => r.X[i] / (relative ? r.Ms : 1)).ToArray()).ToArray();
                    var y = sample.Select(r => relative ? 1.0 : r.Ms).ToArray();
                    var w = LeastSquares.Fit(x, y, "cross-time fit");
                    var signed = validation.Select(v => (take.Select((f, k) => v.X[f] * w[k]).Sum() - v.Ms) / v.Ms).ToArray();
                    var errors = signed.Select(Math.Abs).ToArray();
                    bias.Add(signed.Average() * 100);
                    within.Add(errors.Count(e => e <= 0.10) * 100.0 / errors.Length);
                    mape.Add(errors.Average() * 100);
                }
                Console.WriteLine($"| {(relative ? "relative errors" : "ordinary")} | {featureName} | {within.Average():F1} % | {within.Min():F0} % | {mape.Average():F2} | {bias.Average():+0.00;-0.00} |");
            }
        return 0;
    }

    /// <summary>
    /// The product's fits (<see cref="LatencyCalibration.Fit"/>) as a profile makes them, on few subnets: for each size in
    /// --sizes, 50 seeded draws of that many measured subnets as the calibration set, every other subnet of the CSVs
    /// predicted; each fit and the FLOPs proxy fitted on the same draws.
    /// </summary>
    private static int CalibrationSizes(string[] args)
    {
        var table = LatencyTable.Load(args[0]);
        var space = SpaceLoader.Load(table.Device.Space);
        var sizes = args.SkipWhile(a => a != "--sizes").Skip(1).First().Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var rows = Measured(space, args.Skip(1).TakeWhile(a => a != "--sizes"));
        Console.WriteLine($"{rows.Length} measured subnets, {table.Device.Name}; 50 draws per size, the rest predicted");
        Console.WriteLine("| calibration subnets | fit | mean within ±10% | worst draw | mean MAPE % |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var size in sizes)
        {
            var fits = new[] { CalibrationFit.Flops, CalibrationFit.Layers, CalibrationFit.Footprint }
                .Select(f => (Name: f.ToString().ToLowerInvariant(), Predictor: (Func<ModelMeasurement[], ILatencyPredictor>)(c => new LookupTablePredictor(LatencyCalibration.Fit(table, space, c, f).Table, space))))
                .Append(("FLOPs proxy", c => FlopsProxyPredictor.Fit(space, table.Device.Name, c)));
            foreach (var (name, predictor) in fits)
            {
                var rng = new Random(5);
                var (within, mape) = (new List<double>(), new List<double>());
                for (var draw = 0; draw < 50; draw++)
                {
                    var order = rows.OrderBy(_ => rng.Next()).ToArray();
                    var (calibration, rest) = (order.Take(size).ToArray(), order.Skip(size).ToArray());
                    var p = predictor(calibration);
                    var report = ValidationReport.Of(name, p, rest);
                    within.Add(report.Within10 * 100);
                    mape.Add(report.MapePercent);
                }
                Console.WriteLine($"| {size} | {name} | {within.Average():F1} % | {within.Min():F0} % | {mape.Average():F2} |");
            }
        }
        return 0;
    }

    /// <summary>The measured subnets of model-section CSVs (<c>latency validate --save</c>: comments, a header, then key and milliseconds).</summary>
    private static ModelMeasurement[] Measured(SearchSpace space, IEnumerable<string> csvPaths) => csvPaths.SelectMany(File.ReadLines)
        .Where(l => !l.StartsWith('#') && !l.StartsWith("model_key", StringComparison.Ordinal) && l.Contains(','))
        .Select(l => l.Split(',')).Select(p => new ModelMeasurement(Subnet.Parse(p[0], space), double.Parse(p[1], CultureInfo.InvariantCulture))).ToArray();
}
