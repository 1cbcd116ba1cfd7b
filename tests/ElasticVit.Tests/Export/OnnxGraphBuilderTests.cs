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
