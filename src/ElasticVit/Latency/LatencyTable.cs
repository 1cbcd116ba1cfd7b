using ElasticVit.IO;
using System.Text;
using System.Text.Json;
using ElasticVit.Spaces;

namespace ElasticVit.Latency;

/// <summary>Where and how a latency table was measured. Only <see cref="Name"/> and <see cref="Space"/> are required.</summary>
public sealed record DeviceInfo(
    string Name,
    string Space,
    string Backend = "",
    int? Threads = null,
    string RuntimeVersion = "",
    string Machine = "",
    string Date = "",
    string Notes = "",
    double? Quantile = null,
    LayerTiming LayerTiming = LayerTiming.Alone);

/// <summary>How a table's layer entries were timed; a profile continues a table only in the same way.</summary>
public enum LayerTiming
{
    /// <summary>Each layer as a model of its own, net of the backend's per-call cost.</summary>
    Alone,

    /// <summary>
    /// What each layer adds to a model that already runs: two copies of it on one input minus one copy, timed in
    /// interleaved rounds. Cross-layer costs a layer alone does not pay (its input written just before, the runtime's
    /// handling between nodes) are in the entry; the per-call cost cancels out.
    /// </summary>
    InContext,
}

public static class LayerTimings
{
    public static string Name(this LayerTiming timing) => timing == LayerTiming.InContext ? "in-context" : "alone";

    public static LayerTiming Parse(string name) => name switch
    {
        "alone" => LayerTiming.Alone,
        "in-context" => LayerTiming.InContext,
        _ => throw new LatencyException($"unknown layer timing '{name}' (known: alone, in-context)"),
    };
}

/// <summary>
/// One measured layer: the profile's statistic over <see cref="Runs"/> repetitions and their interquartile range; when
/// the layer was timed in several interleaved rounds of the profile (<see cref="Rounds"/>, null for one), the fastest
/// round's statistic and interquartile range, and the runs of all rounds.
/// </summary>
public readonly record struct LatencyEntry(double Ms, int? Runs = null, double? IqrMs = null, int? Rounds = null)
{
    /// <summary>The rounds this entry has been timed in: 1 unless recorded.</summary>
    public int RoundsTimed => Rounds ?? 1;
}

/// <summary>
/// A latency lookup table for one device and one search space: the median milliseconds of every layer shape,
/// keyed by <see cref="LayerSpec.Key"/>, plus per-model constants fitted on whole-model measurements: a
/// <see cref="Scale"/>, an <see cref="OverheadMs"/> (what lies between layers), <see cref="MsPerMParam"/> (fetching
/// the model's weights, which stay hot in the cache while a layer is timed on its own but not in a whole forward pass),
/// <see cref="MsPerMflop"/> (what a multiply-accumulate costs inside a whole model beyond what the layers timed alone
/// say: their compute-heavy layers weigh more there) and <see cref="MsPerLayer"/> (what each layer costs in a model
/// whatever it computes: dispatching its operators and handing its output on); <see cref="ScalePerMParam"/> lets the scale
/// grow with the model's weights (every layer runs slower in a model whose weights and activations no longer stay in the
/// caches than alone, where they do).
/// A subnet's predicted latency is
/// <c>(Scale + ScalePerMParam · params (M)) · Σ entries + MsPerMParam · params (M) + MsPerMflop · FLOPs (M) + MsPerLayer · layers + OverheadMs</c>.
/// Stored as JSON (format <see cref="Format"/>) with <see cref="Load"/>/<see cref="Save"/>.
/// </summary>
public sealed record LatencyTable(DeviceInfo Device, IReadOnlyDictionary<string, LatencyEntry> Entries, double OverheadMs = 0, double Scale = 1,
    double MsPerMParam = 0, double MsPerMflop = 0, double MsPerLayer = 0, double ScalePerMParam = 0)
{
    public const string Format = "elasticvit-latency-table/1";

    /// <summary>
    /// Keys of the subnets the per-model constants were fitted on; <see cref="LatencyValidation"/> leaves them out, so a
    /// table is judged only on subnets it has not seen.
    /// </summary>
    public IReadOnlyList<string> CalibrationSubnets { get; init; } = [];

    /// <summary>
    /// Every timing of each calibration subnet (same order as <see cref="CalibrationSubnets"/>): the profile's, then each
    /// recalibration's (<see cref="LatencyCalibration.Pool"/>). Empty in tables written before they were kept.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<double>> CalibrationMs { get; init; } = [];

    /// <summary>The file this table was loaded from or imported from, for error messages.</summary>
    public string Source { get; init; } = "(in-memory latency table)";

    /// <summary>Every distinct layer shape any subnet of <paramref name="space"/> can contain, in forward order of first appearance.</summary>
    public static IReadOnlyList<LayerSpec> RequiredLayers(SearchSpace space, IEnumerable<int>? resolutions = null) =>
        RequiredLayerShapes.Of(space, resolutions);

    /// <summary>The keys of <see cref="RequiredLayers"/>: what a profiler must measure to cover the space.</summary>
    public static IReadOnlyList<string> RequiredKeys(SearchSpace space, IEnumerable<int>? resolutions = null) =>
        RequiredLayers(space, resolutions).Select(l => l.Key).ToArray();

    /// <summary>Required keys this table has no entry for.</summary>
    public IReadOnlyList<string> MissingKeys(SearchSpace space, IEnumerable<int>? resolutions = null) =>
        RequiredKeys(space, resolutions).Where(k => !Entries.ContainsKey(k)).ToArray();

    public static LatencyTable Load(string path) => StrictJson.Parse(path, root =>
    {
        root.AllowOnly("format", "device", "overhead_ms", "scale", "ms_per_mparam", "ms_per_mflop", "ms_per_layer", "scale_per_mparam", "calibration_subnets", "calibration_ms", "entries");
        var format = root.String("format");
        if (format != Format) throw root.Fail("format", $"'{format}' is not supported (expected '{Format}')");
        var d = root.Object("device");
        d.AllowOnly("name", "space", "backend", "threads", "runtime_version", "machine", "date", "notes", "quantile", "layer_timing");
        var timingName = d.OptionalString("layer_timing");
        LayerTiming timing;
        try { timing = timingName == "" ? LayerTiming.Alone : LayerTimings.Parse(timingName); }
        catch (LatencyException e) { throw d.Fail("layer_timing", e.Message); }
        var quantile = d.OptionalDouble("quantile", 0);
        if (quantile > 1) throw d.Fail("quantile", $"must be in [0, 1], got {quantile}");
        var device = new DeviceInfo(d.String("name"), d.String("space"), d.OptionalString("backend"), d.OptionalPositiveInt("threads"),
            d.OptionalString("runtime_version"), d.OptionalString("machine"), d.OptionalString("date"), d.OptionalString("notes"),
            quantile ?? QuantileInNotes(d.OptionalString("notes")), timing);
        var entries = new Dictionary<string, LatencyEntry>(StringComparer.Ordinal);
        foreach (var (key, e) in root.Object("entries").Properties())
        {
            if (!LayerKeys.IsWellFormed(key)) throw root.Fail("entries", $"'{key}' is not a layer key");
            e.AllowOnly("ms", "runs", "iqr_ms", "rounds");
            entries[key] = new LatencyEntry(e.Double("ms", 0), e.OptionalPositiveInt("runs"), e.OptionalDouble("iqr_ms", 0), e.OptionalPositiveInt("rounds"));
        }
        var scale = root.OptionalDouble("scale", 0) ?? 1;
        var msPerLayer = root.OptionalDouble("ms_per_layer", 0) ?? 0;
        if (scale == 0 && msPerLayer == 0) throw root.Fail("scale", "must be positive (or zero with a positive ms_per_layer)");
        var calibrationSubnets = root.OptionalStrings("calibration_subnets");
        var calibrationMs = root.OptionalPositiveRows("calibration_ms");
        if (calibrationMs.Count > 0 && calibrationMs.Count != calibrationSubnets.Count)
            throw root.Fail("calibration_ms", $"has {calibrationMs.Count} rows for {calibrationSubnets.Count} calibration subnets");
        return new LatencyTable(device, entries, root.OptionalDouble("overhead_ms") ?? 0, scale, root.OptionalDouble("ms_per_mparam", 0) ?? 0,
            root.OptionalDouble("ms_per_mflop", 0) ?? 0, msPerLayer, root.OptionalDouble("scale_per_mparam", 0) ?? 0)
            { Source = path, CalibrationSubnets = calibrationSubnets, CalibrationMs = calibrationMs };
    });

    /// <summary>
    /// The timing statistic that tables profiled before the <c>quantile</c> field named in their notes only
    /// ("p10 of the runs", "median of the runs"), or null.
    /// </summary>
    private static double? QuantileInNotes(string notes) =>
        System.Text.RegularExpressions.Regex.Match(notes, @"\b(?:p(\d+(?:\.\d+)?)|(median)) of the runs") is { Success: true } m
            ? m.Groups[2].Success ? 0.5 : double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) / 100
            : null;

    /// <summary>Writes the table atomically (temp file + rename); entries sorted by key so files diff well.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteStartObject("device");
            w.WriteString("name", Device.Name);
            w.WriteString("space", Device.Space);
            w.WriteString("backend", Device.Backend);
            if (Device.Threads is { } threads) w.WriteNumber("threads", threads);
            w.WriteString("runtime_version", Device.RuntimeVersion);
            w.WriteString("machine", Device.Machine);
            w.WriteString("date", Device.Date);
            w.WriteString("notes", Device.Notes);
            if (Device.Quantile is { } quantile) w.WriteNumber("quantile", quantile);
            w.WriteString("layer_timing", Device.LayerTiming.Name());
            w.WriteEndObject();
            w.WriteNumber("overhead_ms", OverheadMs);
            w.WriteNumber("scale", Scale);
            w.WriteNumber("ms_per_mparam", MsPerMParam);
            w.WriteNumber("ms_per_mflop", MsPerMflop);
            w.WriteNumber("ms_per_layer", MsPerLayer);
            w.WriteNumber("scale_per_mparam", ScalePerMParam);
            if (CalibrationSubnets.Count > 0)
            {
                w.WriteStartArray("calibration_subnets");
                foreach (var key in CalibrationSubnets) w.WriteStringValue(key);
                w.WriteEndArray();
            }
            if (CalibrationMs.Count > 0)
            {
                w.WriteStartArray("calibration_ms");
                foreach (var row in CalibrationMs)
                {
                    w.WriteStartArray();
                    foreach (var ms in row) w.WriteNumberValue(Math.Round(ms, 5));
                    w.WriteEndArray();
                }
                w.WriteEndArray();
            }
            w.WriteStartObject("entries");
            foreach (var (key, e) in Entries.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                w.WriteStartObject(key);
                w.WriteNumber("ms", e.Ms);
                if (e.Runs is { } runs) w.WriteNumber("runs", runs);
                if (e.IqrMs is { } iqr) w.WriteNumber("iqr_ms", iqr);
                if (e.Rounds is { } rounds) w.WriteNumber("rounds", rounds);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
