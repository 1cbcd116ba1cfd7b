using ElasticVit.IO;
using System.Text;
using System.Text.Json;

namespace ElasticVit.Latency;

/// <summary>Typed, path-aware reading of one JSON object of a latency file; every failure names file and field.</summary>
internal sealed class StrictJson(JsonElement element, string source, string path = "")
{
    /// <summary>The largest latency file read (a table of every layer of a large space is a few MB).</summary>
    public const long MaxFileBytes = 64L << 20;

    public static T Parse<T>(string file, Func<StrictJson, T> read)
    {
        var text = InputFile.ReadText(file, MaxFileBytes, m => new LatencyException(m));
        using (var doc = InputFile.ObjectDocument(text, file, m => new LatencyException(m)))
            return read(new StrictJson(doc.RootElement, file));
    }

    public LatencyException Fail(string field, string problem) => new($"{source}: field '{Join(field)}': {problem}");

    private string Join(string field) => path.Length == 0 ? field : $"{path}.{field}";

    public void AllowOnly(params string[] allowed)
    {
        foreach (var p in element.EnumerateObject())
            if (!allowed.Contains(p.Name)) throw Fail(p.Name, $"unknown key (allowed: {string.Join(", ", allowed)})");
    }

    public bool Has(string field) => element.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null;

    private JsonElement Get(string field, JsonValueKind kind)
    {
        if (!element.TryGetProperty(field, out var v)) throw Fail(field, "missing");
        if (v.ValueKind != kind) throw Fail(field, $"expected {kind.ToString().ToLowerInvariant()}, got {v.ValueKind.ToString().ToLowerInvariant()}");
        return v;
    }

    public string String(string field) => Get(field, JsonValueKind.String).GetString()!;
    public string OptionalString(string field) => Has(field) ? String(field) : "";

    /// <summary>A finite number ≥ <paramref name="min"/>.</summary>
    public double Double(string field, double min = double.NegativeInfinity)
    {
        var v = Get(field, JsonValueKind.Number).GetDouble();
        if (!double.IsFinite(v) || v < min) throw Fail(field, $"expected a finite number ≥ {min}, got {v}");
        return v;
    }

    public double? OptionalDouble(string field, double min = double.NegativeInfinity) => Has(field) ? Double(field, min) : null;

    public int? OptionalPositiveInt(string field)
    {
        if (!Has(field)) return null;
        var v = Get(field, JsonValueKind.Number);
        return v.TryGetInt32(out var i) && i > 0 ? i : throw Fail(field, $"expected a positive integer, got {v.GetRawText()}");
    }

    /// <summary>An optional array of strings (empty when absent).</summary>
    public IReadOnlyList<string> OptionalStrings(string field)
    {
        if (!Has(field)) return [];
        var items = Get(field, JsonValueKind.Array).EnumerateArray().ToArray();
        return items.All(v => v.ValueKind == JsonValueKind.String)
            ? items.Select(v => v.GetString()!).ToArray()
            : throw Fail(field, "expected an array of strings");
    }

    /// <summary>An optional array of arrays of positive numbers (empty when absent).</summary>
    public IReadOnlyList<IReadOnlyList<double>> OptionalPositiveRows(string field)
    {
        if (!Has(field)) return [];
        return Get(field, JsonValueKind.Array).EnumerateArray().Select(row => row.ValueKind == JsonValueKind.Array
                && row.EnumerateArray().All(v => v.ValueKind == JsonValueKind.Number && v.GetDouble() > 0 && double.IsFinite(v.GetDouble()))
            ? (IReadOnlyList<double>)row.EnumerateArray().Select(v => v.GetDouble()).ToArray()
            : throw Fail(field, "expected an array of arrays of positive numbers")).ToArray();
    }

    public StrictJson Object(string field) => new(Get(field, JsonValueKind.Object), source, Join(field));

    public IEnumerable<(string Name, StrictJson Value)> Properties()
    {
        foreach (var p in element.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Object) throw Fail(p.Name, $"expected object, got {p.Value.ValueKind.ToString().ToLowerInvariant()}");
            yield return (p.Name, new StrictJson(p.Value, source, Join(p.Name)));
        }
    }
}
