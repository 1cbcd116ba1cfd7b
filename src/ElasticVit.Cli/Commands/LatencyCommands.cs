using System.Globalization;
using System.Text.Json.Nodes;
using ElasticVit.Latency;
using ElasticVit.Latency.Profiling;
using ElasticVit.Spaces;

namespace ElasticVit.Cli.Commands;

/// <summary><c>latency profile|measure|predict|validate|export-layers|import</c>: lookup tables measured here or imported.</summary>
public static class LatencyCommands
{
    private static readonly OptionSpec Device = new("device", "profiling backend: torch-cpu or ort-cpu", "BACKEND", Required: true);
    private static readonly OptionSpec Threads = new("threads", "intra-op threads (1 thread is timed in thread CPU time, more in wall time)", "T", "1");
    private static readonly OptionSpec Resolutions = new("resolutions", "only these input resolutions, comma-separated (default: all of the space)", "R,R");
    private static readonly OptionSpec Lut = new("lut", "latency table JSON (from 'latency profile' or 'latency import')", "FILE", Required: true);
    private static readonly OptionSpec Seed = new("seed", "random seed", "S", "0");
    // Whole subnets are timed in many short interleaved rounds and each keeps its fastest round: a shared host's
    // slow spells last seconds to minutes, and over 16 rounds nearly every subnet meets a quiet one (bench/results/latency.md).
    private const int ModelRounds = LatencyProfiler.ModelRounds;
    private static readonly OptionSpec Passes = new("passes", "interleaved timing rounds over the subnets; each subnet's fastest round is its latency", "P", OptionSpec.Text(ModelRounds));
    private static readonly TimingProtocol DefaultProtocol = new();
    private static readonly OptionSpec[] Protocol =
    [
        new("warmup", "untimed runs before timing", "N", OptionSpec.Text(DefaultProtocol.WarmupRuns)),
        new("min-runs", "at least this many timed runs per layer or model", "N", OptionSpec.Text(DefaultProtocol.MinRuns)),
        new("min-ms", "and at least this much timed time per layer or model", "MS", OptionSpec.Text(DefaultProtocol.MinTotalMs)),
        new("quantile", "statistic of the runs inside 1.5 IQR: 0.5 is the median; 0.1 repeats far better on a shared machine (validate: the table's)", "Q"),
    ];

    public static IEnumerable<CommandSpec> All =>
    [
        new("latency profile", "measure every layer shape of a space on this machine into a lookup table (resumable)", [
            ArchCommands.Space, Device, Threads,
            new("out", "table JSON; an existing partial table is continued", "FILE", Required: true),
            Resolutions,
            new("calibration", "random subnets measured whole to fit the per-model constants", "N", "20"),
            new("fit", "constants fitted on them: 'overhead' (median residual), 'scale' (least-squares scale and overhead), 'weights' (also a term per million parameters), 'flops' (also one per million FLOPs) 'layers' (also one per layer) or 'footprint' (also a scale growing with the parameters)", "KIND", LatencyCalibration.DefaultFit.ToString().ToLowerInvariant()),
            new("layer-timing", "'alone': each layer as a model of its own; 'in-context': what each adds to a running model (two copies minus one; takes about twice as long)", "HOW", "alone"),
            new("layer-rounds", "interleaved rounds every layer is timed in, each with a share of the runs and time; the fastest round counts (a busy spell of the machine then inflates no entry)", "N", OptionSpec.Text(LatencyProfiler.DefaultLayerRounds)),
            new("limit", "measure at most N more layer rounds, then save and stop (continue later)", "N"),
            Seed, .. Protocol,
        ], RunProfile),
        new("latency measure", "measure the latency of subnets on this machine", [
            Device, Threads, ArchCommands.Space,
            new("arch", "a named model (e.g. S1), a subnet key or a subnet JSON file; repeat it to time several subnets in the same interleaved rounds", "ARCH", Required: true, Repeatable: true),
            Passes, .. Protocol, ArchCommands.Json,
        ], RunMeasure),
        new("latency predict", "predict the latency of one subnet from a lookup table", [
            Lut, new("space", "search space (default: the table's)", "NAME"), ArchCommands.Arch, ArchCommands.Json,
        ], RunPredict),
        new("latency validate", "measure random subnets and compare the lookup table with the FLOPs proxy", [
            Lut, new("space", "search space (default: the table's)", "NAME"),
            new("samples", "subnets to measure, spread over the FLOPs levels (none of the table's calibration subnets)", "N", "100"),
            Seed, Resolutions, Passes,
            new("plot", "predicted-vs-measured scatter plot (PNG) to write (default: next to the table, TABLE-validation.png)", "FILE"),
            new("save", "write the measured subnets as CSV (model_key,latency_ms)", "FILE"),
            new("remeasure", "measure every subnet a second time (fresh sessions) and report that as a predictor: the noise floor", null),
            new("recalibrate", "save the table refitted on every timing of its calibration subnets, the profile's and this run's (the 'pooled' row)", null),
            .. Protocol, ArchCommands.Json,
        ], RunValidate),
        new("latency export-layers", "write every layer shape as its own ONNX file plus a CSV template, to measure on another device", [
            ArchCommands.Space, new("out", "output folder", "DIR", Required: true), Resolutions,
            new("models", "also export N whole subnets for the CSV's model section (overhead fit)", "N", "0"), Seed,
        ], LatencyExportCommand.Run),
        new("latency import", "turn a latency CSV measured elsewhere (docs/latency-csv.md) into a lookup table", [
            new("csv", "CSV file", "FILE", Required: true),
            new("device", "device name (default: the file's '# device:')", "NAME"),
            new("out", "table JSON to write", "FILE", Required: true),
            new("space", "search space (default: the file's '# space:')", "NAME"),
        ], RunImport),
    ];

    public static IReadOnlyList<int>? ParseResolutions(ParsedArgs a)
    {
        if (a.String("resolutions") is not { } text) return null;
        var values = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
            values.Add(int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var r) && r > 0
                ? r : throw new UsageException($"--resolutions expects positive integers separated by commas, got '{text}'"));
        return values;
    }

    private static TimingProtocol ParseProtocol(ParsedArgs a, int threads, double defaultQuantile = 0.5) =>
        TimingProtocol.WholeModel(threads, a.Double("quantile") ?? defaultQuantile) with
        {
            WarmupRuns = a.Int("warmup", 0),
            MinRuns = a.Int("min-runs", 1),
            MinTotalMs = a.Double("min-ms") is double ms and >= 0 ? ms : throw new UsageException("--min-ms must be ≥ 0"),
        };

    private static string Ms(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);

    private static int RunProfile(ParsedArgs a)
    {
        var request = new TableProfileRequest(a.OutputPath("out")!, ParseResolutions(a), a.Int("calibration", 0),
            Enum.Parse<CalibrationFit>(a.Choice("fit", "overhead", "scale", "weights", "flops", "layers", "footprint"), ignoreCase: true), a.Int("seed", 0),
            a.Has("limit") ? a.Int("limit", 0) : null, a.Int("layer-rounds", 1, 100));
        var threads = a.Int("threads", 1, 256);
        var timing = LayerTimings.Parse(a.Choice("layer-timing", "alone", "in-context"));
        Profile(SpaceLoader.Load(a.RequiredString("space")), a.RequiredString("device"), threads, ParseProtocol(a, threads), request, timing);
        return 0;
    }

    /// <summary>
    /// <c>latency profile</c> without its command line, for the quickstart too: <see cref="TableProfiling.Run"/> with
    /// progress bars and a summary, and Ctrl+C saving what was measured so the same call continues it.
    /// </summary>
    public static TableProfileResult Profile(SearchSpace space, string device, int threads, TimingProtocol protocol, TableProfileRequest request,
        LayerTiming layerTiming = LayerTiming.Alone)
    {
        using var backend = LatencyBackends.Create(device, threads);
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler cancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += cancel;
        ProgressBar? layers = null, calibration = null;
        TableProfileResult result;
        try
        {
            result = TableProfiling.Run(new LatencyProfiler(backend, space, protocol) { LayerTiming = layerTiming }, request, new TableProfileProgress
            {
                Started = (shapes, present, callMs) =>
                {
                    Console.WriteLine($"{space.Name}: {shapes} layer shapes at resolutions {string.Join(",", request.Resolutions ?? space.Resolutions)}; "
                        + $"{present} already in {request.OutPath}, {shapes - present} to measure with {backend.DeviceName()} ({backend.RuntimeVersion}, "
                        + $"{TimingProtocol.Describe(protocol.Clock)}, layers timed {layerTiming.Name()}); load average {MachineInfo.LoadAverage() ?? "?"}");
                    if (layerTiming == LayerTiming.Alone) Console.WriteLine($"per-call cost {Ms(callMs * 1000)} µs (subtracted from every layer)");
                },
                Layer = (done, pending, key) => (layers ??= new ProgressBar("layers", pending)).Report(done, key),
                Calibration = (phase, done, _) => (calibration ??= new ProgressBar("calibration", request.Calibration * ModelRounds)).Report(phase == "timing" ? done : 0, phase),
                Warning = message => Console.Error.WriteLine($"warning: {message}"),
            }, stop.Token);
        }
        finally
        {
            Console.CancelKeyPress -= cancel;
        }
        var table = result.Table;
        if (result.Missing > 0)
        {
            Console.WriteLine($"{table.Entries.Count} entries in {request.OutPath} ({result.Missing} of {result.LayerShapes} layer shapes not yet timed in all {request.LayerRounds} rounds), measured in {ProgressBar.Format(result.Elapsed)}");
            Console.WriteLine("stopped early (--limit): run the same command again to continue");
        }
        else Console.WriteLine($"saved {request.OutPath}: {table.Entries.Count} entries, scale {table.Scale:F4} + {Ms(table.ScalePerMParam)} per M params, {Ms(table.MsPerMParam)} ms per M params, {Ms(table.MsPerMflop)} ms per MFLOP, {Ms(table.MsPerLayer)} ms per layer, overhead {Ms(table.OverheadMs)} ms, {ProgressBar.Format(result.Elapsed)} in total");
        return result;
    }

    private static int RunMeasure(ParsedArgs a)
    {
        var space = SpaceLoader.Load(a.RequiredString("space"));
        var subnets = a.All("arch").Select(space.Resolve).ToArray();
        var threads = a.Int("threads", 1, 256);
        var protocol = ParseProtocol(a, threads);
        using var backend = LatencyBackends.Create(a.RequiredString("device"), threads);
        // The same rounds as a table's calibration and validate, so a measurement compares with their predictions.
        var measured = new LatencyProfiler(backend, space, protocol).MeasureModels(subnets, a.Int("passes", 1));
        var clock = TimingProtocol.Describe(protocol.Clock);
        if (!a.Flag("json"))
        {
            foreach (var m in measured)
            {
                var r = m.Timing!.Value;
                Console.WriteLine($"{m.Subnet.Key}: {Ms(r.Ms)} ms ({protocol.StatisticName} of the fastest of {r.Rounds} rounds, {r.QuietRounds} of them within {(TimingProtocol.QuietWithin - 1) * 100:0} %; IQR {Ms(r.IqrMs)} ms, {r.Runs} runs, {r.Rejected} outliers) on {backend.DeviceName()}, {clock}");
            }
            return 0;
        }
        var results = measured.Select(m =>
        {
            var r = m.Timing!.Value;
            return new JsonObject
            {
                ["key"] = m.Subnet.Key,
                ["latency_ms"] = r.Ms,
                ["iqr_ms"] = r.IqrMs,
                ["runs"] = r.Runs,
                ["rejected"] = r.Rejected,
                ["rounds"] = r.Rounds,
                ["quiet_rounds"] = r.QuietRounds,
                ["device"] = backend.DeviceName(),
                ["clock"] = clock,
                ["statistic"] = protocol.StatisticName,
                ["flops_m"] = Math.Round(Complexity.FlopsM(space, m.Subnet), 4),
                ["load_average"] = MachineInfo.LoadAverage(),
            };
        }).ToArray();
        // One subnet: its object; several: an array of them, in the order given.
        Console.WriteLine(results.Length == 1 ? results[0].ToJsonString() : new JsonArray(results).ToJsonString());
        return 0;
    }

    private static (LatencyTable Table, SearchSpace Space) LoadTable(ParsedArgs a)
    {
        var table = LatencyTable.Load(a.RequiredString("lut"));
        return (table, SpaceLoader.Load(a.String("space") ?? table.Device.Space));
    }

    private static int RunPredict(ParsedArgs a)
    {
        var (table, space) = LoadTable(a);
        var subnet = space.Resolve(a.RequiredString("arch"));
        var ms = new LookupTablePredictor(table, space).RequirePlausible().PredictMs(subnet);
        Console.WriteLine(a.Flag("json")
            ? new JsonObject { ["key"] = subnet.Key, ["latency_ms"] = ms, ["device"] = table.Device.Name }.ToJsonString()
            : $"{subnet.Key}: {Ms(ms)} ms predicted on {table.Device.Name}");
        return 0;
    }

    /// <summary><c>validate --recalibrate</c> and the quickstart: the validated table refitted on all its calibration timings, saved in its place.</summary>
    public static void SaveRecalibrated(ValidationRun run, LatencyTable table)
    {
        var recalibrated = run.Recalibrated ?? throw new LatencyException($"{table.Source}: no calibration subnets were timed");
        recalibrated.Save(table.Source);
        var timings = recalibrated.CalibrationMs.Count == 0 ? 0 : recalibrated.CalibrationMs[0].Count;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"recalibrated {table.Source} on {timings} timing(s) of each of its {recalibrated.CalibrationSubnets.Count} calibration subnets (this run's level: {run.CalibrationLevel:F3} of the table's prediction)"));
    }

    private static int RunValidate(ParsedArgs a)
    {
        var (csvPath, plotPath) = (a.OutputPath("save"), a.OutputPath("plot"));
        var (table, space) = LoadTable(a);
        if (a.Flag("recalibrate") && table.CalibrationSubnets.Count == 0)
            throw new UsageException($"--recalibrate: {table.Source} names no calibration subnets to time again; profile it with --calibration N");
        var threads = table.Device.Threads ?? 1;
        var run = LatencyValidation.Run(table, space, a.Int("samples", 2), a.Int("seed", 0), ParseProtocol(a, threads, table.Device.Quantile ?? 0.5),
            a.Int("passes", 1), a.Flag("remeasure"), ParseResolutions(a), ProgressBar.ForPhases("subnets"));
        if (run.OtherMachine is not null)
            Console.Error.WriteLine($"warning: {table.Source} was measured on '{table.Device.Machine}', this is '{run.OtherMachine}'");
        if (!run.Agreement.Steady)
            Console.Error.WriteLine($"warning: the machine was busy while measuring ({run.Agreement.Describe()}): "
                + "other work on this machine or its host slowed most rounds, so these measurements may not repeat: validate again when it is quieter");
        if (csvPath is not null) LatencyValidation.SaveMeasurements(csvPath, table.Device.Name, space, run.Measured);
        if (a.Flag("recalibrate")) SaveRecalibrated(run, table);
        var plot = plotPath ?? Path.ChangeExtension(table.Source, null) + "-validation.png";
        ValidationPlot.Write(plot, run, table, space);
        Console.Error.WriteLine($"plot: {plot}");
        if (a.Flag("json"))
        {
            Console.WriteLine(run.ToJson());
            if (run.FlopsBeatsTable) Console.Error.WriteLine($"warning: {run.Verdict}");
            return 0;
        }
        var unseen = LatencyValidation.Unseen(table, run.Measured.Select(m => m.Subnet));
        var unseenNote = table.CalibrationSubnets.Count == 0 ? ""
            : unseen == run.Measured.Count ? $", none of the table's {table.CalibrationSubnets.Count} calibration subnets"
            : $", {unseen} not among the table's {table.CalibrationSubnets.Count} calibration subnets (the space has no more)";
        Console.WriteLine($"{run.Measured.Count} subnets of {space.Name}{unseenNote} measured on {run.DeviceName} ({TimingProtocol.Describe(run.Protocol.Clock)}, {run.Protocol.StatisticName}, the fastest of {run.Agreement.Rounds} interleaved rounds); load average {run.LoadBefore} → {run.LoadAfter}; {run.Agreement.Describe()}");
        Console.WriteLine($"{"predictor",-12} {"within10",9} {"within5",8} {"rmse_ms",9} {"mape_%",8} {"bias_%",8} {"spearman",9}");
        foreach (var r in run.Reports)
            Console.WriteLine($"{r.Predictor,-12} {r.Within10,9:P1} {r.Within5,8:P1} {r.RmseMs,9:F4} {r.MapePercent,8:F2} {r.BiasPercent,8:+0.00;-0.00} {r.Spearman,9:F4}");
        Console.WriteLine(run.Verdict);
        return 0;
    }

    private static int RunImport(ParsedArgs a)
    {
        var space = a.String("space") is { } name ? SpaceLoader.Load(name) : null;
        var csv = LatencyCsvImport.Read(a.RequiredString("csv"), a.String("device"), space);
        var outPath = a.OutputPath("out")!;
        csv.Table.Save(outPath);
        var required = LatencyTable.RequiredKeys(space ?? SpaceLoader.Load(csv.Table.Device.Space)).Count;
        Console.WriteLine($"{outPath}: {csv.Table.Entries.Count} of {required} layer shapes of {csv.Table.Device.Space} for {csv.Table.Device.Name}, "
            + (csv.Models.Count > 0 ? $"overhead {Ms(csv.Table.OverheadMs)} ms fitted on {csv.Models.Count} models" : "no models listed (overhead 0)"));
        return 0;
    }
}
