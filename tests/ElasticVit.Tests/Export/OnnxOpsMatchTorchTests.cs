using ElasticVit.Nn;
using ElasticVit.Export;
using TorchSharp;
using static ElasticVit.Tests.Export.TorchTestTensors;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ElasticVit.Tests.Export;

/// <summary>Each op the builder writes, run in ONNX Runtime, against the TorchSharp op it exports (float32, ≤ 1e-5).</summary>
public sealed class OnnxOpsMatchTorchTests
{
    private static byte[] Build(OnnxGraphBuilder graph) => graph.Build("ElasticVit.Tests", "0");

    [Theory]
    [InlineData(4, 8, 3, 1, 1, 1, true)]    // plain 3x3 conv with its own bias
    [InlineData(8, 8, 3, 2, 1, 8, false)]   // depthwise (groups = C), stride 2, bias-free as before a BN
    [InlineData(8, 8, 5, 1, 2, 8, false)]   // depthwise 5x5
    [InlineData(8, 16, 1, 1, 0, 1, false)]  // pointwise expansion
    public void Conv_WithFoldedBatchNorm_MatchesTorchConvThenBatchNormEval(
        int inChannels, int outChannels, int kernel, int stride, int padding, int groups, bool convHasBias)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(1000 + kernel * 10 + groups);
        var x = Randn(rng, 1f, 2, inChannels, 14, 14);
        var weight = Randn(rng, 1f / MathF.Sqrt(inChannels / groups * kernel * kernel), outChannels, inChannels / groups, kernel, kernel);
        var convBias = convHasBias ? Randn(rng, 0.1f, outChannels) : null;
        var gamma = Uniform(rng, 0.5f, 1.5f, outChannels);
        var beta = Randn(rng, 0.2f, outChannels);
        var mean = Randn(rng, 0.3f, outChannels);
        var variance = Uniform(rng, 0.2f, 2f, outChannels);
        const double eps = 1e-5;

        var expected = F.batch_norm(
            F.conv2d(x, weight, convBias, strides: [stride, stride], padding: [padding, padding], groups: groups),
            mean, variance, gamma, beta, training: false, eps: eps);

        var folded = BatchNormFolding.FoldIntoConv(ToArray(weight), convBias is null ? null : ToArray(convBias),
            ToArray(gamma), ToArray(beta), ToArray(mean), ToArray(variance), eps);
        var graph = new OnnxGraphBuilder();
        string input = graph.Input("x", ["batch", inChannels, 14, 14]);
        string w = graph.Initializer("conv.weight", folded.Weight, Dims(weight));
        string b = graph.Initializer("conv.bias", folded.Bias, [outChannels]);
        graph.Output(graph.Conv(input, w, b, stride, padding, groups, name: "y"));

        using var session = new OnnxTestSession(Build(graph));
        AssertClose(expected, session.RunSingle(("x", x)));
    }

    [Fact]
    public void HardSwish_And_HardSigmoid_MatchTorch()
    {
        using var scope = NewDisposeScope();
        var x = Randn(new Random(1), 3f, 2, 4, 8, 8);  // covers both kinks at ±3
        var graph = new OnnxGraphBuilder();
        string input = graph.Input("x", ["batch", 4, 8, 8]);
        graph.Output(graph.HardSwish(input));
        graph.Output(graph.HardSigmoid(input));

        using var session = new OnnxTestSession(Build(graph));
        var outputs = session.Run(("x", x));
        AssertClose(F.hardswish(x), outputs[0]);
        AssertClose(F.hardsigmoid(x), outputs[1]);
    }

    [Theory]
    [InlineData(1e-5)]
    [InlineData(1e-6)]
    public void LayerNormalization_MatchesTorchLayerNorm(double eps)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(2);
        var x = Randn(rng, 2f, 2, 10, 16);  // [B, N, C] tokens
        var scale = Uniform(rng, 0.5f, 1.5f, 16);
        var bias = Randn(rng, 0.1f, 16);
        var graph = new OnnxGraphBuilder();
        string input = graph.Input("x", ["batch", 10, 16]);
        graph.Output(graph.LayerNormalization(input,
            graph.Initializer("ln.weight", ToArray(scale), [16]),
            graph.Initializer("ln.bias", ToArray(bias), [16]),
            epsilon: (float)eps));

        using var session = new OnnxTestSession(Build(graph));
        AssertClose(F.layer_norm(x, [16], scale, bias, eps), session.RunSingle(("x", x)));
    }

    // Both runtimes round the source coordinate in float32 (ORT divides by out/in, torch multiplies by
    // in/out); each lands ~5e-6 from float64 on unit-normal input and the gap grows with the jump between
    // neighbouring pixels, so the input is image-range [0, 1).
    [Theory]
    [InlineData(24, 24)]  // downsampling
    [InlineData(32, 32)]  // upsampling
    [InlineData(20, 36)]  // mixed
    [InlineData(1, 1)]    // half_pixel samples the centre, as torch does; pytorch_half_pixel would take pixel 0
    public void ResizeBilinear_MatchesTorchInterpolate_AlignCornersFalse(long height, long width)
    {
        using var scope = NewDisposeScope();
        var x = Uniform(new Random(3), 0f, 1f, 2, 3, 28, 28);
        var graph = new OnnxGraphBuilder();
        string input = graph.Input("x", ["batch", 3, 28, 28]);
        graph.Output(graph.ResizeBilinear(input, 28, 28, height, width));

        var expected = F.interpolate(x, size: [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
        using var session = new OnnxTestSession(Build(graph));
        AssertClose(expected, session.RunSingle(("x", x)));
    }

    [Fact]
    public void ResizeBilinear_WhereTheFloatScaleFallsShort_StillGivesTheSizeAndTorchsValues()
    {
        // 31/7 in float32 times 7 truncates to 30: the scale goes one step up.
        Assert.True((long)((float)31 / 7 * 7) < 31);
        Assert.Equal(31, (long)(OnnxGraphBuilder.Scale(7, 31) * 7));
        using var scope = NewDisposeScope();
        var x = Uniform(new Random(5), 0f, 1f, 2, 3, 7, 7);
        var graph = new OnnxGraphBuilder();
        graph.Output(graph.ResizeBilinear(graph.Input("x", ["batch", 3, 7, 7]), 7, 7, 31, 31));

        var expected = F.interpolate(x, size: [31, 31], mode: InterpolationMode.Bilinear, align_corners: false);
        using var session = new OnnxTestSession(Build(graph));
        AssertClose(expected, session.RunSingle(("x", x)));
    }

    [Fact]
    public void UpsampleNearest_OfAOnePixelMap_IsTheBroadcastOfItsValues()
    {
        using var scope = NewDisposeScope();
        var gate = Randn(new Random(4), 1f, 2, 3, 1, 1);
        var graph = new OnnxGraphBuilder();
        graph.Output(graph.UpsampleNearest(graph.Input("x", ["batch", 3, 1, 1]), 5, "y"));

        using var session = new OnnxTestSession(Build(graph));
        var y = session.RunSingle(("x", gate));
        Assert.Equal([2L, 3, 5, 5], y.shape);
        AssertClose(gate.expand(2, 3, 5, 5), y);
        Assert.Throws<ArgumentOutOfRangeException>(() => graph.UpsampleNearest("x", 0));
    }

    [Fact]
    public void Softmax_OverLastAxis_MatchesTorch()
    {
        using var scope = NewDisposeScope();
        var x = Randn(new Random(4), 4f, 2, 4, 10, 10);  // [B, heads, N, N] attention logits
        var graph = new OnnxGraphBuilder();
        graph.Output(graph.Softmax(graph.Input("x", ["batch", 4, 10, 10])));

        using var session = new OnnxTestSession(Build(graph));
        AssertClose(F.softmax(x, -1), session.RunSingle(("x", x)));
    }

    [Fact]
    public void MatMul_BroadcastsLeadingDimensions_LikeTorch()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(5);
        var q = Randn(rng, 1f, 2, 4, 10, 8);    // [B, H, N, D]
        var k = Randn(rng, 1f, 4, 8, 10);       // [H, D, N], broadcast over B
        var proj = Randn(rng, 0.3f, 10, 6);     // [N, 6], broadcast over B and H
        var graph = new OnnxGraphBuilder();
        string scores = graph.MatMul(graph.Input("q", ["batch", 4, 10, 8]), graph.Input("k", [4, 8, 10]));
        graph.Output(graph.MatMul(scores, graph.Initializer("proj", ToArray(proj), [10, 6])));

        using var session = new OnnxTestSession(Build(graph));
        AssertClose(torch.matmul(torch.matmul(q, k), proj), session.RunSingle(("q", q), ("k", k)));
    }

    [Fact]
    public void Gemm_WithTransposedWeight_MatchesTorchLinear()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(6);
        var x = Randn(rng, 1f, 3, 12);
        var weight = Randn(rng, 0.3f, 5, 12);  // torch Linear layout [out, in]
        var bias = Randn(rng, 0.1f, 5);
        var graph = new OnnxGraphBuilder();
        graph.Output(graph.Gemm(graph.Input("x", ["batch", 12]),
            graph.Initializer("fc.weight", ToArray(weight), [5, 12]),
            graph.Initializer("fc.bias", ToArray(bias), [5]), transB: true));

        using var session = new OnnxTestSession(Build(graph));
        AssertClose(F.linear(x, weight, bias), session.RunSingle(("x", x)));
    }

    [Fact]
    public void Pooling_MatchesTorch_GlobalAverage_ReduceMean_AndAveragePoolCountingPadding()
    {
        using var scope = NewDisposeScope();
        var x = Randn(new Random(7), 1f, 2, 3, 9, 9);
        var graph = new OnnxGraphBuilder();
        string input = graph.Input("x", ["batch", 3, 9, 9]);
        graph.Output(graph.GlobalAveragePool(input));
        graph.Output(graph.ReduceMean(input, [2, 3], keepDims: false));
        graph.Output(graph.AveragePool(input, kernel: 3, stride: 2, padding: 1));

        using var session = new OnnxTestSession(Build(graph));
        var outputs = session.Run(("x", x));
        AssertClose(x.mean([2, 3], keepdim: true), outputs[0]);
        AssertClose(x.mean([2, 3]), outputs[1]);
        AssertClose(F.avg_pool2d(x, [3, 3], [2, 2], [1, 1], count_include_pad: true), outputs[2]);
    }

    [Fact]
    public void ShapeOps_MatchTorch_TokensRoundTripThroughFeatureMap()
    {
        using var scope = NewDisposeScope();
        var x = Randn(new Random(8), 1f, 2, 6, 4, 5);  // [B, C, H, W]
        var graph = new OnnxGraphBuilder();
        string input = graph.Input("x", ["batch", 6, 4, 5]);
        string tokens = graph.Transpose(graph.Reshape(input, [0, 0, -1]), [0, 2, 1]);      // [B, HW, C]
        graph.Output(tokens);
        graph.Output(graph.Flatten(input));                                                 // [B, C·H·W]
        string head = graph.Slice(tokens, starts: [1, 0], ends: [3, 4], axes: [1, 2]);     // tokens[:, 1:3, 0:4]
        graph.Output(graph.Concat([head, graph.Identity(head)], axis: 1));
        graph.Output(graph.Slice(input, starts: [-1], ends: [long.MinValue], axes: [3], steps: [-2]));  // x[..., ::-2]
        string one = graph.Constant([1f], [1]);
        graph.Output(graph.Sub(graph.Div(graph.Add(input, input), graph.Add(graph.Mul(input, input), one)), graph.Relu(input)));

        using var session = new OnnxTestSession(Build(graph));
        var outputs = session.Run(("x", x));
        var expectedTokens = x.flatten(2).transpose(1, 2);
        AssertClose(expectedTokens, outputs[0]);
        AssertClose(x.flatten(1), outputs[1]);
        var expectedHead = expectedTokens[.., 1..3, 0..4];
        AssertClose(torch.cat([expectedHead, expectedHead], 1), outputs[2]);
        AssertClose(x.index_select(3, torch.tensor(new long[] { 4, 2, 0 })), outputs[3]);
        AssertClose(x.Plus(x) / (x * x).Plus(1) - F.relu(x), outputs[4]);
    }

    [Fact]
    public void Constant_FeedsLaterOps()
    {
        using var scope = NewDisposeScope();
        var x = Randn(new Random(9), 1f, 2, 3);
        var graph = new OnnxGraphBuilder();
        string bias = graph.Constant([1f, 2f, 3f], [3]);
        string shape = graph.Int64Constant([-1], [1]);
        graph.Output(graph.Reshape(graph.Add(graph.Input("x", ["batch", 3]), bias), shape));

        using var session = new OnnxTestSession(Build(graph));
        AssertClose(x.Plus(torch.tensor(new[] { 1f, 2f, 3f })).flatten(), session.RunSingle(("x", x)));
    }
}
