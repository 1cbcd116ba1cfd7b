using ElasticVit.Export;
using TorchSharp;
using static ElasticVit.Tests.Export.TorchTestTensors;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ElasticVit.Tests.Export;

public sealed class OnnxDynamicBatchTests
{
    [Fact]
    public void OneModel_RunsBatch1AndBatch5_AndMatchesTorchForBoth()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(11);
        var convWeight = Randn(rng, 0.2f, 8, 3, 3, 3);
        var convBias = Randn(rng, 0.1f, 8);
        var lnWeight = Uniform(rng, 0.5f, 1.5f, 8);
        var lnBias = Randn(rng, 0.1f, 8);
        var fcWeight = Randn(rng, 0.3f, 10, 8);
        var fcBias = Randn(rng, 0.1f, 10);

        // resize → conv stem → hardswish → tokens → layer norm → mean over tokens → linear head
        var graph = new OnnxGraphBuilder("tiny_hybrid");
        string x = graph.Input("image", ["batch", 3, 28, 28]);
        x = graph.ResizeBilinear(x, 28, 28, 32, 32);
        x = graph.HardSwish(graph.Conv(x, graph.Initializer("stem.weight", ToArray(convWeight), [8, 3, 3, 3]),
            graph.Initializer("stem.bias", ToArray(convBias), [8]), stride: 2, padding: 1));               // [B, 8, 16, 16]
        x = graph.Transpose(graph.Reshape(x, [0, 0, -1]), [0, 2, 1]);                                   // [B, 256, 8]
        x = graph.LayerNormalization(x, graph.Initializer("norm.weight", ToArray(lnWeight), [8]),
            graph.Initializer("norm.bias", ToArray(lnBias), [8]));
        x = graph.ReduceMean(x, [1], keepDims: false);                                                  // [B, 8]
        x = graph.Gemm(x, graph.Initializer("head.weight", ToArray(fcWeight), [10, 8]),
            graph.Initializer("head.bias", ToArray(fcBias), [10]), transB: true, name: "logits");
        graph.Output(x, ["batch", 10]);

        using var session = new OnnxTestSession(graph.Build("ElasticVit.Tests", "0"));
        var logitsInfo = session.Session.OutputMetadata["logits"];
        Assert.Equal([-1, 10], logitsInfo.Dimensions);
        Assert.Equal("batch", logitsInfo.SymbolicDimensions[0]);

        foreach (int batch in new[] { 1, 5 })
        {
            var image = Uniform(rng, 0f, 1f, batch, 3, 28, 28);
            var y = F.interpolate(image, size: [32, 32], mode: InterpolationMode.Bilinear, align_corners: false);
            y = F.hardswish(F.conv2d(y, convWeight, convBias, strides: [2, 2], padding: [1, 1]));
            y = F.layer_norm(y.flatten(2).transpose(1, 2), [8], lnWeight, lnBias, 1e-5);
            var expected = F.linear(y.mean([1]), fcWeight, fcBias);

            var actual = session.RunSingle(("image", image));
            Assert.Equal([batch, 10], actual.shape);
            AssertClose(expected, actual);
        }
    }
}
