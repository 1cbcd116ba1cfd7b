using ElasticVit.Export;
using ElasticVit.Export.Proto;

namespace ElasticVit.Tests.Export;

/// <summary>What the builder writes reads back, field by field, as the ONNX messages of Onnx.proto.</summary>
public sealed class OnnxModelEncoderTests
{
    [Fact]
    public void A_built_graph_reads_back_with_every_field_it_was_given()
    {
        var g = new OnnxGraphBuilder("tiny", opset: 15);
        var x = g.Input("x", [OnnxDim.Symbolic("batch"), OnnxDim.Fixed(3)]);
        var w = g.Initializer("w", [1f, -2f, 0.5f, 4f, 5f, 6f], [2, 3]);
        var h = g.Gemm(x, w, transB: true, name: "fc");
        var shape = g.Shape(h, start: 0, end: 1);
        g.Output(g.Softmax(h, axis: 1), [OnnxDim.Symbolic("batch"), OnnxDim.Fixed(2)]);
        g.Output(shape);
        var bytes = g.Build("elasticvit-test", "9.9", "a doc", new Dictionary<string, string> { ["k1"] = "v1", ["k2"] = "ü" });

        // ModelProto.ir_version is field 1, a varint: the first two bytes on the wire.
        Assert.Equal([0x08, (byte)OnnxGraphBuilder.IrVersion], bytes[..2]);
        var model = ModelProto.Parser.ParseFrom(bytes);
        Assert.Equal(OnnxGraphBuilder.IrVersion, model.IrVersion);
        Assert.Equal(("elasticvit-test", "9.9", "a doc"), (model.ProducerName, model.ProducerVersion, model.DocString));
        Assert.Equal(("", 15L), (model.OpsetImport.Single().Domain, model.OpsetImport.Single().Version));
        Assert.Equal(["k1=v1", "k2=ü"], model.MetadataProps.Select(p => $"{p.Key}={p.Value}"));

        var graph = model.Graph;
        Assert.Equal("tiny", graph.Name);
        var input = graph.Input.Single();
        Assert.Equal("x", input.Name);
        Assert.Equal((int)OnnxElementType.Float, input.Type.TensorType.ElemType);
        Assert.Equal(["batch", "3"], input.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString()));
        Assert.Equal(2, graph.Output.Count);
        Assert.Null(graph.Output[1].Type.TensorType.Shape);   // an output declared without a shape has unknown rank

        var weight = graph.Initializer.Single();
        Assert.Equal(("w", (int)OnnxElementType.Float), (weight.Name, weight.DataType));
        Assert.Equal([2L, 3L], weight.Dims);
        var values = new float[6];
        Buffer.BlockCopy(weight.RawData.ToByteArray(), 0, values, 0, 24);
        Assert.Equal([1f, -2f, 0.5f, 4f, 5f, 6f], values);

        Assert.Equal(["Gemm", "Shape", "Softmax"], graph.Node.Select(n => n.OpType));
        var gemm = graph.Node[0];
        Assert.Equal("fc", gemm.Name);
        Assert.Equal(["x", "w"], gemm.Input);
        Assert.Equal(["fc"], gemm.Output);
        var transB = gemm.Attribute.Single(a => a.Name == "transB");
        Assert.Equal((AttributeProto.Types.AttributeType.Int, 1L), (transB.Type, transB.I));
        var ends = graph.Node[1].Attribute.Single(a => a.Name == "end");
        Assert.Equal((AttributeProto.Types.AttributeType.Int, 1L), (ends.Type, ends.I));
        // An int attribute of 0 is written, not left to the default: ONNX's schema gives every field presence.
        Assert.True(graph.Node[1].Attribute.Single(a => a.Name == "start").HasI);
        Assert.Equal((AttributeProto.Types.AttributeType.Int, 1L), (graph.Node[2].Attribute.Single().Type, graph.Node[2].Attribute.Single().I));
    }

    [Fact]
    public void Float_list_and_tensor_attributes_keep_their_kind_and_values()
    {
        var g = new OnnxGraphBuilder();
        var x = g.Input("x", [OnnxDim.Fixed(1), OnnxDim.Fixed(4)]);
        g.Output(g.HardSigmoid(x, alpha: 0.25f, beta: 0f));
        var hardSigmoid = ModelProto.Parser.ParseFrom(g.Build("t", "1")).Graph.Node.Single();
        var alpha = hardSigmoid.Attribute.Single(a => a.Name == "alpha");
        var beta = hardSigmoid.Attribute.Single(a => a.Name == "beta");
        Assert.Equal((AttributeProto.Types.AttributeType.Float, 0.25f), (alpha.Type, alpha.F));
        Assert.True(beta.HasF);
        Assert.Equal(0f, beta.F);

        var c = new OnnxGraphBuilder();
        c.Output(c.Int64Constant([7, -1], [2], name: "k"));
        var constant = ModelProto.Parser.ParseFrom(c.Build("t", "1")).Graph.Node.Single();
        var value = constant.Attribute.Single();
        Assert.Equal(AttributeProto.Types.AttributeType.Tensor, value.Type);
        Assert.Equal((int)OnnxElementType.Int64, value.T.DataType);
        Assert.Equal([7L, -1L], Enumerable.Range(0, 2).Select(i => BitConverter.ToInt64(value.T.RawData.Span[(8 * i)..])));
    }
}
