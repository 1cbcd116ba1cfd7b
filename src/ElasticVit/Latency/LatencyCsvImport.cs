using ElasticVit.IO;
using System.Globalization;
using System.Text.RegularExpressions;
using ElasticVit.Spaces;

namespace ElasticVit.Latency;

/// <summary>A latency CSV file: the table it defines and the whole-model measurements it lists.</summary>
public sealed record LatencyCsv(LatencyTable Table, IReadOnlyList<ModelMeasurement> Models);

/// <summary>
/// Imports per-layer latencies measured elsewhere (phones, other runtimes) from the CSV schema of docs/latency-csv.md:
/// <c># key: value</c> metadata comments, a <c>layer_key,latency_ms[,runs][,iqr_ms]</c> section and an optional
/// <c>model_key,latency_ms</c> section whose whole-model rows fit the table's overhead (median residual).
/// Every bad line fails with a one-line <see cref="LatencyException"/> naming file and line number.
/// </summary>
public static partial class LatencyCsvImport
{
    public static readonly IReadOnlyList<string> MetadataKeys = ["device", "space", "backend", "threads", "runtime_version", "machine", "date", "notes"];
    private static readonly string[] LayerColumns = ["layer_key", "latency_ms", "runs", "iqr_ms"];
    private static readonly string[] ModelColumns = ["model_key", "latency_ms"];

    [GeneratedRegex(@"^#\s*([a-z_]+)\s*:\s*(.*)$")] private static partial Regex MetadataLine();

    /// <summary>The table of a CSV file; see <see cref="Read"/>.</summary>
    public static LatencyTable Import(string csvPath, string? deviceName = null, SearchSpace? space = null) =>
        Read(csvPath, deviceName, space).Table;

    /// <summary>
    /// Reads a CSV file. The device name is <paramref name="deviceName"/> if given, else the <c># device:</c> comment;
    /// the space is <paramref name="space"/> if given, else the built-in space named by <c># space:</c>.
    /// </summary>
    public static LatencyCsv Read(string csvPath, string? deviceName = null, SearchSpace? space = null)
    {
        var lines = InputFile.ReadText(csvPath, StrictJson.MaxFileBytes, m => new LatencyException(m)).ReplaceLineEndings("\n").Split('\n');
        var csv = new Reader(csvPath, lines);
        var meta = csv.Metadata();
        string? Meta(string key) => meta.TryGetValue(key, out var m) ? m.Value : null;
        var name = deviceName ?? Meta("device")
            ?? throw new LatencyException($"{csvPath}: no device name: pass one or add a '# device: NAME' line");
        space ??= Meta("space") is { } spaceName
            ? LoadSpace(spaceName, csvPath)
            : throw new LatencyException($"{csvPath}: no search space: pass one or add a '# space: NAME' line");
        if (meta.TryGetValue("space", out var declared) && declared.Value != space.Name)
            throw csv.Fail(declared.Line, $"the file declares space '{declared.Value}' but is imported for '{space.Name}'");
        int? threads = meta.TryGetValue("threads", out var t) ? (int)csv.Number(t.Value, "threads", t.Line, integer: true) : null;
        var device = new DeviceInfo(name, space.Name, Meta("backend") ?? "", threads, Meta("runtime_version") ?? "",
            Meta("machine") ?? "", Meta("date") ?? "", Meta("notes") ?? "");

        var (entries, models) = csv.Rows(space);
        var table = new LatencyTable(device, entries) { Source = csvPath };
        var measured = models.Select(m => m.Model).ToArray();
        return new LatencyCsv(measured.Length > 0 ? LatencyCalibration.FitOverhead(table, space, measured) : table, measured);
    }

    private static SearchSpace LoadSpace(string name, string csvPath)
    {
        try { return SpaceLoader.Load(name); }
        catch (SpaceException e) { throw new LatencyException($"{csvPath}: # space: {e.Message}"); }
    }

    /// <summary>Line-by-line parsing; line numbers are 0-based inside and 1-based in messages.</summary>
    private sealed class Reader(string path, string[] lines)
    {
        public LatencyException Fail(int line, string problem) => new($"{path}:{line + 1}: {problem}");

        /// <summary>Every <c># key: value</c> comment whose key is a single word; unknown or repeated keys are errors.</summary>
        public Dictionary<string, (string Value, int Line)> Metadata()
        {
            var meta = new Dictionary<string, (string, int)>(StringComparer.Ordinal);
            for (var i = 0; i < lines.Length; i++)
            {
                var m = MetadataLine().Match(lines[i].Trim());
                if (!m.Success) continue;
                var key = m.Groups[1].Value;
                if (!MetadataKeys.Contains(key)) throw Fail(i, $"unknown metadata '{key}' (known: {string.Join(", ", MetadataKeys)})");
                if (m.Groups[2].Value.Trim().Length == 0) continue;   // a template's blank field: absent
                if (!meta.TryAdd(key, (m.Groups[2].Value.Trim(), i))) throw Fail(i, $"metadata '{key}' is given twice");
            }
            return meta;
        }

        public (Dictionary<string, LatencyEntry> Entries, List<(ModelMeasurement Model, int Line)> Models) Rows(SearchSpace space)
        {
            var required = LatencyTable.RequiredKeys(space).ToHashSet(StringComparer.Ordinal);
            var entries = new Dictionary<string, LatencyEntry>(StringComparer.Ordinal);
            var entryLines = new Dictionary<string, int>(StringComparer.Ordinal);
            var models = new List<(ModelMeasurement Model, int Line)>();
            string[]? columns = null;
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                var fields = line.Split(',').Select(f => f.Trim()).ToArray();
                if (fields[0] is "layer_key" or "model_key")
                {
                    columns = Header(fields, i);
                    continue;
                }
                if (columns is null) throw Fail(i, "data before a header line 'layer_key,latency_ms[,runs][,iqr_ms]' or 'model_key,latency_ms'");
                if (fields.Length != columns.Length) throw Fail(i, $"{fields.Length} fields, the header has {columns.Length}");
                string Field(string column) => Array.IndexOf(columns, column) is var at and >= 0 ? fields[at] : "";
                var ms = Number(Field("latency_ms"), "latency_ms", i, integer: false);
                if (columns[0] == "layer_key")
                {
                    var key = LayerKey(Field("layer_key"), i);
                    if (!required.Contains(key)) throw Fail(i, $"'{key}' is not a layer of {space.Name}");
                    if (!entryLines.TryAdd(key, i)) throw Fail(i, $"layer '{key}' is listed twice (first on line {entryLines[key] + 1})");
                    var (runs, iqr) = (Field("runs"), Field("iqr_ms"));
                    entries[key] = new LatencyEntry(ms,
                        runs.Length > 0 ? (int)Number(runs, "runs", i, integer: true) : null,
                        iqr.Length > 0 ? Number(iqr, "iqr_ms", i, integer: false) : null);
                }
                else
                {
                    if (ms <= 0) throw Fail(i, "a model's latency_ms must be positive");
                    var model = new ModelMeasurement(Model(Field("model_key"), space, i), ms);
                    if (models.FindIndex(m => m.Model.Subnet == model.Subnet) is var first and >= 0)
                        throw Fail(i, $"model '{model.Subnet.Key}' is listed twice (first on line {models[first].Line + 1})");
                    models.Add((model, i));
                }
            }
            foreach (var (model, line) in models)
                if (LayerPlan.Of(space, model.Subnet).FirstOrDefault(l => !entries.ContainsKey(l.Key)) is { } missing)
                    throw Fail(line, $"model '{model.Subnet.Key}' has layer '{missing.Key}', which the file does not list");
            return (entries, models);
        }

        private string[] Header(string[] columns, int line)
        {
            var allowed = columns[0] == "layer_key" ? LayerColumns : ModelColumns;
            foreach (var c in columns.Where(c => !allowed.Contains(c)))
                throw Fail(line, $"unknown column '{c}' in a {columns[0]} header (allowed: {string.Join(", ", allowed)})");
            if (columns.Distinct().Count() != columns.Length) throw Fail(line, "a column is named twice");
            if (!columns.Contains("latency_ms")) throw Fail(line, "the header has no latency_ms column");
            return columns;
        }

        /// <summary>A layer key, or the export file name of one (anything without ':').</summary>
        private string LayerKey(string text, int line)
        {
            if (text.Contains(':')) return LayerKeys.IsWellFormed(text) ? text : throw Fail(line, $"'{text}' is not a layer key");
            try { return LayerKeys.KeyOfFileName(text); }
            catch (LatencyException e) { throw Fail(line, e.Message); }
        }

        private Subnet Model(string key, SearchSpace space, int line)
        {
            try { return Subnet.Parse(key, space); }
            catch (SpaceException e) { throw Fail(line, e.Message); }
        }

        /// <summary>A finite number ≥ 0, or a positive integer.</summary>
        public double Number(string text, string column, int line, bool integer)
        {
            if (integer)
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                    ? n : throw Fail(line, $"{column} '{text}' is not a positive integer");
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v >= 0
                ? v : throw Fail(line, $"{column} '{text}' is not a finite number ≥ 0");
        }
    }
}
