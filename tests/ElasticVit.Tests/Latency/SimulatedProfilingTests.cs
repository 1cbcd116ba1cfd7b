using ElasticVit.Latency;
using ElasticVit.Latency.Profiling;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Latency;

/// <summary>Profiling, calibration and validation end to end on a backend with known latencies: independent of this machine.</summary>
public class SimulatedProfilingTests
{
    private static readonly SearchSpace Space = ProfilingTestData.Tiny;

    private static (LatencyProfiler Profiler, SimulatedBackend Backend) Profiler(SimulatedBackend? backend = null)
    {
        backend ??= new SimulatedBackend();
        return (new LatencyProfiler(backend, Space, ProfilingTestData.Quick with { Timer = backend.Timer, Combination = RoundCombination.Fastest }), backend);
    }

    private static LatencyTable ProfileLayers(LatencyProfiler profiler)
    {
        var table = new LatencyTable(profiler.NewDevice(), new Dictionary<string, LatencyEntry>());
        return profiler.MeasureLayers(table, LatencyProfiler.Pending(table, LatencyTable.RequiredLayers(Space, null)), profiler.CallOverheadMs());
    }

    [Fact]
    public void Layers_timed_in_rounds_keep_their_fastest_so_a_busy_spell_inflates_no_entry()
    {
        var layers = LatencyTable.RequiredLayers(Space, null);
        // Each layer round is 1 warm-up and 2 timed runs, after the per-call cost's 1 + 2 · rounds runs; the host is three
        // times slower for the first round's second half.
        LatencyTable Profile(int rounds)
        {
            var (from, to) = (1 + 2 * rounds + 3 * (layers.Count / 2), 1 + 2 * rounds + 3 * layers.Count);
            var backend = new SimulatedBackend { Slowdown = run => run >= from && run < to ? 3 : 1 };
            var protocol = new TimingProtocol { WarmupRuns = 1, MinRuns = 2 * rounds, MinTotalMs = 0, Timer = backend.Timer };
            var profiler = new LatencyProfiler(backend, Space, protocol);
            var empty = new LatencyTable(profiler.NewDevice(), new Dictionary<string, LatencyEntry>());
            var callMs = profiler.CallOverheadMs();
            return profiler.MeasureLayers(empty, LatencyProfiler.Pending(empty, layers, rounds, seed: 4), callMs, rounds);
        }

        var once = Profile(1);
        var inflated = layers.Count(l => Math.Abs(once.Entries[l.Key].Ms - SimulatedBackend.LayerMs(l)) > 1e-6);
        Assert.Equal(layers.Count - layers.Count / 2, inflated);   // timed in the busy spell: (ms + call) · 3 − call

        var twice = Profile(2);
        foreach (var layer in layers)
        {
            var entry = twice.Entries[layer.Key];
            Assert.Equal(SimulatedBackend.LayerMs(layer), entry.Ms, 6);
            Assert.Equal((4, 2), (entry.Runs, entry.Rounds));
        }
        Assert.Equal(twice.ToJson(), LatencyTestData.SavedAndLoaded(twice).ToJson());   // rounds and runs survive saving and loading
    }

    [Fact]
    public void Pending_lists_every_round_of_a_layer_not_yet_timed_in_it_each_round_in_its_own_order()
    {
        var layers = LatencyTable.RequiredLayers(Space, null);
        var empty = new LatencyTable(new DeviceInfo("x", Space.Name), new Dictionary<string, LatencyEntry>());
        var all = LatencyProfiler.Pending(empty, layers, rounds: 3, seed: 1);
        Assert.Equal(3 * layers.Count, all.Count);
        Assert.Equal([1, 2, 3], all.Select(p => p.Round).Distinct());
        Assert.All(all.GroupBy(p => p.Round), g => Assert.Equal(layers.Select(l => l.Key).Order(), g.Select(p => p.Layer.Key).Order()));
        Assert.NotEqual(all.Where(p => p.Round == 1).Select(p => p.Layer.Key), all.Where(p => p.Round == 2).Select(p => p.Layer.Key));
        Assert.Equal(LatencyProfiler.Pending(empty, layers, 1, seed: 1), all.Where(p => p.Round == 1));

        // One layer timed twice, another once: what is left is the rest of the third round and the other rounds of the rest.
        var partial = empty with { Entries = new Dictionary<string, LatencyEntry> { [layers[0].Key] = new(1, Rounds: 2), [layers[1].Key] = new(1) } };
        var left = LatencyProfiler.Pending(partial, layers, rounds: 3, seed: 1);
        Assert.Equal(3 * layers.Count - 3, left.Count);
        Assert.Equal([3], left.Where(p => p.Layer == layers[0]).Select(p => p.Round));
        Assert.Equal([2, 3], left.Where(p => p.Layer == layers[1]).Select(p => p.Round));
    }

    [Fact]
    public void Layer_entries_are_the_layers_latency_net_of_the_per_call_cost()
    {
        var (profiler, backend) = Profiler();
        Assert.Equal(backend.CallMs, profiler.CallOverheadMs(), 12);
        var table = ProfileLayers(profiler);
        foreach (var layer in LatencyTable.RequiredLayers(Space, null))
            Assert.Equal(SimulatedBackend.LayerMs(layer), table.Entries[layer.Key].Ms, 6);
    }

    [Fact]
    public void Layers_timed_in_context_are_what_each_adds_to_a_model_so_their_sum_needs_no_scale()
    {
        var backend = new SimulatedBackend { MsPerMParam = 0 };
        var profiler = new LatencyProfiler(backend, Space, Profiler(backend).Profiler.Protocol) { LayerTiming = LayerTiming.InContext };
        var table = ProfileLayers(profiler);
        Assert.Equal(LayerTiming.InContext, table.Device.LayerTiming);
        foreach (var layer in LatencyTable.RequiredLayers(Space, null))
            Assert.Equal(backend.Scale * SimulatedBackend.LayerMs(layer), table.Entries[layer.Key].Ms, 6);   // neither the add nor the call cost

        var (fitted, _, fallback) = LatencyCalibration.Fit(table, Space, profiler.MeasureModels(LatencySubnets.Spread(Space, 6, seed: 1), passes: 2), CalibrationFit.Scale);
        Assert.Null(fallback);
        Assert.Equal(1, fitted.Scale, 5);   // 5 places: the entries are rounded to 6
        Assert.Equal(backend.OverheadMs + backend.CallMs, fitted.OverheadMs, 5);
    }

    [Fact]
    public void A_table_is_continued_only_with_the_layer_timing_it_was_started_with()
    {
        var (alone, _) = Profiler();
        var table = new LatencyTable(alone.NewDevice(), new Dictionary<string, LatencyEntry>()) { Source = "lut.json" };
        alone.CheckCanContinue(table);
        var inContext = new LatencyProfiler(alone.Backend, Space, alone.Protocol) { LayerTiming = LayerTiming.InContext };
        var e = Assert.Throws<LatencyException>(() => inContext.CheckCanContinue(table));
        Assert.Equal("lut.json has layers timed alone, not in-context: use another output file or --layer-timing alone", e.Message);
        inContext.CheckCanContinue(table with { Device = table.Device with { LayerTiming = LayerTiming.InContext } });
    }

    [Theory]
    [InlineData(CalibrationFit.Flops)]
    [InlineData(CalibrationFit.Weights)]
    [InlineData(CalibrationFit.Scale)]
    public void Calibration_recovers_the_models_constants_and_the_table_then_predicts_unseen_subnets_exactly(CalibrationFit fit)
    {
        var (profiler, backend) = Profiler(new SimulatedBackend { MsPerMParam = 0 });
        var table = ProfileLayers(profiler);
        var calibration = profiler.MeasureModels(LatencySubnets.Spread(Space, 6, seed: 1), passes: 2);
        var (fitted, description, fallback) = LatencyCalibration.Fit(table, Space, calibration, fit);
        Assert.Null(fallback);
        Assert.Equal(backend.Scale, fitted.Scale, 6);
        Assert.Equal(backend.OverheadMs + backend.CallMs, fitted.OverheadMs, 6);   // a whole model pays the per-call cost once
        Assert.Contains("scale", description);

        var validation = profiler.MeasureModels(LatencySubnets.Spread(Space, 6, seed: 9), passes: 2);
        var lut = LatencyValidation.Compare(new LookupTablePredictor(fitted, Space), Space, validation).Single(r => r.Report.Predictor == "lut");
        Assert.Equal(1.0, lut.Report.Within5);
        Assert.True(lut.Report.MapePercent < 1e-3, $"MAPE {lut.Report.MapePercent}");
    }

    [Fact]
    public void A_profiling_session_cancelled_midway_keeps_what_it_measured_and_the_next_one_completes_and_calibrates()
    {
        var (profiler, backend) = Profiler(new SimulatedBackend { MsPerMParam = 0 });
        var dir = Directory.CreateTempSubdirectory("evit-profile-").FullName;
        try
        {
            var path = Path.Combine(dir, "lut.json");
            var request = new TableProfileRequest(path, Calibration: 6, Fit: CalibrationFit.Scale, Seed: 1);
            var shapes = LatencyTable.RequiredLayers(Space, null).Count;
            using var stop = new CancellationTokenSource();
            var cancelled = Assert.Throws<OperationCanceledException>(() => TableProfiling.Run(profiler, request, new TableProfileProgress
            {
                Layer = (done, _, _) => { if (done == 3) stop.Cancel(); },
            }, stop.Token));
            Assert.Contains("interrupted after 3 layer rounds", cancelled.Message);
            Assert.Equal(3, LatencyTable.Load(path).Entries.Count);   // saved when cancelled

            int? present = null;
            var warnings = new List<string>();
            var result = TableProfiling.Run(profiler, request, new TableProfileProgress { Started = (_, already, _) => present = already, Warning = warnings.Add });
            Assert.Equal(3, present);
            Assert.Equal((shapes, 0), (result.LayerShapes, result.Missing));
            Assert.Empty(warnings);
            var saved = LatencyTable.Load(path);
            Assert.Equal(shapes, saved.Entries.Count);
            Assert.Equal(backend.Scale, saved.Scale, 6);
            Assert.Equal(ProfilingTestData.Quick.Quantile, saved.Device.Quantile);
            Assert.Contains("scale", result.Calibration);
            // The table names the subnets its constants were fitted on (LatencyValidation.Subnets leaves them out).
            Assert.Equal(LatencySubnets.Spread(Space, 6, seed: 2).Select(s => s.Key), saved.CalibrationSubnets);
            Assert.Equal(saved.CalibrationSubnets.Count, saved.CalibrationMs.Count);
            Assert.All(saved.CalibrationMs.Zip(saved.CalibrationSubnets), p => Assert.Equal(backend.ModelMs(Space, Subnet.Parse(p.Second, Space)) + backend.CallMs, Assert.Single(p.First), 4));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Recalibration_pools_every_timing_of_the_calibration_subnets_so_one_slow_moment_moves_the_table_halfway()
    {
        var (profiler, backend) = Profiler(new SimulatedBackend { MsPerMParam = 0 });
        var layers = ProfileLayers(profiler);
        var subnets = LatencySubnets.Spread(Space, 6, seed: 1);
        var atProfile = profiler.MeasureModels(subnets, passes: 2);
        var (table, _, _) = LatencyCalibration.Fit(layers, Space, atProfile, CalibrationFit.Scale);
        table = table with { CalibrationSubnets = subnets.Select(s => s.Key).ToArray(), CalibrationMs = atProfile.Select(m => (IReadOnlyList<double>)[m.LatencyMs]).ToArray() };
        // The same subnets timed again while the machine runs 20 % slower.
        var later = atProfile.Select(m => m with { LatencyMs = 1.2 * m.LatencyMs }).Reverse().ToArray();

        var (pooled, description) = LatencyCalibration.Pool(table, Space, later);
        Assert.All(pooled.CalibrationMs.Zip(atProfile), p => Assert.Equal([p.Second.LatencyMs, 1.2 * p.Second.LatencyMs], p.First));
        Assert.Contains("2 timing(s) of each", description);
        var (before, after) = (new LookupTablePredictor(table, Space), new LookupTablePredictor(pooled, Space));
        // Least squares of relative errors between a and 1.2a: the x minimising (x − 1)² + (x / 1.2 − 1)², a little below the middle.
        var between = (1 + 1 / 1.2) / (1 + 1 / 1.44);
        Assert.All(subnets, s => Assert.Equal(between, after.PredictMs(s) / before.PredictMs(s), 3));

        var (alone, _) = LatencyCalibration.Pool(table, Space, later, pool: false);   // another machine's timings replace the kept ones
        Assert.All(alone.CalibrationMs, row => Assert.Single(row));
        Assert.All(subnets, s => Assert.Equal(1.2, new LookupTablePredictor(alone, Space).PredictMs(s) / before.PredictMs(s), 3));

        Assert.Throws<LatencyException>(() => LatencyCalibration.Pool(table, Space, later.Skip(1).ToArray()));
        var rows = LatencyValidation.Compare(before, Space, later, recalibration: later, pooled: pooled).Select(r => r.Report.Predictor);
        Assert.Equal(["lut", "lut-loo", "flops", "recalibrated", "pooled"], rows);
    }

    [Fact]
    public void Validation_measures_no_calibration_subnet_unless_the_space_has_too_few_others()
    {
        var fmnist = SpaceLoader.Load("elasticvit-fmnist");
        var calibrated = LatencySubnets.Spread(fmnist, 30, seed: 2).Select(s => s.Key).ToArray();
        var table = new LatencyTable(new DeviceInfo("x", fmnist.Name), new Dictionary<string, LatencyEntry>()) { CalibrationSubnets = calibrated };
        var validated = LatencyValidation.Subnets(table, fmnist, 50, seed: 2);   // the calibration's own stream: its first 30 are excluded
        Assert.Equal(50, validated.Select(s => s.Key).Distinct().Count());
        Assert.Empty(validated.Select(s => s.Key).Intersect(calibrated));
        Assert.Equal(50, LatencyValidation.Unseen(table, validated));
        Assert.Equal(calibrated, LatencyValidation.Subnets(table with { CalibrationSubnets = [] }, fmnist, 30, seed: 2).Select(s => s.Key));

        // The tiny space has 4 subnets: calibrated on all of them, validation still gets its subnets and says none is unseen.
        var tiny = table with { Device = new DeviceInfo("x", Space.Name), CalibrationSubnets = LatencySubnets.Spread(Space, 6, seed: 2).Select(s => s.Key).ToArray() };
        var few = LatencyValidation.Subnets(tiny, Space, 4, seed: 1);
        Assert.Equal(4, few.Count);
        Assert.Equal(0, LatencyValidation.Unseen(tiny, few));
    }

    [Fact]
    public void Calibration_falls_back_to_the_overhead_when_noise_makes_the_scale_negative()
    {
        var table = ProfileLayers(Profiler().Profiler);
        var lut = new LookupTablePredictor(table, Space);
        var subnets = LatencySubnets.Spread(Space, 3, seed: 1).OrderBy(lut.LayerSumMs).ToArray();
        // The larger subnets measured faster: a least-squares scale would be negative.
        var measured = subnets.Select((s, i) => new ModelMeasurement(s, 1.0 - 0.1 * i)).ToArray();
        var (fitted, description, fallback) = LatencyCalibration.Fit(table, Space, measured, CalibrationFit.Weights);
        Assert.Contains("not positive", fallback);
        Assert.Equal(1, fitted.Scale);
        Assert.Equal(0, fitted.MsPerMParam);
        Assert.Equal(0.9 - lut.LayerSumMs(subnets[1]), fitted.OverheadMs, 9);   // the median residual
        Assert.StartsWith("overhead = median residual", description);
        Assert.Contains("not positive", description);
        // Validation refits leave-one-out on such measurements instead of failing.
        Assert.Equal(3, LatencyValidation.Compare(lut, Space, measured).Single(r => r.Report.Predictor == "lut-loo").Report.Count);
    }

    [Fact]
    public void The_fastest_of_interleaved_rounds_ignores_a_busy_spell_and_counts_it_as_unquiet_rounds()
    {
        // Each round gives each subnet 1 warm-up and 3 timed runs: runs 0-7 are round 1, 8-15 round 2, ...
        // From run 20 on (the second subnet's third round) the host is three times slower for good.
        var backend = new SimulatedBackend { Slowdown = run => run < 20 ? 1 : 3 };
        var protocol = new TimingProtocol { WarmupRuns = 1, MinRuns = 12, MinTotalMs = 0, Combination = RoundCombination.Fastest, Timer = backend.Timer };
        var measured = new LatencyProfiler(backend, Space, protocol).MeasureModels(LatencySubnets.Spread(Space, 2, seed: 3), passes: 4);
        foreach (var m in measured)
        {
            Assert.Equal(backend.ModelMs(Space, m.Subnet) + backend.CallMs, m.LatencyMs, 9);
            Assert.Equal(4, m.Timing!.Value.Rounds);
            Assert.Equal(3, m.Timing.Value.RoundSpread, 9);
        }
        Assert.Equal([3, 2], measured.Select(m => m.Timing!.Value.QuietRounds));
        Assert.Equal(2.5, RoundAgreement.Of(measured).MedianQuietRounds);
    }
}
