using System.Diagnostics;
using System.Globalization;

namespace ElasticVit.Latency.Profiling;

/// <summary>What one profiling session is asked to do (the options of <c>latency profile</c>).</summary>
/// <param name="OutPath">The table: created, or continued when a partial one exists.</param>
/// <param name="Calibration">Random subnets timed whole to fit the per-model constants; 0 keeps the layer sums as they are.</param>
/// <param name="Limit">Measure at most this many more layer rounds, then save and stop.</param>
/// <param name="LayerRounds">Interleaved rounds every layer is timed in, the fastest kept (<see cref="LatencyProfiler.MeasureLayers"/>).</param>
public sealed record TableProfileRequest(string OutPath, IReadOnlyList<int>? Resolutions = null, int Calibration = 20,
    CalibrationFit Fit = LatencyCalibration.DefaultFit, int Seed = 0, int? Limit = null, int LayerRounds = LatencyProfiler.DefaultLayerRounds);

/// <summary>What a session reports on the way; every callback is optional.</summary>
public sealed class TableProfileProgress
{
    /// <summary>Before measuring: layer shapes of the space, those already in the table, the per-call cost subtracted (ms).</summary>
    public Action<int, int, double>? Started { get; init; }
    /// <summary>After each layer round: layer rounds done, layer rounds pending, the layer's key.</summary>
    public Action<int, int, string>? Layer { get; init; }
    /// <summary>While calibrating: phase, done, total.</summary>
    public Action<string, int, int>? Calibration { get; init; }
    public Action<string>? Warning { get; init; }
}

/// <summary>What a session did: the table as saved, the shapes not yet timed in every round (after <see cref="TableProfileRequest.Limit"/>), and how the constants were fitted.</summary>
public sealed record TableProfileResult(LatencyTable Table, int LayerShapes, int Missing, string Calibration, TimeSpan Elapsed);

/// <summary>
/// A latency table profiled on this machine: every layer shape of the space is measured in the requested rounds, those
/// the table already has skipped (saved at least every 10 s and when cancelled, so a session can always be continued), then the per-model constants are fitted
/// on calibration subnets timed whole as <c>latency validate</c> times them, with a fallback to fewer constants when the
/// calibration set does not support them (<see cref="LatencyCalibration.Fit"/>).
/// </summary>
public static class TableProfiling
{
    public static TableProfileResult Run(LatencyProfiler profiler, TableProfileRequest request, TableProfileProgress? progress = null, CancellationToken cancel = default)
    {
        progress ??= new TableProfileProgress();
        var (space, protocol, outPath) = (profiler.Space, profiler.Protocol, request.OutPath);
        var clock = Stopwatch.StartNew();
        var layers = LatencyTable.RequiredLayers(space, request.Resolutions);
        LatencyTable table;
        if (File.Exists(outPath))
        {
            table = LatencyTable.Load(outPath);
            profiler.CheckCanContinue(table);
        }
        else table = new LatencyTable(profiler.NewDevice(), new Dictionary<string, LatencyEntry>());
        if (request.LayerRounds < 1) throw new LatencyException($"layers must be timed in at least 1 round, got {request.LayerRounds}");
        var pending = LatencyProfiler.Pending(table, layers, request.LayerRounds, request.Seed);
        var callMs = profiler.CallOverheadMs();
        progress.Started?.Invoke(layers.Count, layers.Count(l => table.Entries.ContainsKey(l.Key)), callMs);

        var (done, lastSave) = (0, Stopwatch.StartNew());
        table = profiler.MeasureLayers(table, pending, callMs, request.LayerRounds, request.Limit, (t, layer) =>
        {
            progress.Layer?.Invoke(++done, pending.Count, layer.Key);
            if (lastSave.Elapsed.TotalSeconds >= 10 || cancel.IsCancellationRequested)
            {
                t.Save(outPath);
                lastSave.Restart();
            }
            if (cancel.IsCancellationRequested)
                throw new OperationCanceledException($"interrupted after {done} layer rounds; saved to {outPath}: run the same command again to continue");
        });
        table.Save(outPath);
        var unfinished = LatencyProfiler.Pending(table, layers, request.LayerRounds).Select(p => p.Layer).Distinct().Count();
        if (unfinished > 0) return new TableProfileResult(table, layers.Count, unfinished, "not yet calibrated", clock.Elapsed);

        var fitted = "no calibration";
        if (request.Calibration == 0) table = table with { OverheadMs = 0, Scale = 1, MsPerMParam = 0, MsPerMflop = 0, MsPerLayer = 0, ScalePerMParam = 0, CalibrationSubnets = [], CalibrationMs = [] };
        else
        {
            var subnets = LatencySubnets.Spread(space, request.Calibration, request.Seed + 1, request.Resolutions?.ToArray());
            var measured = profiler.MeasureModels(subnets, LatencyProfiler.ModelRounds, progress.Calibration);
            (table, fitted, var fallback) = LatencyCalibration.Fit(table, space, measured, request.Fit);
            table = table with { CalibrationSubnets = subnets.Select(s => s.Key).ToArray(), CalibrationMs = measured.Select(m => (IReadOnlyList<double>)[m.LatencyMs]).ToArray() };
            if (fallback is not null) progress.Warning?.Invoke($"{fallback}; fitting the overhead only");
            var agreement = RoundAgreement.Of(measured);
            fitted += $" ({agreement.Describe()})";
            if (!agreement.Steady)
                progress.Warning?.Invoke($"the machine was busy while timing the calibration subnets ({agreement.Describe()}); the fitted constants may carry "
                    + "that: run the same command again when it is quieter (the layers are kept, only the calibration is redone)");
        }
        table = table with
        {
            Device = table.Device with
            {
                Quantile = protocol.Quantile,
                Notes = $"{TimingProtocol.Describe(protocol.Clock)}, {protocol.StatisticName} of the runs inside 1.5 IQR ({protocol.WarmupRuns} warm-up runs, then >= {protocol.MinRuns} runs and >= {Ms(protocol.MinTotalMs)} ms per layer); "
                    + $"layers: the fastest of {request.LayerRounds} interleaved rounds; whole models: the fastest of {LatencyProfiler.ModelRounds} interleaved rounds; "
                    + (profiler.LayerTiming == LayerTiming.Alone
                        ? $"layers timed alone, net of the per-call cost ({Ms(callMs * 1000)} us in the last run); "
                        : $"layers timed in context: two copies on one input minus one, the fastest of {LatencyProfiler.InContextRounds} interleaved rounds; ")
                    + fitted + $"; load average {MachineInfo.LoadAverage() ?? "?"}",
            },
        };
        table.Save(outPath);
        return new TableProfileResult(table, layers.Count, 0, fitted, clock.Elapsed);
    }

    private static string Ms(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
}
