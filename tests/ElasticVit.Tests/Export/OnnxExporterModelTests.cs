using System.Text.Json;
using ElasticVit.Export;
using ElasticVit.Spaces;
using Microsoft.ML.OnnxRuntime;

namespace ElasticVit.Tests.Export;

/// <summary>What an exported file declares: names, dynamic batch, producer, metadata; and the reference checker accepts it.</summary>
[Collection(ElasticVit.Tests.Training.TorchRandomState.Name)]
public sealed class OnnxExporterModelTests
{
    private static readonly SearchSpace Fmnist = SpaceLoader.Load("elasticvit-fmnist");
    private static readonly SearchSpace ImageNet = SpaceLoader.Load("elasticvit-imagenet");

    [Fact]
    public void Export_DeclaresRawImageInput_LogitsOutput_AndMetadata()
    {
        var subnet = Fmnist.Resolve("mid");
        using var model = ExportTestModels.Random(Fmnist, subnet, 1);
        var info = ExportTestModels.Info(Fmnist) with { ClassNames = [.. Enumerable.Range(0, 10).Select(i => $"class \"{i}\"")] };
        using var session = new InferenceSession(OnnxExporter.Export(model, info));

        var input = session.InputMetadata.Single();
        Assert.Equal("image", input.Key);
        Assert.Equal([-1, 1, 28, 28], input.Value.Dimensions);
        Assert.Equal("batch", input.Value.SymbolicDimensions[0]);
        var output = session.OutputMetadata.Single();
        Assert.Equal("logits", output.Key);
        Assert.Equal([-1, 10], output.Value.Dimensions);

        var meta = session.ModelMetadata;
        Assert.Equal("elasticvit-dotnet", meta.ProducerName);
        var custom = meta.CustomMetadataMap;
        Assert.Equal(subnet.Key, custom[MetadataKeys.SubnetKey]);
        Assert.Equal(subnet, SubnetJson.Parse(custom[MetadataKeys.Subnet], Fmnist));
        Assert.Equal("elasticvit-fmnist", custom[MetadataKeys.SpaceName]);
        Assert.Equal(info.ClassNames, JsonSerializer.Deserialize<string[]>(custom[MetadataKeys.ClassNames]));
        Assert.Equal("1", custom[MetadataKeys.InputChannels]);
        Assert.Equal("28", custom[MetadataKeys.InputSize]);
        Assert.Equal(info.Mean, JsonSerializer.Deserialize<float[]>(custom[MetadataKeys.Mean]));
        Assert.Equal(info.Std, JsonSerializer.Deserialize<float[]>(custom[MetadataKeys.Std]));
    }

    [Fact]
    public void Export_SkipsResize_OnlyWhenResolutionIsNative()
    {
        using var native = ExportTestModels.Random(Fmnist, Fmnist.Resolve("mid").WithResolution(28), 1);
        using var resized = ExportTestModels.Random(Fmnist, Fmnist.Resolve("mid").WithResolution(32), 1);
        // The bilinear resize of the input (the squeeze-excitation gates' nearest upsampling is another Resize).
        static bool ResizesInput(byte[] onnx) => ElasticVit.Export.Proto.ModelProto.Parser.ParseFrom(onnx).Graph.Node
            .Any(n => n.OpType == "Resize" && n.Attribute.Any(a => a.Name == "mode" && a.S.ToStringUtf8() == "linear"));
        Assert.False(ResizesInput(OnnxExporter.Export(native, ExportInfo.Plain(Fmnist))));
        Assert.True(ResizesInput(OnnxExporter.Export(resized, ExportInfo.Plain(Fmnist))));
        // Constant scales, not sizes taken from the input's shape: shape inference then knows every later map's size.
        // (Op types are plain strings in the protobuf and value names here lower case, so a byte search finds the op.)
        Assert.True(OnnxExporter.Export(resized, ExportInfo.Plain(Fmnist)).AsSpan().IndexOf("Shape"u8) < 0);
    }

    [Fact]
    public void Export_MakesEveryBiasedLinearMapOneGemm_AndSwitchesBetweenMapsAndTokensInTwoNodes()
    {
        // Each transformer layer has three biased linear maps (proj, fc1, fc2); the head adds two Gemms.
        var subnet = Fmnist.Resolve("mid");
        using var model = ExportTestModels.Random(Fmnist, subnet, 1);
        var nodes = ElasticVit.Export.Proto.ModelProto.Parser.ParseFrom(OnnxExporter.Export(model, ExportInfo.Plain(Fmnist))).Graph.Node;
        var layers = subnet.Stages.Where(s => s.Kind == StageKind.Transformer).Sum(s => s.Depth);
        Assert.Equal(6, layers);   // T1 and T2 one layer each, T3 and T4 two
        int Count(string op) => nodes.Count(n => n.OpType == op);
        Assert.Equal(3 * layers + 2, Count("Gemm"));
        Assert.Equal(5 * layers, Count("MatMul"));   // Q, K, V, Q·Kᵀ and attention · V
        // Per layer: Q, K, V twice, the heads' output; then into tokens and back to a map once per transformer stage.
        var stages = subnet.Stages.Count(s => s.Kind == StageKind.Transformer);
        Assert.Equal(5 * layers + 2 * stages, Count("Reshape"));
    }

    [Fact]
    public void Export_HintsTheBatchOfEveryMapWhereShapeInferenceLosesIt()
    {
        // A resize by scales, the reshape from token rows back to a map (batch -1) and the squeeze-excitation gate's upsampling
        // leave ONNX shape inference without the symbolic batch; the hints give it back, so ONNX Runtime can keep the
        // residual Adds and the gate's product in its blocked layout. A portable graph has a fixed batch and needs none.
        var subnet = Fmnist.Resolve("mid").WithResolution(32);
        using var model = ExportTestModels.Random(Fmnist, subnet, 1);
        var hints = ElasticVit.Export.Proto.ModelProto.Parser.ParseFrom(OnnxExporter.Export(model, ExportInfo.Plain(Fmnist))).Graph.ValueInfo
            .ToDictionary(h => h.Name, h => string.Join(",", h.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : $"{d.DimValue}")));
        var expected = new Dictionary<string, string>
        {
            ["input.resized"] = "batch,1,32,32",
            // Back to maps after T1–T4 (48, 64, 80 and 112 wide in mid), on the 4×4 grid that r32 leaves after three strides of 2.
            ["reduction_1.map"] = "batch,48,4,4", ["reduction_2.map"] = "batch,64,4,4", ["reduction_3.map"] = "batch,80,4,4", ["head.map"] = "batch,112,4,4",
        };
        // Every block with squeeze-excitation (C2's and the transformer stages' reductions): its gate at the block's output size.
        foreach (var layer in model.layers.OfType<ElasticVit.Supernet.MbConvLayer>().Where(l => l.se is not null))
            expected[$"{layer.GetName()}.se.gate"] = $"batch,{layer.se!.expand.weight!.shape[0]},{layer.Spec.OutSize},{layer.Spec.OutSize}";
        Assert.Equal(6, expected.Count(e => e.Key.EndsWith(".se.gate")));   // C2's two blocks and four reductions
        Assert.Equal(expected, hints);
        var portable = ElasticVit.Export.Proto.ModelProto.Parser.ParseFrom(OnnxExporter.Export(model, ExportInfo.Plain(Fmnist), OnnxExportOptions.PortableGraph));
        Assert.Empty(portable.Graph.ValueInfo);
    }

    [Fact]
    public void Export_RejectsInfoThatDoesNotFitTheSpace()
    {
        using var model = ExportTestModels.Random(Fmnist, Fmnist.MinSubnet, 1);
        var e = Assert.Throws<ArgumentException>(() => OnnxExporter.Export(model, ExportInfo.Plain(ImageNet)));
        Assert.Contains("class names", e.Message);
    }

    [RequiresPythonOnnxFact]
    public void ExportedFiles_PassOnnxCheckerFullCheck()
    {
        var dir = Directory.CreateTempSubdirectory("elasticvit-export-check-");
        try
        {
            var paths = new List<string>();
            foreach (var (space, arch) in new[] { (Fmnist, "min"), (Fmnist, "max"), (ImageNet, "T1") })
            {
                using var model = ExportTestModels.Random(space, space.Resolve(arch), 3);
                var path = Path.Combine(dir.FullName, $"{arch}.onnx");
                OnnxExporter.Export(model, ExportTestModels.Info(space), path);
                paths.Add(path);
            }
            var (exitCode, output) = PythonOnnx.Run(
                "import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(p, full_check=True)\n"
                + "m = onnx.load(sys.argv[1])\nprint(m.opset_import[0].version, m.producer_name, m.producer_version)", [.. paths]);
            Assert.True(exitCode == 0, $"onnx.checker rejected an exported model:\n{output}");
            Assert.Equal($"17 elasticvit-dotnet {ExportInfo.CurrentVersion}", output.Trim());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
