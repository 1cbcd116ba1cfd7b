using ElasticVit.Spaces;
using ElasticVit.Supernet;
using static TorchSharp.torch;

namespace ElasticVit.Export;

/// <summary>
/// Writes one layer as a standalone ONNX graph (opset 17, batch 1) for per-layer latency measurement, emitted
/// exactly as in a whole-model export (<see cref="OnnxExporter"/>). Its input <c>x</c> and its one output have the shapes of
/// <see cref="StandaloneLayer"/>: the stem takes raw images at the space's native size and includes the model's
/// input preprocessing (normalise, resize to the layer's resolution), so per-layer latencies add up to the
/// deployed model's; transformer layers take and return tokens [1, N, C]; the head returns logits [1, classes].
/// </summary>
public static class OnnxLayerExporter
{
    public const string InputName = "x";

    /// <summary>Exports <paramref name="layer"/>, or a freshly initialised layer of <paramref name="spec"/> if none is given.</summary>
    public static byte[] Export(SearchSpace space, LayerSpec spec, nn.Module<Tensor, Tensor>? layer = null, OnnxDim? batch = null)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        layer ??= StandaloneLayer.Create(spec);
        var emit = new OnnxLayerEmitter(new OnnxGraphBuilder("elasticvit_layer"));
        OnnxDim[] Shape(long[] dims) => [batch ?? 1, .. dims.Skip(1).Select(d => (OnnxDim)d)];
        var x = emit.G.Input(InputName, Shape(StandaloneLayer.InputShape(space, spec)));
        if (spec.Kind == LayerKind.Stem)
        {
            var plain = ExportInfo.Plain(space);
            x = emit.Preprocess(x, plain.Mean, plain.Std, space.Input.NativeSize, spec.InSize);
        }
        emit.G.Output(emit.Layer(x, spec, layer), Shape(StandaloneLayer.OutputShape(spec)));
        return emit.G.Build(ExportInfo.ProducerName, ExportInfo.CurrentVersion, $"ElasticViT layer {spec.Key}",
            new Dictionary<string, string> { ["elasticvit.layer_key"] = spec.Key, [MetadataKeys.SpaceName] = space.Name });
    }
}
