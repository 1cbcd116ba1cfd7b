using ElasticVit.Spaces;

namespace ElasticVit.Sampling;

/// <summary>
/// FLOPs of subnets from memoised per-part counts (stem, each stage given its input, head), computed with
/// <see cref="LayerPlan"/> and <see cref="Complexity"/> on a miss. Rejection sampling evaluates thousands of
/// subnets per accepted one; this makes a try a few table lookups. Works on configs that are not valid in
/// the space (e.g. decreasing widths). Not thread-safe: one per sampler.
/// </summary>
internal sealed class FlopsCache(SearchSpace space)
{
    private readonly Dictionary<(int Resolution, int Width, int Depth, int Kernel), long> _stem = [];
    private readonly Dictionary<StageKey, (long First, long PerLayer)> _stages = [];
    private readonly Dictionary<(int Channels, int Size), long> _heads = [];
    private readonly List<LayerSpec> _scratch = [];

    public double FlopsM(Subnet subnet)
    {
        var stem = subnet.Stem;
        var macs = StemMacs(subnet.Resolution, stem.Width, stem.Depth, stem.Kernel);
        var (size, channels) = (space.StemOutSize(subnet.Resolution), stem.Width);
        for (var i = 0; i < space.Stages.Count; i++)
        {
            var s = subnet.Stages[i];
            var (a, b) = s.Kind == StageKind.MbConv ? (s.Expansion, s.Kernel) : (s.MlpRatio, s.VScale);
            macs += StageMacs(i, size, channels, s.Width, s.Depth, a, b, s.Heads);
            (size, channels) = (SearchSpace.CeilDiv(size, space.Stages[i].Stride), s.Width);
        }
        return (macs + HeadMacs(channels, size)) / 1e6;
    }

    /// <summary>
    /// FLOPs of a subnet in the flat layout of <see cref="RandomSubnets.DrawValues"/>. Stops counting once
    /// the sum exceeds <paramref name="stopAboveM"/> (every part is non-negative), returning a partial sum above it.
    /// </summary>
    public double FlopsM(ReadOnlySpan<int> values, double stopAboveM = double.PositiveInfinity)
    {
        var stop = stopAboveM * 1e6;
        var macs = StemMacs(values[0], values[1], values[2], values[3]);
        var (size, channels) = (space.StemOutSize(values[0]), values[1]);
        for (var i = 0; i < space.Stages.Count && macs <= stop; i++)
        {
            var v = values.Slice(4 + 4 * i, 4);
            var heads = space.Stages[i].Kind == StageKind.MbConv ? 0 : v[0] / space.HeadDim;
            macs += StageMacs(i, size, channels, v[0], v[1], v[2], v[3], heads);
            (size, channels) = (SearchSpace.CeilDiv(size, space.Stages[i].Stride), v[0]);
        }
        return macs > stop ? macs / 1e6 : (macs + HeadMacs(channels, size)) / 1e6;
    }

    private long StemMacs(int resolution, int width, int depth, int kernel)
    {
        if (_stem.TryGetValue((resolution, width, depth, kernel), out var macs)) return macs;
        _scratch.Clear();
        LayerPlan.AddStem(_scratch, space, resolution, new StemConfig(width, depth, kernel));
        return _stem[(resolution, width, depth, kernel)] = SumMacs();
    }

    // A stage's count is affine in its depth (its first layer differs, the others repeat), so the table
    // is keyed without the depth and stays small enough to be cache-friendly.
    private long StageMacs(int stage, int inSize, int inChannels, int width, int depth, int a, int b, int heads)
    {
        var key = new StageKey(stage, inSize, inChannels, width, a, b, heads);
        if (!_stages.TryGetValue(key, out var cost))
        {
            var one = StageMacsUncached(key, 1);
            cost = (one, StageMacsUncached(key, 2) - one);
            _stages[key] = cost;
        }
        return cost.First + (depth - 1) * cost.PerLayer;
    }

    private long StageMacsUncached(StageKey k, int depth)
    {
        var s = space.Stages[k.Stage];
        var config = s.Kind == StageKind.MbConv
            ? StageConfig.MbConv(s.Name, k.Width, depth, k.A, k.B)
            : new StageConfig(s.Name, StageKind.Transformer, k.Width, depth, 0, 0, k.A, k.B, k.Heads);
        _scratch.Clear();
        LayerPlan.AddStage(_scratch, space, k.Stage, config, k.InChannels, k.InSize);
        return SumMacs();
    }

    private long HeadMacs(int channels, int size)
    {
        if (_heads.TryGetValue((channels, size), out var macs)) return macs;
        return _heads[(channels, size)] = Complexity.Of(LayerPlan.Head(space, channels, size)).Macs;
    }

    private long SumMacs()
    {
        long macs = 0;
        foreach (var layer in _scratch) macs += Complexity.Of(layer).Macs;
        return macs;
    }

    // A record struct, not a 7-tuple of ints: cheaper to hash and compare.
    private readonly record struct StageKey(int Stage, int InSize, int InChannels, int Width, int A, int B, int Heads);
}
