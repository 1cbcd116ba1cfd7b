using ElasticVit.Spaces;

namespace ElasticVit.Latency;

/// <summary>
/// Loads latency lookup tables for one space, each file once (budgets often repeat a table), and refuses a table that
/// lacks any layer shape of the space, so a search cannot fail halfway on a missing entry.
/// </summary>
public sealed class LutLoader(SearchSpace space)
{
    private readonly Dictionary<string, LookupTablePredictor> _loaded = new(StringComparer.Ordinal);

    public IReadOnlyCollection<LookupTablePredictor> Loaded => _loaded.Values;

    public LookupTablePredictor Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (_loaded.TryGetValue(full, out var predictor)) return predictor;
        var table = LatencyTable.Load(path);
        predictor = new LookupTablePredictor(table, space);
        var missing = table.MissingKeys(space);
        if (missing.Count > 0)
            throw new LatencyException($"latency table {path} ({table.Device.Name}) has no entry for {missing.Count} layer shapes of {space.Name}, e.g. '{missing[0]}'");
        return _loaded[full] = predictor.RequirePlausible();
    }
}
