using ElasticVit.Latency;
using ElasticVit.Latency.Profiling;
using ElasticVit.Spaces;

namespace ElasticVit.Bench;

/// <summary>
/// Does a reference model timed next to every subnet take the host's busy spells out of whole-model latencies? Times
/// calibration and validation subnets in interleaved rounds, each subnet's share of a round right after a share of one
/// fixed reference subnet (the canary); a round's slowdown is the canary's time in it over the canary's fastest, and a
/// subnet's normalised round is its round divided by that slowdown. The same timings are combined three ways — the
/// fastest raw round (today's measurement), the fastest and the median normalised round — and each way the table's
/// constants are fitted on the calibration subnets (the default fit) and judged on the validation subnets, and
/// refitted leave-one-out on the validation subnets alone (how consistent the measurements are among themselves).
/// </summary>
public static class LatencyCanaryBench
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("usage: latency-canary TABLE.json [--calibration 30] [--samples 100] [--passes 16] [--repeats 2] [--seed 61]");
            return 2;
        }
        var table = LatencyTable.Load(args[0]);
        var space = SpaceLoader.Load(table.Device.Space);
        string Arg(string name, string fallback) => BenchArgs.Option(args, name) ?? fallback;
        int calibration = int.Parse(Arg("--calibration", "30")), samples = int.Parse(Arg("--samples", "100")),
            passes = int.Parse(Arg("--passes", "16")), repeats = int.Parse(Arg("--repeats", "2")), seed = int.Parse(Arg("--seed", "61"));
        using var backend = LatencyBackends.Create(table.Device.Backend, table.Device.Threads ?? 1);
        var protocol = TimingProtocol.WholeModel(table.Device.Threads ?? 1, table.Device.Quantile ?? 0.5) with { MinTotalMs = double.Parse(Arg("--min-ms", "100")) };
        var canarySubnet = LatencySubnets.Spread(space, 200, seed).OrderBy(s => Complexity.FlopsM(space, s)).ElementAt(100);
        Console.WriteLine($"{args[0]}: {calibration} calibration + {samples} validation subnets, {passes} interleaved rounds, {protocol.StatisticName} of {TimingProtocol.Describe(protocol.Clock)}, "
            + $"canary {canarySubnet.Key} ({Complexity.FlopsM(space, canarySubnet):F2} MFLOPs), {repeats} repeats");
        Console.WriteLine("| repeat | load | combination | calibrated table: within ±10 % | MAPE % | leave-one-out on the validation: within ±10 % | MAPE % | FLOPs proxy LOO within ±10 % |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        var sessions = new List<(Subnet[] Subnets, double[][] Raw, double[][] Canary)>();   // per repeat, for the cross-time judgement
        for (var rep = 0; rep < repeats; rep++)
        {
            var all = LatencySubnets.Spread(space, calibration, seed + 2 * rep + 1).Concat(LatencySubnets.Spread(space, samples, seed + 2 * rep + 2)).ToArray();
            var load = BenchArgs.Load();
            var workloads = new List<IWorkload>();
            double[][][] timings;
            try
            {
                workloads.Add(backend.PrepareModel(space, canarySubnet));
                foreach (var s in all) workloads.Add(backend.PrepareModel(space, s));
                var order = all.SelectMany((_, i) => new[] { workloads[0], workloads[i + 1] }).Select(w => (Action)w.Run).ToArray();
                timings = protocol.MeasureRounds(order, passes);
            }
            finally
            {
                foreach (var w in workloads) w.Dispose();
            }
            double Stat(double[] runs) => TimingProtocol.Summarise(runs, protocol.OutlierIqrs, protocol.Quantile).Ms;
            var canary = all.Select((_, i) => timings[2 * i].Select(Stat).ToArray()).ToArray();   // [subnet][round]
            var canaryBest = canary.SelectMany(c => c).Min();
            var raw = all.Select((_, i) => timings[2 * i + 1].Select(Stat).ToArray()).ToArray();
            sessions.Add((all, raw, canary));
            var normalised = Normalise(raw, canary, canaryBest, bracketed: false);
            var bracketed = Normalise(raw, canary, canaryBest, bracketed: true);
            foreach (var (name, values) in new[]
            {
                ("fastest raw round", raw.Select(r => r.Min()).ToArray()),
                ("fastest normalised round", normalised.Select(r => r.Min()).ToArray()),
                ("median normalised round", normalised.Select(Statistics.Median).ToArray()),
                ("median round normalised by the canary before and after", bracketed.Select(Statistics.Median).ToArray()),
            })
            {
                var measured = all.Select((s, i) => new ModelMeasurement(s, values[i])).ToArray();
                var fitted = LatencyCalibration.Fit(table, space, measured.Take(calibration).ToArray(), LatencyCalibration.DefaultFit).Table;
                var validation = measured.Skip(calibration).ToArray();
                // Compare's "lut" row is the calibrated table as it stands; "lut-loo" and "flops" are refitted on the validation alone.
                var reports = LatencyValidation.Compare(new LookupTablePredictor(fitted, space), space, validation).ToDictionary(c => c.Report.Predictor, c => c.Report);
                Console.WriteLine($"| {rep + 1} | {load} | {name} | {reports["lut"].Within10:P0} | {reports["lut"].MapePercent:F2} | {reports["lut-loo"].Within10:P0} | {reports["lut-loo"].MapePercent:F2} | {reports["flops"].Within10:P0} |");
            }
            var slowdowns = canary.SelectMany(c => c).Select(c => c / canaryBest).Order().ToArray();
            Console.WriteLine($"canary slowdown over the rounds: median {slowdowns[slowdowns.Length / 2]:F2}, p90 {slowdowns[slowdowns.Length * 9 / 10]:F2}, max {slowdowns[^1]:F2}");
        }
        // Across time, as a stored table is used: constants fitted on one repeat's calibration subnets, judged on a later
        // repeat's validation subnets; normalised measurements of both at the earlier repeat's fastest canary share.
        Console.WriteLine();
        Console.WriteLine("| calibrated in repeat | judged in repeat | fastest raw round | median normalised round | median round normalised by the canary before and after |");
        Console.WriteLine("|---|---|---|---|---|");
        for (var a = 0; a < sessions.Count; a++)
            for (var b = a + 1; b < sessions.Count; b++)
            {
                var reference = sessions[a].Canary.SelectMany(c => c).Min();
                double[] Values((Subnet[] Subnets, double[][] Raw, double[][] Canary) x, int how) => how == 0
                    ? x.Raw.Select(r => r.Min()).ToArray()
                    : Normalise(x.Raw, x.Canary, reference, bracketed: how == 2).Select(Statistics.Median).ToArray();
                var cells = Enumerable.Range(0, 3).Select(how =>
                {
                    var (early, late) = (Values(sessions[a], how), Values(sessions[b], how));
                    var fitted = LatencyCalibration.Fit(table, space, sessions[a].Subnets.Take(calibration).Select((s, i) => new ModelMeasurement(s, early[i])).ToArray(), LatencyCalibration.DefaultFit).Table;
                    var lut = new LookupTablePredictor(fitted, space);
                    var judged = sessions[b].Subnets.Skip(calibration).ToArray();
                    var r = ValidationReport.Compute("lut", judged.Select(lut.PredictMs).ToArray(), late.Skip(calibration).ToArray());
                    return $"{r.Within10:P0} ({r.MapePercent:F2}, {r.BiasPercent:+0.0;-0.0} %)";
                });
                Console.WriteLine($"| {a + 1} | {b + 1} | {string.Join(" | ", cells)} |");
            }
        return 0;
    }

    /// <summary>
    /// Each subnet's rounds ([subnet][round]) divided by the canary's slowdown against <paramref name="reference"/>: the
    /// canary share right before it, or (<paramref name="bracketed"/>) the geometric mean of that and the one right after
    /// (the next subnet's, or the next round's first).
    /// </summary>
    private static double[][] Normalise(double[][] raw, double[][] canary, double reference, bool bracketed)
    {
        var (subnets, passes) = (raw.Length, raw[0].Length);
        double After(int i, int k) => i + 1 < subnets ? canary[i + 1][k] : k + 1 < passes ? canary[0][k + 1] : canary[i][k];
        return raw.Select((r, i) => r.Select((ms, k) => ms * reference / (bracketed ? Math.Sqrt(canary[i][k] * After(i, k)) : canary[i][k])).ToArray()).ToArray();
    }
}
