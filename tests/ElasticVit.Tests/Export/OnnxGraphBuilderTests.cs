using ElasticVit.Export;

namespace ElasticVit.Tests.Export;

/// <summary>The builder rejects malformed graphs where they are written, not when ONNX Runtime loads them.</summary>
public sealed class OnnxGraphBuilderTests
{
    [Fact]
    public void UsingAnUndefinedValue_Throws_NamingIt()
    {
        var graph = new OnnxGraphBuilder();
        graph.Input("x", ["batch", 4]);
        var error = Assert.Throws<ArgumentException>(() => graph.Add("x", "missing"));
        Assert.Contains("'missing'", error.Message);
    }

    [Fact]
    public void An_operator_newer_than_the_declared_opset_is_refused_and_the_same_graph_builds_at_opset_17()
    {
        foreach (var opset in new long[] { 13, 17 })
        {
            var graph = new OnnxGraphBuilder(opset: opset);
            string x = graph.Input("x", ["batch", 4]);
            string scale = graph.Initializer("scale", [1f, 1f, 1f, 1f], [4]), bias = graph.Initializer("bias", [0f, 0f, 0f, 0f], [4]);
            graph.Shape(x);   // Shape over all dims is in every opset
            var ops = new (string Op, Func<string> Add)[]
            {
                ("HardSwish", () => graph.HardSwish(x)),
                ("LayerNormalization", () => graph.LayerNormalization(x, scale, bias)),
                ("Shape", () => graph.Shape(x, start: 0, end: 1)),
            };
            foreach (var (op, add) in ops)
                if (opset == 13) Assert.Equal($"{op} needs opset {(op == "HardSwish" ? 14 : op == "Shape" ? 15 : 17)} or later; this graph declares opset 13",
                    Assert.Throws<OnnxException>(add).Message);
                else graph.Output(add());
        }
        Assert.Throws<OnnxException>(() => new OnnxGraphBuilder(opset: 12));
        Assert.Throws<OnnxException>(() => new OnnxGraphBuilder(opset: 18));
    }

    [Fact]
    public void ShapeHint_IsWrittenAsValueInfo_OnlyForAProducedValue_AndOnce()
    {
        var graph = new OnnxGraphBuilder();
        string x = graph.Input("x", ["batch", 1, 8, 8]);
        string y = graph.ResizeBilinear(x, 8, 8, 12, 12, "y");
        Assert.Throws<ArgumentException>(() => graph.ShapeHint("missing", ["batch", 1, 12, 12]));
        graph.ShapeHint(y, ["batch", 1, 12, 12]);
        Assert.Throws<ArgumentException>(() => graph.ShapeHint(y, ["batch", 1, 12, 12]));
        graph.Output(y);

        var hint = ElasticVit.Export.Proto.ModelProto.Parser.ParseFrom(graph.Build("t", "1")).Graph.ValueInfo.Single();
        Assert.Equal("y", hint.Name);
        Assert.Equal(["batch", "1", "12", "12"], hint.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : $"{d.DimValue}"));
    }

    [Fact]
    public void ReusingAName_Throws()
    {
        var graph = new OnnxGraphBuilder();
        string x = graph.Input("x", ["batch", 4]);
        graph.Relu(x, name: "h");
        Assert.Throws<ArgumentException>(() => graph.Initializer("h", [1f], [1]));
        Assert.Throws<ArgumentException>(() => graph.Relu(x, name: "x"));
    }

    [Fact]
    public void GeneratedNames_AreUnique_AndSkipNamesTakenByHand()
    {
        var graph = new OnnxGraphBuilder();
        string x = graph.Input("Relu_0", ["batch", 4]);
        string a = graph.Relu(x);
        string b = graph.Relu(a);
        Assert.NotEqual(x, a);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Initializer_WithDataNotFittingDims_Throws()
    {
        var graph = new OnnxGraphBuilder();
        var error = Assert.Throws<ArgumentException>(() => graph.Initializer("w", new float[5], [2, 3]));
        Assert.Contains("6 elements", error.Message);
    }

    [Fact]
    public void Build_WithoutOutputs_Throws()
    {
        var graph = new OnnxGraphBuilder();
        graph.Relu(graph.Input("x", ["batch", 4]));
        Assert.Throws<InvalidOperationException>(() => graph.Build("ElasticVit", "0"));
    }

    [Fact]
    public void Slice_WithMismatchedLengths_Throws()
    {
        var graph = new OnnxGraphBuilder();
        string x = graph.Input("x", ["batch", 4]);
        Assert.Throws<ArgumentException>(() => graph.Slice(x, starts: [0, 0], ends: [1]));
    }
}
