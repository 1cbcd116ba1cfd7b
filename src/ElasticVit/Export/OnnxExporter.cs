using ElasticVit.IO;
using System.Globalization;
using System.Text.Json;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using static TorchSharp.torch;

namespace ElasticVit.Export;

/// <summary>
/// Writes a <see cref="StaticModel"/> as an ONNX graph (opset 17, or a portable graph: <see cref="OnnxExportOptions"/>) with the eval-mode function of the model:
/// BatchNorm folded into the conv before it, attention with its relative-position bias as a constant.
/// The graph takes raw images (input <c>image</c>, float [batch, C, S, S] in [0, 1] at the space's native size S),
/// normalises them per channel, resizes them to the subnet's resolution, and returns <c>logits</c> [batch, classes].
/// </summary>
public static class OnnxExporter
{
    public const string InputName = "image";
    public const string OutputName = "logits";

    /// <summary>Exports as the default graph (symbolic batch, opset 17) or as <paramref name="options"/> say.</summary>
    public static byte[] Export(StaticModel model, ExportInfo info, OnnxExportOptions? options = null)
    {
        options ??= OnnxExportOptions.Default;
        info.Validate(model.Space);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        OnnxDim batch = options.FixedBatch is { } fixedBatch ? OnnxDim.Fixed(fixedBatch) : OnnxDim.Symbolic("batch");
        var graph = new StaticModelGraph(model, options, batch);
        var input = model.Space.Input;
        var x = graph.G.Input(InputName, [batch, input.Channels, input.NativeSize, input.NativeSize]);
        graph.G.Output(graph.Forward(graph.Normalise(x, info)), [batch, model.Space.Classes]);
        return graph.G.Build(ExportInfo.ProducerName, info.ProducerVersion, $"ElasticViT subnet {model.Subnet.Key}", Metadata(model, info));
    }

    /// <summary>Exports to <paramref name="path"/>, written atomically.</summary>
    public static void Export(StaticModel model, ExportInfo info, string path, OnnxExportOptions? options = null) =>
        AtomicFile.WriteAllBytes(path, Export(model, info, options));

    /// <summary>The <c>metadata_props</c> of an exported model; lists are JSON arrays.</summary>
    public static IReadOnlyDictionary<string, string> Metadata(StaticModel model, ExportInfo info)
    {
        static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string>
        {
            [MetadataKeys.SubnetKey] = model.Subnet.Key,
            [MetadataKeys.Subnet] = SubnetJson.Serialize(model.Subnet),
            [MetadataKeys.SpaceName] = model.Space.Name,
            [MetadataKeys.ClassNames] = JsonSerializer.Serialize(info.ClassNames),
            [MetadataKeys.InputChannels] = Int(model.Space.Input.Channels),
            [MetadataKeys.InputSize] = Int(model.Space.Input.NativeSize),
            [MetadataKeys.Resolution] = Int(model.Subnet.Resolution),
            [MetadataKeys.Mean] = JsonSerializer.Serialize(info.Mean),
            [MetadataKeys.Std] = JsonSerializer.Serialize(info.Std),
        };
    }

    /// <summary>Emits the graph of one model, layer by layer, mirroring <see cref="StaticModel.forward"/>.</summary>
    private sealed class StaticModelGraph(StaticModel model, OnnxExportOptions options, OnnxDim batch)
    {
        public OnnxGraphBuilder G => _emit.G;
        private readonly OnnxLayerEmitter _emit = new(new OnnxGraphBuilder("elasticvit", options.Opset), batch, options.Portable);

        public string Normalise(string x, ExportInfo info) =>
            _emit.Preprocess(x, info.Mean, info.Std, model.Space.Input.NativeSize, model.Subnet.Resolution);

        public string Forward(string x) => model.Walk(x,
            (x, t) => _emit.ToTokens(x, t.Spec.InSize, t.Spec.InChannels, t.GetName()),
            (x, grid, next) => _emit.ToMap(x, grid, model.Plan[next].InChannels, model.layers[next].GetName()),
            (x, i) => _emit.Layer(x, model.Plan[i], model.layers[i]));
    }
}
