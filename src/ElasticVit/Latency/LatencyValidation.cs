using ElasticVit.IO;
using System.Globalization;
using System.Text;
using ElasticVit.Spaces;

namespace ElasticVit.Latency;

/// <summary>One predictor's report and its prediction for every measured subnet (same order).</summary>
public sealed record PredictorComparison(ValidationReport Report, IReadOnlyList<double> PredictedMs);

/// <summary>What <see cref="LatencyValidation.Run"/> measured and concluded.</summary>
/// <param name="OtherMachine">This machine's description when it is not the one the table was profiled on, else null.</param>
/// <param name="CalibrationLevel">The table's calibration subnets as timed now over the table's prediction for them (the
/// median subnet's ratio; above 1: the machine runs slower now than when the table was calibrated), null when the table names none.</param>
/// <param name="Recalibrated">The table refitted on its calibration subnets' timings, those it keeps and this validation's
/// (<see cref="LatencyCalibration.Pool"/>; this validation's alone on another machine), for <c>validate --recalibrate</c>;
/// null when the table names no calibration subnets.</param>
public sealed record ValidationRun(
    IReadOnlyList<PredictorComparison> Comparisons,
    IReadOnlyList<ModelMeasurement> Measured,
    RoundAgreement Agreement,
    string Verdict,
    bool FlopsBeatsTable,
    Profiling.TimingProtocol Protocol,
    string DeviceName,
    string? OtherMachine,
    string? LoadBefore,
    string? LoadAfter,
    double? CalibrationLevel = null,
    LatencyTable? Recalibrated = null)
{
    public IReadOnlyList<ValidationReport> Reports => Comparisons.Select(c => c.Report).ToArray();

    /// <summary>The reports, the machine's steadiness and the verdict as one JSON object.</summary>
    public string ToJson() => ValidationReport.ToJson(Reports, Agreement, Verdict, FlopsBeatsTable, CalibrationLevel);
}

/// <summary>
/// Compares predictors on measured subnets:
/// <list type="bullet">
/// <item><c>lut</c>: the lookup table as stored (its constants were fitted on its own calibration subnets);</item>
/// <item><c>lut-loo</c>: the table's layer sums with its per-model constants (<see cref="LatencyCalibration.DefaultFit"/>) refitted
/// leave-one-out on the measured subnets (fewer constants where the measurements cannot carry them, <see cref="LatencyCalibration.Fit"/>);</item>
/// <item><c>flops</c>: the FLOPs proxy, a line fitted leave-one-out on the measured subnets;</item>
/// <item><c>recalibrated</c> (when the table names its calibration subnets): the table's per-model constants refitted on
/// its own calibration subnets timed again in the same rounds as the measured ones — a table whose level follows the
/// machine's speed of the moment, still judged only on subnets its constants never saw;</item>
/// <item><c>pooled</c> (when the table keeps its calibration timings and this is the machine it was profiled on): the
/// constants refitted on the kept timings and those of the <c>recalibrated</c> row together (<see cref="LatencyCalibration.Pool"/>),
/// the table <c>validate --recalibrate</c> and the quickstart save;</item>
/// <item><c>remeasured</c> (optional): a second, independent measurement of the same subnets — the measurement's own
/// repeatability, which bounds what any predictor can reach.</item>
/// </list>
/// Leave-one-out: each subnet is predicted by constants fitted on all the others, so no prediction has seen its own
/// measurement.
/// </summary>
public static class LatencyValidation
{
    /// <summary>
    /// Validates <paramref name="table"/> on this machine: <paramref name="samples"/> subnets spread over the FLOPs range
    /// (seeded; none of the table's calibration subnets), timed with the table's own backend and thread count in <paramref name="passes"/> interleaved rounds (the
    /// fastest kept; <paramref name="protocol"/> by default: the table's own statistic), together with the table's
    /// calibration subnets (for the <c>recalibrated</c> row and <see cref="ValidationRun.CalibrationLevel"/>), then every
    /// predictor compared on them. <paramref name="remeasure"/> times them a second time (the measurement's own repeatability).
    /// Progress: (phase, done, total).
    /// </summary>
    public static ValidationRun Run(LatencyTable table, SearchSpace space, int samples, int seed, Profiling.TimingProtocol? protocol = null,
        int passes = Profiling.LatencyProfiler.ModelRounds, bool remeasure = false, IReadOnlyList<int>? resolutions = null, Action<string, int, int>? progress = null)
    {
        var lut = new LookupTablePredictor(table, space);
        var d = table.Device;
        if (!Profiling.LatencyBackends.Names.Contains(d.Backend) || d.Threads is not { } threads)
            throw new LatencyException($"{table.Source} was measured with '{d.Backend}'; validate measures with the table's own backend, which must be one of {string.Join(", ", Profiling.LatencyBackends.Names)}");
        var subnets = Subnets(table, space, samples, seed, resolutions);
        foreach (var s in subnets) lut.PredictMs(s);   // fail on a missing entry before measuring anything
        protocol ??= Profiling.TimingProtocol.WholeModel(threads, d.Quantile ?? 0.5);
        using var backend = Profiling.LatencyBackends.Create(d.Backend, threads);
        var profiler = new Profiling.LatencyProfiler(backend, space, protocol);
        var machine = profiler.NewDevice().Machine;
        var load = Profiling.MachineInfo.LoadAverage();
        var calibration = table.CalibrationSubnets.Select(key => Subnet.Parse(key, space)).ToArray();
        var timed = profiler.MeasureModels([.. subnets, .. calibration], passes, progress);
        var (measured, recalibration) = (timed.Take(subnets.Count).ToArray(), timed.Skip(subnets.Count).ToArray());
        var remeasured = remeasure ? profiler.MeasureModels(subnets, passes, (phase, done, total) => progress?.Invoke($"again: {phase}", done, total)) : null;
        var sameMachine = machine == d.Machine;
        var recalibrated = recalibration.Length == 0 ? null : LatencyCalibration.Pool(table, space, recalibration, pool: sameMachine).Table;
        var pooled = sameMachine && table.CalibrationMs.Count > 0 ? recalibrated : null;
        var comparisons = Compare(lut, space, measured, remeasured, recalibration, pooled);
        var rows = comparisons.Select(c => c.Report).ToArray();
        var level = recalibration.Length == 0 ? (double?)null : Statistics.Median(recalibration.Select(m => m.LatencyMs / lut.PredictMs(m.Subnet)));
        var agreement = RoundAgreement.Of(measured);
        return new ValidationRun(comparisons, measured, agreement, Verdict(rows, level, agreement), FlopsBeatsTable(rows), protocol,
            Profiling.LatencyBackends.DeviceName(backend), sameMachine ? null : machine, load, Profiling.MachineInfo.LoadAverage(), level, recalibrated);
    }

    /// <summary>
    /// The subnets a validation measures: <see cref="LatencySubnets.Spread"/> without the table's calibration subnets
    /// (the min and max subnets always are among them), so a table is judged only on subnets its constants never saw —
    /// unless the space has too few others, as a toy space may: then calibration subnets fill up to
    /// <paramref name="samples"/> after every unseen one (<see cref="Unseen"/> counts them).
    /// </summary>
    public static IReadOnlyList<Subnet> Subnets(LatencyTable table, SearchSpace space, int samples, int seed, IReadOnlyList<int>? resolutions = null)
    {
        var calibration = table.CalibrationSubnets.ToHashSet(StringComparer.Ordinal);
        var drawn = LatencySubnets.Spread(space, samples + calibration.Count, seed, resolutions?.ToArray());
        return drawn.Where(s => !calibration.Contains(s.Key)).Concat(drawn.Where(s => calibration.Contains(s.Key))).Take(samples).ToArray();
    }

    /// <summary>How many of <paramref name="subnets"/> are not among <paramref name="table"/>'s calibration subnets.</summary>
    public static int Unseen(LatencyTable table, IEnumerable<Subnet> subnets) =>
        subnets.Count(s => !table.CalibrationSubnets.Contains(s.Key, StringComparer.Ordinal));

    /// <summary>
    /// The predictors' rows on <paramref name="measured"/>; <paramref name="remeasured"/> (the same subnets timed again) adds the
    /// <c>remeasured</c> row, <paramref name="recalibration"/> (the table's calibration subnets timed in the same rounds) the
    /// <c>recalibrated</c> row, <paramref name="pooled"/> (the table refitted on all its calibration timings) the <c>pooled</c> row.
    /// </summary>
    public static IReadOnlyList<PredictorComparison> Compare(LookupTablePredictor lut, SearchSpace space,
        IReadOnlyList<ModelMeasurement> measured, IReadOnlyList<ModelMeasurement>? remeasured = null, IReadOnlyList<ModelMeasurement>? recalibration = null,
        LatencyTable? pooled = null)
    {
        if (measured.Count < 3) throw new LatencyException($"validation needs at least 3 measured subnets, got {measured.Count}");
        var actual = measured.Select(m => m.LatencyMs).ToArray();
        PredictorComparison Row(string name, double[] predicted) => new(ValidationReport.Compute(name, predicted, actual), predicted);
        var rows = new List<PredictorComparison>
        {
            Row("lut", measured.Select(m => lut.PredictMs(m.Subnet)).ToArray()),
            Row("lut-loo", LeaveOneOut(measured, rest => new LookupTablePredictor(LatencyCalibration.Fit(lut.Table, space, rest, LatencyCalibration.DefaultFit).Table, space))),
            Row("flops", LeaveOneOut(measured, rest => FlopsProxyPredictor.Fit(space, lut.Device, rest))),
        };
        if (recalibration is { Count: > 0 })
        {
            var now = new LookupTablePredictor(LatencyCalibration.Fit(lut.Table, space, recalibration, LatencyCalibration.DefaultFit).Table, space);
            rows.Add(Row("recalibrated", measured.Select(m => now.PredictMs(m.Subnet)).ToArray()));
        }
        if (pooled is not null)
        {
            var all = new LookupTablePredictor(pooled, space);
            rows.Add(Row("pooled", measured.Select(m => all.PredictMs(m.Subnet)).ToArray()));
        }
        if (remeasured is not null)
        {
            if (!remeasured.Select(m => m.Subnet).SequenceEqual(measured.Select(m => m.Subnet)))
                throw new LatencyException("the remeasured subnets differ from the measured ones");
            rows.Add(Row("remeasured", remeasured.Select(m => m.LatencyMs).ToArray()));
        }
        return rows;
    }

    /// <summary>A mean signed error of the stored table at least this large (percent) is reported as drift since calibration.</summary>
    public const double DriftPercent = 5;

    /// <summary>Whether the FLOPs proxy predicts these subnets better (lower MAPE) than the table as stored.</summary>
    public static bool FlopsBeatsTable(IReadOnlyList<ValidationReport> reports) =>
        Report(reports, "flops").MapePercent < Report(reports, "lut").MapePercent;

    /// <summary>
    /// One plain sentence on the table against the FLOPs proxy, by MAPE, as stored and refitted; with
    /// <paramref name="calibrationLevel"/> (<see cref="ValidationRun.CalibrationLevel"/>) how the machine's speed moved,
    /// and with <paramref name="agreement"/> whether a busy machine, rather than the table, may explain a loss.
    /// </summary>
    public static string Verdict(IReadOnlyList<ValidationReport> reports, double? calibrationLevel = null, RoundAgreement? agreement = null)
    {
        var (lut, loo, flops) = (Report(reports, "lut"), Report(reports, "lut-loo"), Report(reports, "flops"));
        var recalibrated = reports.FirstOrDefault(r => r.Predictor == "recalibrated");
        var figures = string.Create(CultureInfo.InvariantCulture,
            $"MAPE {flops.MapePercent:F1} % for the FLOPs proxy, {lut.MapePercent:F1} % for the table as stored, {loo.MapePercent:F1} % refitted")
            + (recalibrated is null ? "" : string.Create(CultureInfo.InvariantCulture,
                $", {recalibrated.MapePercent:F1} % recalibrated on its own calibration subnets timed now ({recalibrated.Within10 * 100:F0} % within ±10 %)"));
        // A stored table off by the same share on every subnet while its refit is fine: the machine's speed moved since
        // calibration; its own calibration subnets, timed again beside the others, measure by how much.
        var (off, measuredOn) = calibrationLevel is { } level ? (100 * (1 / level - 1), "on its calibration subnets") : (lut.BiasPercent, "on average");
        var drift = Math.Abs(off) >= DriftPercent
            ? string.Create(CultureInfo.InvariantCulture, $"as stored it predicts {Math.Abs(off):F1} % too {(off > 0 ? "high" : "low")} {measuredOn}: this machine runs {(off > 0 ? "faster" : "slower")} now than when the table was calibrated")
            : null;
        if (!FlopsBeatsTable(reports))
            return $"the lookup table beats the FLOPs proxy on this machine ({figures})" + (drift is null ? "" : $"; {drift}: validate with --recalibrate to refit it on these timings too, or profile again (only the calibration is redone)");
        // Even refitted the table loses: its layers do not add up to whole models here — unless the timings themselves
        // came from a busy machine, where they may not repeat and judge neither predictor (session 22's quickstart).
        return $"the FLOPs proxy beats the lookup table on this machine ({figures}): "
            + (loo.MapePercent < flops.MapePercent
                ? (drift ?? "its per-model constants no longer fit") + "; validate with --recalibrate to refit it on these timings too, or profile again (only the calibration is redone)"
                : agreement is { Steady: false } busy
                    ? $"the machine was busy while measuring ({busy.Describe()}), so these timings may not repeat: validate again when it is quieter, and profile again only if the proxy still wins"
                    : "its layer entries do not add up to whole models here; search with this table's device only after profiling it again");
    }

    private static ValidationReport Report(IReadOnlyList<ValidationReport> reports, string predictor) =>
        reports.FirstOrDefault(r => r.Predictor == predictor) ?? throw new LatencyException($"no '{predictor}' row in the validation");

    /// <summary>Predicts each measurement with a predictor fitted on all the other measurements.</summary>
    public static double[] LeaveOneOut(IReadOnlyList<ModelMeasurement> measured, Func<IReadOnlyList<ModelMeasurement>, ILatencyPredictor> fit) =>
        measured.Select((m, i) => fit(measured.Where((_, j) => j != i).ToArray()).PredictMs(m.Subnet)).ToArray();

    /// <summary>Writes the measurements as the model section of a latency CSV (docs/latency-csv.md).</summary>
    public static void SaveMeasurements(string path, string device, SearchSpace space, IEnumerable<ModelMeasurement> measured)
    {
        var text = new StringBuilder($"# device: {device}\n# space: {space.Name}\nmodel_key,latency_ms\n");
        foreach (var m in measured) text.Append(CultureInfo.InvariantCulture, $"{m.Subnet.Key},{m.LatencyMs:R}\n");
        AtomicFile.WriteAllText(path, text.ToString());
    }
}
