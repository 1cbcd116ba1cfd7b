using ElasticVit.Spaces;

namespace ElasticVit.Latency;

/// <summary>
/// nn-Meter-style prediction: <c>(Scale + ScalePerMParam · params (M)) · Σ table[layer] + MsPerMParam · params (M) + MsPerMflop · FLOPs (M) + MsPerLayer · layers + OverheadMs</c> over the layers of
/// the subnet's <see cref="LayerPlan"/>. The table's string keys are interned once as <see cref="LayerSpec"/> records, so a
/// prediction formats no strings: it builds the plan and does one hash lookup per layer. Immutable and thread-safe.
/// </summary>
public sealed class LookupTablePredictor : ILatencyPredictor
{
    private readonly Dictionary<LayerSpec, (double Ms, Cost Cost)> _layers = [];

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
            if (table.Entries.TryGetValue(layer.Key, out var entry)) _layers[layer] = (entry.Ms, Complexity.Of(layer));
    }

    public double PredictMs(Subnet subnet)
    {
        var (sumMs, cost, layers) = LayerSums(subnet);
        return (Table.Scale + Table.ScalePerMParam * cost.ParamsM) * sumMs + Table.MsPerMParam * cost.ParamsM + Table.MsPerMflop * cost.FlopsM + Table.MsPerLayer * layers + Table.OverheadMs;
    }

    /// <summary>
    /// This predictor, if it predicts a positive latency for the space's min subnet: a fitted overhead may be negative (an
    /// intercept), but a table whose overhead outweighs the smallest subnet's layers cannot be searched with.
    /// </summary>
    public LookupTablePredictor RequirePlausible()
    {
        var ms = PredictMs(Space.MinSubnet);
        return ms > 0 ? this : throw new LatencyException($"latency table {Table.Source} ({Device}) predicts {ms:G4} ms for the min subnet {Space.MinSubnet.Key}: its overhead_ms {Table.OverheadMs:G4} outweighs the layers");
    }

    /// <summary>The plain sum of the subnet's table entries, in forward order (no per-model constants).</summary>
    public double LayerSumMs(Subnet subnet) => LayerSums(subnet).Ms;

    /// <summary>The subnet's table entries and its cost (MACs, parameters), each summed over its layers in one walk of the plan, and its layer count.</summary>
    internal (double Ms, Cost Cost, int Layers) LayerSums(Subnet subnet)
    {
        var (ms, cost, layers) = (0.0, new Cost(0, 0), 0);
        foreach (var layer in LayerPlan.Of(Space, subnet))
        {
            if (!_layers.TryGetValue(layer, out var entry))
                throw new LatencyException($"latency table {Table.Source} ({Device}) has no entry for layer '{layer.Key}' of subnet {subnet.Key}");
            ms += entry.Ms;
            cost += entry.Cost;
            layers++;
        }
        return (ms, cost, layers);
    }
}
