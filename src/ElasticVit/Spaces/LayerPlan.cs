namespace ElasticVit.Spaces;

public enum LayerKind { Stem, Stage0, MbConv, Reduction, Transformer, Head }

/// <summary>
/// One layer of a static subnet with every shape it needs. The same list drives the FLOPs/params counter,
/// the latency lookup table keys and the model builder, so the three can never disagree on structure.
/// Sizes are square sides: <see cref="InSize"/> before the layer, <see cref="OutSize"/> after it.
/// </summary>
public sealed record LayerSpec(
    LayerKind Kind,
    int InChannels,
    int OutChannels,
    int InSize,
    int OutSize,
    int Stride = 1,
    int Kernel = 0,
    int Expansion = 0,
    bool Se = false,
    int Heads = 0,
    int HeadDim = 0,
    int MlpRatio = 0,
    int VScale = 0,
    int Hidden = 0,
    int Classes = 0)
{
    /// <summary>Inner channels of an MBConv (C_in · e).</summary>
    public int Mid => InChannels * Expansion;

    /// <summary>Whether an MBConv-like layer needs a 1×1 shortcut conv instead of the identity.</summary>
    public bool HasShortcutConv => Stride != 1 || InChannels != OutChannels;

    /// <summary>Compact, stable key used by latency lookup tables.</summary>
    public string Key => Kind switch
    {
        LayerKind.Stem => $"stem:c{InChannels}-{OutChannels}:s{Stride}:i{InSize}",
        LayerKind.Stage0 => $"stage0:c{InChannels}:k{Kernel}:i{InSize}",
        LayerKind.MbConv => $"mbconv:c{InChannels}-{OutChannels}:e{Expansion}:k{Kernel}:s{Stride}:i{InSize}:se{(Se ? 1 : 0)}",
        LayerKind.Reduction => $"reduction:c{InChannels}-{OutChannels}:s{Stride}:i{InSize}",
        LayerKind.Transformer => $"transformer:c{InChannels}:n{InSize}:h{Heads}:m{MlpRatio}:v{VScale}",
        LayerKind.Head => $"head:c{InChannels}:n{InSize}:f{Hidden}:o{Classes}",
        _ => throw new InvalidOperationException(Kind.ToString()),
    };
}

public static class LayerPlan
{
    /// <summary>Every layer of <paramref name="subnet"/> in forward order (the subnet is assumed valid).</summary>
    public static IReadOnlyList<LayerSpec> Of(SearchSpace space, Subnet subnet)
    {
        var layers = new List<LayerSpec>();
        var size = AddStem(layers, space, subnet.Resolution, subnet.Stem);
        var channels = subnet.Stem.Width;
        for (var s = 0; s < space.Stages.Count; s++)
        {
            size = AddStage(layers, space, s, subnet.Stages[s], channels, size);
            channels = subnet.Stages[s].Width;
        }
        layers.Add(Head(space, channels, size));
        return layers;
    }

    /// <summary>Appends the stem conv and the stage-0 layers; returns the side of their output.</summary>
    public static int AddStem(List<LayerSpec> layers, SearchSpace space, int resolution, StemConfig stem)
    {
        var size = space.StemOutSize(resolution);
        layers.Add(new LayerSpec(LayerKind.Stem, space.Input.Channels, stem.Width, resolution, size, Stride: space.Stem.Stride, Kernel: 3));
        for (var i = 0; i < stem.Depth; i++)
            layers.Add(new LayerSpec(LayerKind.Stage0, stem.Width, stem.Width, size, size, Kernel: stem.Kernel, Expansion: 1));
        return size;
    }

    /// <summary>Appends the layers of stage <paramref name="index"/> fed by a map of the given channels and side; returns the output side.</summary>
    public static int AddStage(List<LayerSpec> layers, SearchSpace space, int index, StageConfig stage, int inChannels, int inSize)
    {
        var stageSpace = space.Stages[index];
        var outSize = SearchSpace.CeilDiv(inSize, stageSpace.Stride);
        if (stageSpace.Kind == StageKind.MbConv)
        {
            var (channels, size) = (inChannels, inSize);
            for (var d = 0; d < stage.Depth; d++)
            {
                var stride = d == 0 ? stageSpace.Stride : 1;
                var o = d == 0 ? outSize : size;
                layers.Add(new LayerSpec(LayerKind.MbConv, channels, stage.Width, size, o, stride, stage.Kernel, stage.Expansion, stageSpace.Se));
                channels = stage.Width;
                size = o;
            }
        }
        else
        {
            layers.Add(new LayerSpec(LayerKind.Reduction, inChannels, stage.Width, inSize, outSize, stageSpace.Stride, 3, 6, Se: true));
            for (var d = 0; d < stage.Depth; d++)
                layers.Add(new LayerSpec(LayerKind.Transformer, stage.Width, stage.Width, outSize, outSize,
                    Heads: stage.Heads, HeadDim: space.HeadDim, MlpRatio: stage.MlpRatio, VScale: stage.VScale));
        }
        return outSize;
    }

    public static LayerSpec Head(SearchSpace space, int channels, int size) =>
        new(LayerKind.Head, channels, space.Classes, size, 1,
            Expansion: space.ClassifierMul, Hidden: space.ClassifierHidden, Classes: space.Classes);
}
