using ElasticVit.Spaces;
using ElasticVit.Supernet;
using static TorchSharp.torch;

namespace ElasticVit.Export;

/// <summary>
/// Writes one layer as a standalone ONNX graph (opset 17, batch 1) for per-layer latency measurement, emitted
/// exactly as in a whole-model export (<see cref="OnnxExporter"/>). Its input <c>x</c> and its one output have the shapes of
/// <see cref="StandaloneLayer"/>: the stem takes raw images at the space's native size and includes the model's
/// input preprocessing (normalise, resize to the layer's resolution), so per-layer latencies add up to the
/// deployed model's; transformer layers take and return tokens [1, N, C] (as rows [N, C] inside); the head returns logits [1, classes].
/// </summary>
public static class OnnxLayerExporter
{
    public const string InputName = "x";

    /// <summary>Exports <paramref name="layer"/>, or a freshly initialised layer of <paramref name="spec"/> if none is given.</summary>
    public static byte[] Export(SearchSpace space, LayerSpec spec, nn.Module<Tensor, Tensor>? layer = null, OnnxDim? batch = null) =>
        Emit(space, spec, batch ?? 1, "elasticvit_layer", $"ElasticViT layer {spec.Key}", (emit, x) => emit.Layer(x, spec, layer ?? StandaloneLayer.Create(spec)));

    /// <summary>
    /// Several layers of <paramref name="spec"/> (<paramref name="layers"/>, e.g. freshly initialised ones) on the same
    /// input, their outputs summed into the one output (a single layer is added to itself, so every count runs one final
    /// Add). The difference between two and one copies is what the layer adds to a graph that already runs: its time
    /// with its input just written by the layer before, without the cost of a session run that a graph of one layer
    /// also pays.
    /// </summary>
    public static byte[] ExportCopies(SearchSpace space, LayerSpec spec, IReadOnlyList<nn.Module<Tensor, Tensor>> layers)
    {
        var copies = layers.Count;
        ArgumentOutOfRangeException.ThrowIfLessThan(copies, 1);
        return Emit(space, spec, 1, "elasticvit_layer_copies", $"ElasticViT layer {spec.Key} ×{copies}", (emit, x) =>
        {
            var outputs = new List<string>();
            for (var copy = 0; copy < copies; copy++)
            {
                emit.G.NamePrefix = $"copy{copy}.";
                outputs.Add(emit.Layer(x, spec, layers[copy]));
            }
            emit.G.NamePrefix = "";
            var sum = copies == 1 ? emit.G.Add(outputs[0], outputs[0]) : outputs[0];
            for (var copy = 1; copy < copies; copy++) sum = emit.G.Add(sum, outputs[copy]);
            return sum;
        });
    }

    /// <summary>
    /// A graph of input <c>x</c> (with the model's preprocessing in front of a stem), what <paramref name="body"/> emits on
    /// it, and its result as the one output.
    /// </summary>
    private static byte[] Emit(SearchSpace space, LayerSpec spec, OnnxDim batch, string graphName, string description, Func<OnnxLayerEmitter, string, string> body)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var emit = new OnnxLayerEmitter(new OnnxGraphBuilder(graphName), batch);
        OnnxDim[] Shape(long[] dims) => [batch, .. dims.Skip(1).Select(d => (OnnxDim)d)];
        var x = emit.G.Input(InputName, Shape(StandaloneLayer.InputShape(space, spec)));
        if (spec.Kind == LayerKind.Stem)
        {
            var plain = ExportInfo.Plain(space);
            x = emit.Preprocess(x, plain.Mean, plain.Std, space.Input.NativeSize, spec.InSize);
        }
        // A model carries tokens between its transformer layers as rows; the layer alone converts once on each side, which
        // the copies' difference cancels.
        var transformer = spec.Kind == LayerKind.Transformer;
        var tokens = spec.InSize * spec.InSize;
        var y = body(emit, transformer ? emit.ToRows(x, tokens, spec.InChannels) : x);
        emit.G.Output(transformer ? emit.FromRows(y, tokens, spec.OutChannels) : y, Shape(StandaloneLayer.OutputShape(spec)));
        return emit.G.Build(ExportInfo.ProducerName, ExportInfo.CurrentVersion, description,
            new Dictionary<string, string> { ["elasticvit.layer_key"] = spec.Key, [MetadataKeys.SpaceName] = space.Name });
    }
}
