using ElasticVit.Spaces;

namespace ElasticVit.Latency;

/// <summary>
/// nn-Meter-style prediction: <c>Scale · Σ table[layer] + OverheadMs</c> over the layers of the subnet's
/// <see cref="LayerPlan"/>. The table's string keys are interned once as <see cref="LayerSpec"/> records, so a
/// prediction formats no strings: it builds the plan and does one hash lookup per layer. Immutable and thread-safe.
/// </summary>
public sealed class LookupTablePredictor : ILatencyPredictor
{
    private readonly Dictionary<LayerSpec, double> _layerMs = [];

    public LatencyTable Table { get; }
    public SearchSpace Space { get; }
    public string Device => Table.Device.Name;

    public LookupTablePredictor(LatencyTable table, SearchSpace space)
    {
        if (table.Device.Space != space.Name)
            throw new LatencyException($"latency table {table.Source} was measured for space '{table.Device.Space}', not '{space.Name}'");
        Table = table;
        Space = space;
        foreach (var layer in LatencyTable.RequiredLayers(space))
            if (table.Entries.TryGetValue(layer.Key, out var entry)) _layerMs[layer] = entry.Ms;
    }

    public double PredictMs(Subnet subnet) => Table.Scale * LayerSumMs(subnet) + Table.OverheadMs;

    /// <summary>The plain sum of the subnet's table entries, in forward order (no scale, no overhead).</summary>
    public double LayerSumMs(Subnet subnet)
    {
        var sum = 0.0;
        foreach (var layer in LayerPlan.Of(Space, subnet))
        {
            if (!_layerMs.TryGetValue(layer, out var ms))
                throw new LatencyException($"latency table {Table.Source} ({Device}) has no entry for layer '{layer.Key}' of subnet {subnet.Key}");
            sum += ms;
        }
        return sum;
    }
}
