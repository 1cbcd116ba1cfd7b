using ElasticVit.Spaces;

namespace ElasticVit.Sampling;

/// <summary>
/// Path preference of performance-aware sampling (METHOD.md §6): with anchor A,
/// preference(X) = FLOPs(X with A's transformer widths) − FLOPs(X with A's transformer depths).
/// Smaller means X grew from A more by width than by depth (wider, shallower ViT stages).
/// </summary>
public static class PathPreference
{
    public static double Of(SearchSpace space, Subnet x, Subnet anchor) =>
        Complexity.FlopsM(space, WithTransformerWidthsOf(x, anchor)) - Complexity.FlopsM(space, WithTransformerDepthsOf(x, anchor));

    /// <summary>
    /// <paramref name="x"/> with every transformer stage's width (and with it the heads) taken from <paramref name="anchor"/>.
    /// The result may break the space's rules (e.g. widths no longer increase); it is only counted, never validated.
    /// </summary>
    public static Subnet WithTransformerWidthsOf(Subnet x, Subnet anchor) =>
        Replace(x, anchor, (s, a) => s with { Width = a.Width, Heads = a.Heads });

    /// <summary><paramref name="x"/> with every transformer stage's depth taken from <paramref name="anchor"/>.</summary>
    public static Subnet WithTransformerDepthsOf(Subnet x, Subnet anchor) =>
        Replace(x, anchor, (s, a) => s with { Depth = a.Depth });

    private static Subnet Replace(Subnet x, Subnet anchor, Func<StageConfig, StageConfig, StageConfig> replace) =>
        new(x.Resolution, x.Stem, x.Stages.Select((s, i) => s.Kind == StageKind.Transformer ? replace(s, anchor.Stages[i]) : s).ToArray());
}
