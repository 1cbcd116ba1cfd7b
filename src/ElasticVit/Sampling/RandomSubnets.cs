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
        var resolution = Pick(space.Resolutions, floor?.Resolution ?? 0, rng);
        var stem = new StemConfig(
            Pick(space.Stem.Widths, floor?.Stem.Width ?? 0, rng),
            rng.Next(Math.Max(space.Stem.MinDepth, floor?.Stem.Depth ?? 0), space.Stem.MaxDepth + 1),
            Pick(space.Stem.Kernels, floor?.Stem.Kernel ?? 0, rng));
        var stages = new StageConfig[space.Stages.Count];
        var previousWidth = stem.Width;
        for (var i = 0; i < stages.Length; i++)
        {
            var s = space.Stages[i];
            var f = floor?.Stages[i];
            var width = Pick(s.Widths, Math.Max(previousWidth, f?.Width ?? 0), rng);
            var depth = rng.Next(Math.Max(s.MinDepth, f?.Depth ?? 0), s.MaxDepth + 1);
            stages[i] = s.Kind == StageKind.MbConv
                ? StageConfig.MbConv(s.Name, width, depth, Pick(s.Expansions, f?.Expansion ?? 0, rng), Pick(s.Kernels, f?.Kernel ?? 0, rng))
                : StageConfig.Transformer(s.Name, width, depth, Pick(s.MlpRatios, f?.MlpRatio ?? 0, rng), Pick(s.VScales, f?.VScale ?? 0, rng), space.HeadDim);
            previousWidth = width;
        }
        return new Subnet(resolution, stem, stages);
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
