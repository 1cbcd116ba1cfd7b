using ElasticVit.Spaces;

namespace ElasticVit.Latency;

/// <summary>
/// Enumerates every distinct layer shape of a space without enumerating subnets, mirroring <see cref="LayerPlan"/>
/// per layer position: each stage's first layer maps any feasible previous width to any feasible own width
/// that is not smaller (monotone widths); its further layers keep the own width; token counts depend only
/// on the resolution.
/// </summary>
internal static class RequiredLayerShapes
{
    public static IReadOnlyList<LayerSpec> Of(SearchSpace space, IEnumerable<int>? resolutions)
    {
        var chosen = resolutions?.Distinct().ToArray() ?? space.Resolutions.ToArray();
        foreach (var r in chosen.Where(r => !space.Resolutions.Contains(r)))
            throw new LatencyException($"resolution {r} is not one of {{{string.Join(", ", space.Resolutions)}}} of {space.Name}");
        if (space.Stages.Any(s => s.MinDepth < 1))
            throw new LatencyException($"{space.Name}: stages of depth 0 are not supported (every stage needs at least one layer)");

        var widths = FeasibleWidths(space);
        var layers = new List<LayerSpec>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(LayerSpec layer)
        {
            if (seen.Add(layer.Key)) layers.Add(layer);
        }

        foreach (var r in chosen)
        {
            var size = space.StemOutSize(r);
            foreach (var c0 in widths[0])
            {
                Add(new LayerSpec(LayerKind.Stem, space.Input.Channels, c0, r, size, Stride: space.Stem.Stride, Kernel: 3));
                foreach (var k in space.Stem.Kernels)
                    Add(new LayerSpec(LayerKind.Stage0, c0, c0, size, size, Kernel: k, Expansion: 1));
            }
            var outSizes = space.StageOutSizes(r);
            for (var s = 0; s < space.Stages.Count; s++)
            {
                var (stage, outSize) = (space.Stages[s], outSizes[s]);
                foreach (var cOut in widths[s + 1])
                {
                    var inputs = widths[s].Where(cIn => cIn <= cOut).ToArray();
                    if (stage.Kind == StageKind.MbConv)
                    {
                        foreach (var e in stage.Expansions)
                        foreach (var k in stage.Kernels)
                        {
                            foreach (var cIn in inputs)
                                Add(new LayerSpec(LayerKind.MbConv, cIn, cOut, size, outSize, stage.Stride, k, e, stage.Se));
                            if (stage.MaxDepth >= 2)
                                Add(new LayerSpec(LayerKind.MbConv, cOut, cOut, outSize, outSize, 1, k, e, stage.Se));
                        }
                    }
                    else
                    {
                        foreach (var cIn in inputs)
                            Add(new LayerSpec(LayerKind.Reduction, cIn, cOut, size, outSize, stage.Stride, 3, 6, Se: true));
                        foreach (var m in stage.MlpRatios)
                        foreach (var v in stage.VScales)
                            Add(new LayerSpec(LayerKind.Transformer, cOut, cOut, outSize, outSize,
                                Heads: cOut / space.HeadDim, HeadDim: space.HeadDim, MlpRatio: m, VScale: v));
                    }
                }
                size = outSize;
            }
            foreach (var c in widths[^1])
                Add(new LayerSpec(LayerKind.Head, c, space.Classes, size, 1,
                    Expansion: space.ClassifierMul, Hidden: space.ClassifierHidden, Classes: space.Classes));
        }
        return layers;
    }

    /// <summary>
    /// Widths each position can take in some valid subnet ([0] the stem, [s + 1] stage s): reachable from the
    /// stem with non-decreasing widths, and extendable by the later stages.
    /// </summary>
    private static int[][] FeasibleWidths(SearchSpace space)
    {
        var widths = new int[space.Stages.Count + 1][];
        widths[0] = space.Stem.Widths.ToArray();
        for (var s = 0; s < space.Stages.Count; s++)
            widths[s + 1] = widths[s].Length == 0 ? [] : space.Stages[s].Widths.Where(w => w >= widths[s].Min()).ToArray();
        for (var s = widths.Length - 2; s >= 0; s--)
            widths[s] = widths[s + 1].Length == 0 ? [] : widths[s].Where(w => w <= widths[s + 1].Max()).ToArray();
        if (widths.Any(w => w.Length == 0))
            throw new LatencyException($"{space.Name} has no valid subnet: no non-decreasing choice of widths exists");
        return widths;
    }
}
