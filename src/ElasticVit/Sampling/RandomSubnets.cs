using ElasticVit.Spaces;

namespace ElasticVit.Sampling;

/// <summary>
/// Draws random subnets of a space, uniformly per dimension, optionally inside the sub-space that
/// dominates a floor subnet (every dimension ≥ the floor's). Widths are drawn stage by stage among
/// the choices that keep widths non-decreasing, so every draw is valid.
/// </summary>
public static class RandomSubnets
{
    public static Subnet Draw(SearchSpace space, Random rng, Subnet? floor = null)
    {
        Span<int> values = stackalloc int[ValueCount(space)];
        DrawValues(space, rng, floor, values);
        return Build(space, values);
    }

    /// <summary>
    /// Number of values of a subnet in the flat layout used by rejection sampling, which allocates nothing per try:
    /// resolution, stem width, depth, kernel, then per stage width, depth and the two per-stage choices
    /// (expansion and kernel, or MLP ratio and V scale).
    /// </summary>
    internal static int ValueCount(SearchSpace space) => 4 + 4 * space.Stages.Count;

    internal static void DrawValues(SearchSpace space, Random rng, Subnet? floor, Span<int> values)
    {
        values[0] = Pick(space.Resolutions, floor?.Resolution ?? 0, rng);
        values[1] = Pick(space.Stem.Widths, floor?.Stem.Width ?? 0, rng);
        values[2] = rng.Next(Math.Max(space.Stem.MinDepth, floor?.Stem.Depth ?? 0), space.Stem.MaxDepth + 1);
        values[3] = Pick(space.Stem.Kernels, floor?.Stem.Kernel ?? 0, rng);
        var previousWidth = values[1];
        for (var i = 0; i < space.Stages.Count; i++)
        {
            var s = space.Stages[i];
            var f = floor?.Stages[i];
            var v = values.Slice(4 + 4 * i, 4);
            v[0] = Pick(s.Widths, Math.Max(previousWidth, f?.Width ?? 0), rng);
            v[1] = rng.Next(Math.Max(s.MinDepth, f?.Depth ?? 0), s.MaxDepth + 1);
            if (s.Kind == StageKind.MbConv)
            {
                v[2] = Pick(s.Expansions, f?.Expansion ?? 0, rng);
                v[3] = Pick(s.Kernels, f?.Kernel ?? 0, rng);
            }
            else
            {
                v[2] = Pick(s.MlpRatios, f?.MlpRatio ?? 0, rng);
                v[3] = Pick(s.VScales, f?.VScale ?? 0, rng);
            }
            previousWidth = v[0];
        }
    }

    internal static Subnet Build(SearchSpace space, ReadOnlySpan<int> values)
    {
        var stages = new StageConfig[space.Stages.Count];
        for (var i = 0; i < stages.Length; i++)
        {
            var s = space.Stages[i];
            var v = values.Slice(4 + 4 * i, 4);
            stages[i] = s.Kind == StageKind.MbConv
                ? StageConfig.MbConv(s.Name, v[0], v[1], v[2], v[3])
                : StageConfig.Transformer(s.Name, v[0], v[1], v[2], v[3], space.HeadDim);
        }
        return new Subnet(values[0], new StemConfig(values[1], values[2], values[3]), stages);
    }

    /// <summary>A uniform choice among the values ≥ <paramref name="atLeast"/> (the largest value if none is).</summary>
    internal static int Pick(IReadOnlyList<int> choices, int atLeast, Random rng)
    {
        var first = 0;
        while (first < choices.Count && choices[first] < atLeast) first++;
        if (first == choices.Count) return choices[^1];
        return choices[first + rng.Next(choices.Count - first)];
    }
}
