using ElasticVit.Latency;
using ElasticVit.Latency.Profiling;
using ElasticVit.Spaces;

namespace ElasticVit.Bench;

/// <summary>
/// Pooled rounds or the fastest round? Times calibration and validation subnets once, in interleaved rounds, and
/// combines the same timings both ways: each way fits the table's constants on its own calibration measurements (as
/// <c>latency profile</c> does) and is judged on its own validation measurements (as <c>latency validate</c> does).
/// Repeats the whole thing, since what it is about is how the host's minutes differ.
/// </summary>
public static class LatencyRoundsBench
{
    public static int Run(string[] args)
    {
        string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("usage: latency-rounds TABLE.json [--calibration 30] [--samples 100] [--passes 3] [--repeats 3] [--seed 41]");
            return 2;
        }
        var table = LatencyTable.Load(args[0]);
        var space = SpaceLoader.Load(table.Device.Space);
        int calibration = int.Parse(Arg("--calibration") ?? "30"), samples = int.Parse(Arg("--samples") ?? "100"),
            passes = int.Parse(Arg("--passes") ?? "3"), repeats = int.Parse(Arg("--repeats") ?? "3"), seed = int.Parse(Arg("--seed") ?? "41");
        using var backend = LatencyBackends.Create(table.Device.Backend, table.Device.Threads ?? 1);
        var protocol = new TimingProtocol { Clock = TimingProtocol.ClockFor(table.Device.Threads ?? 1) };
        Console.WriteLine($"{args[0]}: {calibration} calibration + {samples} validation subnets, {passes} interleaved rounds, median of {TimingProtocol.Describe(protocol.Clock)}, {repeats} repeats");
        Console.WriteLine("| repeat | load | rounds | fitted scale | lut within ±10 % | within ±5 % | MAPE % | round spread: median subnet / largest (max/min) | quiet rounds (median subnet) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        for (var rep = 0; rep < repeats; rep++)
        {
            var calibrationSubnets = LatencySubnets.Spread(space, calibration, seed + 2 * rep);
            var validationSubnets = LatencySubnets.Spread(space, samples, seed + 2 * rep + 1);
            var all = calibrationSubnets.Concat(validationSubnets).ToArray();
            var load = BenchArgs.Load();
            var workloads = new List<IWorkload>();
            double[][][] timings;
            try
            {
                foreach (var s in all) workloads.Add(backend.PrepareModel(space, s));
                // Calibration and validation subnets share the rounds, as if validate ran right after profile.
                timings = protocol.MeasureRounds(workloads.Select(w => (Action)w.Run).ToArray(), passes);
            }
            finally
            {
                foreach (var w in workloads) w.Dispose();
            }
            foreach (var rounds in new[] { RoundCombination.Pooled, RoundCombination.Fastest })
            {
                var how = protocol with { Combination = rounds };
                var measured = all.Select((s, i) =>
                {
                    var r = how.Combine(timings[i]);
                    return new ModelMeasurement(s, r.Ms, r);
                }).ToArray();
                var agreement = RoundAgreement.Of(measured);   // round figures are the same either way
                var fitted = LatencyCalibration.FitWithWeights(table, space, measured.Take(calibration));
                var lut = new LookupTablePredictor(fitted, space);
                var validation = measured.Skip(calibration).ToArray();
                var report = ValidationReport.Compute("lut", validation.Select(m => lut.PredictMs(m.Subnet)).ToArray(), validation.Select(m => m.LatencyMs).ToArray());
                Console.WriteLine($"| {rep + 1} | {load} | {rounds} | {fitted.Scale:F3} | {report.Within10:P0} | {report.Within5:P0} | {report.MapePercent:F2} | {agreement.MedianSpread:F3} / {agreement.WorstSpread:F3} | {agreement.MedianQuietRounds:0.#} of {passes} |");
            }
        }
        return 0;
    }
}
