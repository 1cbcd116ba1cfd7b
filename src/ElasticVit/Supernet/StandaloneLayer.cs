using ElasticVit.Spaces;
using static TorchSharp.torch;

namespace ElasticVit.Supernet;

/// <summary>
/// One static layer on its own, as <see cref="StaticModel"/> builds it and as latency profiling and per-layer exports
/// run it. The stem stands for the model's input end: it takes raw images at the space's native size and resizes them
/// to the layer's resolution first, as the deployed model does. Transformer layers take tokens [B, N, C], the head
/// returns logits [B, classes], every other layer maps [B, C, H, W] to [B, C', H', W'].
/// </summary>
public static class StandaloneLayer
{
    /// <summary>A freshly initialised layer of <paramref name="spec"/>; <paramref name="name"/> names its module (and ONNX nodes).</summary>
    public static nn.Module<Tensor, Tensor> Create(LayerSpec spec, string? name = null, double dropout = 0.0) => spec.Kind switch
    {
        LayerKind.Stem => new StemLayer(spec),
        LayerKind.Stage0 => new Stage0Layer(name ?? "stage0_0", spec),
        LayerKind.MbConv or LayerKind.Reduction => new MbConvLayer(name ?? $"{spec.Kind.ToString().ToLowerInvariant()}_0", spec),
        LayerKind.Transformer => new TransformerLayer(name ?? "transformer_0", spec),
        LayerKind.Head => new HeadLayer(spec) { Dropout = dropout },
        _ => throw new InvalidOperationException(spec.Kind.ToString()),
    };

    /// <summary>Shape of the layer's input: raw images for the stem, tokens for transformer layers, maps otherwise.</summary>
    public static long[] InputShape(SearchSpace space, LayerSpec spec, long batch = 1) => spec.Kind switch
    {
        LayerKind.Stem => [batch, space.Input.Channels, space.Input.NativeSize, space.Input.NativeSize],
        LayerKind.Transformer => [batch, (long)spec.InSize * spec.InSize, spec.InChannels],
        _ => [batch, spec.InChannels, spec.InSize, spec.InSize],
    };

    public static long[] OutputShape(LayerSpec spec, long batch = 1) => spec.Kind switch
    {
        LayerKind.Transformer => [batch, (long)spec.OutSize * spec.OutSize, spec.OutChannels],
        LayerKind.Head => [batch, spec.Classes],
        _ => [batch, spec.OutChannels, spec.OutSize, spec.OutSize],
    };

    /// <summary>Runs <paramref name="layer"/> (built from <paramref name="spec"/>) on an input of <see cref="InputShape"/>.</summary>
    public static Tensor Forward(nn.Module<Tensor, Tensor> layer, LayerSpec spec, Tensor input) =>
        layer.forward(spec.Kind == LayerKind.Stem ? Blocks.Resize(input, spec.InSize) : input);
}
