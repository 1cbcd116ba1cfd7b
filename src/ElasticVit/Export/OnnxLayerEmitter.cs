using ElasticVit.Spaces;
using ElasticVit.Supernet;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Export;

/// <summary>
/// Emits the eval-mode ONNX nodes of static layers (<see cref="StemLayer"/>, <see cref="Stage0Layer"/>,
/// <see cref="MbConvLayer"/>, <see cref="TransformerLayer"/>, <see cref="HeadLayer"/>) into a graph, one layer at a
/// time: BatchNorm folded into the conv before it, attention with its relative-position bias as a constant.
/// Shared by whole-model exports (<see cref="OnnxExporter"/>) and single-layer exports (<see cref="OnnxLayerExporter"/>).
/// </summary>
/// <param name="batch">The graph's batch dimension: fixed, or symbolic (then maps get shape hints where inference loses it).</param>
/// <param name="portable">A portable graph (<see cref="OnnxExportOptions.Portable"/>), whose batch is fixed.</param>
internal sealed class OnnxLayerEmitter(OnnxGraphBuilder g, OnnxDim batch, bool portable = false)
{
    public OnnxGraphBuilder G { get; } = g;

    private readonly int? _portableBatch = portable
        ? (int)(batch.Size ?? throw new ArgumentException("a portable graph has a fixed batch", nameof(batch)))
        : null;

    /// <summary>
    /// Raw images → <c>(x − mean) / std</c> per channel, bilinearly resized to <paramref name="resolution"/> if it differs
    /// from <paramref name="size"/> (to constant sizes in a portable graph).
    /// </summary>
    public string Preprocess(string x, IReadOnlyList<float> mean, IReadOnlyList<float> std, int size, int resolution)
    {
        long[] perChannel = [1, mean.Count, 1, 1];
        x = G.Sub(x, G.Initializer("input.mean", [.. mean], perChannel), "input.centred");
        x = G.Div(x, G.Initializer("input.std", [.. std], perChannel), "input.normalised");
        if (resolution == size) return x;
        return _portableBatch is { } fixedBatch
            ? G.ResizeBilinear(x, [fixedBatch, mean.Count, resolution, resolution], "input.resized")
            : MapHint(G.ResizeBilinear(x, size, size, resolution, resolution, "input.resized"), mean.Count, resolution);
    }

    /// <summary>
    /// The nodes of one layer: maps [B, C, H, W] in and out, token rows [B·N, C] for transformer layers, logits [B, classes]
    /// out of the head. Tokens travel as rows of a matrix so every biased linear map is one Gemm node: on [B, N, C] it is a
    /// MatMul and an Add that ONNX Runtime leaves apart, and at batch 1 on these small maps each node costs about a
    /// microsecond whatever it computes (bench/results/export-latency.md).
    /// </summary>
    public string Layer(string x, LayerSpec spec, nn.Module<Tensor, Tensor> layer) => layer switch
    {
        StemLayer s => HardSwish(ConvBn(x, s.conv, s.bn, "stem.conv", spec.Stride)),
        Stage0Layer s => Stage0(x, s),
        MbConvLayer m => MbConv(x, m),
        TransformerLayer t => Transformer(x, t),
        HeadLayer h => Head(x, h),
        _ => throw new NotSupportedException($"no ONNX export for layer {layer.GetType().Name}"),
    };

    /// <summary>[B, C, R, R] → token rows [B·R·R, C].</summary>
    public string ToTokens(string map, int grid, int channels, string next) =>
        G.Reshape(G.Transpose(map, [0, 2, 3, 1]), RowsOf(grid * grid, channels), $"{next}.tokens");

    /// <summary>Token rows [B·R·R, C] → [B, C, R, R].</summary>
    public string ToMap(string tokens, int grid, int channels, string next) =>
        MapHint(G.Transpose(G.Reshape(tokens, Batched(grid, grid, channels)), [0, 3, 1, 2], $"{next}.map"), channels, grid);

    /// <summary>
    /// <paramref name="map"/> [B, C, R, R] with a shape hint for a symbolic batch, which ONNX shape inference forgets at a
    /// Resize by scales and at a Reshape that infers it (<see cref="OnnxGraphBuilder.ShapeHint"/>): without it ONNX Runtime
    /// cannot show that two maps have the same shape, so it neither fuses a residual Add into its convolution nor keeps a
    /// product of two maps in its blocked layout.
    /// </summary>
    private string MapHint(string map, int channels, int size)
    {
        if (batch.Symbol is not null) G.ShapeHint(map, [batch, channels, size, size]);
        return map;
    }

    /// <summary>[B, N, C] (a standalone transformer layer's input) → token rows [B·N, C].</summary>
    public string ToRows(string tokens, int count, int channels) => G.Reshape(tokens, RowsOf(count, channels), "tokens.rows");

    /// <summary>Token rows [B·N, C] → [B, N, C] (a standalone transformer layer's output).</summary>
    public string FromRows(string rows, int count, int channels) => G.Reshape(rows, Batched(count, channels), "tokens");

    private string Stage0(string x, Stage0Layer s)
    {
        var n = s.GetName();
        var h = HardSwish(ConvBn(x, s.dw, s.bn1, $"{n}.dw"));
        return G.Add(x, ConvBn(h, s.pw, s.bn2, $"{n}.pw"), $"{n}.out");
    }

    private string MbConv(string x, MbConvLayer m)
    {
        var (n, stride) = (m.GetName(), m.Spec.Stride);
        var h = HardSwish(ConvBn(x, m.expand, m.bn1, $"{n}.expand"));
        h = HardSwish(ConvBn(h, m.dw, m.bn2, $"{n}.dw", stride));
        if (m.se is { } se)
        {
            var gate = G.GlobalAveragePool(h, $"{n}.se.pool");
            gate = G.Relu(Conv(gate, se.reduce, $"{n}.se.reduce"));
            gate = G.HardSigmoid(Conv(gate, se.expand, $"{n}.se.expand"));
            // ONNX Runtime runs no broadcasting product in its blocked layout: the [B, C, 1, 1] gate, copied to the map's size
            // first, keeps the product and the convolutions around it there instead of reordering the map out and back
            // (bench/results/export-latency.md, session 30). OpenCV's importer takes the broadcast.
            if (!portable) gate = MapHint(G.UpsampleNearest(gate, m.Spec.OutSize, $"{n}.se.gate"), (int)se.expand.weight!.shape[0], m.Spec.OutSize);
            h = G.Mul(gate, h, $"{n}.se.out");   // gate first: OpenCV's importer takes the shape of a broadcast product from its second input
        }
        h = ConvBn(h, m.project, m.bn3, $"{n}.project");
        var shortcut = x;
        if (m.shortcut is not null)
        {
            if (stride > 1) shortcut = G.AveragePool(x, stride, stride, countIncludePad: false, ceilMode: true, name: $"{n}.shortcut.pool");
            shortcut = Conv(shortcut, m.shortcut, $"{n}.shortcut");
        }
        return G.Add(h, shortcut, $"{n}.out");
    }

    /// <summary>Token rows [B·N, C] → [B·N, C]: pre-norm attention with a depthwise conv on V, then a Hardswish MLP.</summary>
    private string Transformer(string x, TransformerLayer t)
    {
        var n = t.GetName();
        int heads = t.Spec.Heads, hd = t.Spec.HeadDim, vd = t.VDim, grid = t.Spec.InSize, tokens = grid * grid;
        var h = LayerNorm(x, t.ln1, $"{n}.ln1", tokens);
        // The 1/√d scale is folded into W_q (exact for the power-of-two head dims of the built-in spaces).
        var q = G.MatMul(h, Init($"{n}.q.weight_t", t.q.weight!.t(), (float)(1.0 / Math.Sqrt(hd))));
        q = G.Transpose(G.Reshape(q, Batched(tokens, heads, hd)), [0, 2, 1, 3], $"{n}.q.heads");               // [B, H, N, d]
        var k = G.MatMul(h, Init($"{n}.k.weight_t", t.k.weight!.t()));
        k = G.Transpose(G.Reshape(k, Batched(tokens, heads, hd)), [0, 2, 3, 1], $"{n}.k.heads_t");             // [B, H, d, N]
        var v = G.Reshape(G.MatMul(h, Init($"{n}.v.weight_t", t.v.weight!.t())), Batched(grid, grid, heads * vd)); // [B, R, R, H·vd]
        v = G.Conv(G.Transpose(v, [0, 3, 1, 2]), Init($"{n}.v_dw.weight", t.v_dw.weight!),
            padding: 1, group: heads * vd, name: $"{n}.v_dw");
        v = G.Transpose(G.Reshape(v, Batched(heads, vd, tokens)), [0, 1, 3, 2], $"{n}.v.heads");             // [B, H, N, vd]
        var scores = G.Add(G.MatMul(q, k), Init($"{n}.position_bias", t.PositionBias()), $"{n}.scores");   // [B, H, N, N]
        var o = HardSwish(G.MatMul(G.Softmax(scores, -1), v));                                          // [B, H, N, vd]
        o = G.Reshape(G.Transpose(o, [0, 2, 1, 3]), RowsOf(tokens, heads * vd));                             // [B·N, H·vd]
        x = G.Add(x, Gemm(o, t.proj, $"{n}.proj"), $"{n}.attention_out");
        h = HardSwish(Gemm(LayerNorm(x, t.ln2, $"{n}.ln2", tokens), t.fc1, $"{n}.fc1"));
        return G.Add(x, Gemm(h, t.fc2, $"{n}.fc2"), $"{n}.out");
    }

    private string Head(string x, HeadLayer head)
    {
        var h = HardSwish(ConvBn(x, head.expand, head.bn, "head.expand"));
        h = G.ReduceMean(h, [2, 3], keepDims: false, name: "head.pool");                                  // [B, C·mul]
        h = HardSwish(Gemm(h, head.hidden, "head.hidden"));
        return Gemm(h, head.classifier, OnnxExporter.OutputName);
    }

    // ---- building blocks ------------------------------------------------------------------------------------

    /// <summary>A conv (padding k/2, as <see cref="StaticLayers.Conv"/>) with the BatchNorm after it folded in.</summary>
    private string ConvBn(string x, Conv2d conv, BatchNorm2d bn, string name, int stride = 1)
    {
        var folded = BatchNormFolding.FoldIntoConv(Floats(conv.weight!), conv.bias is null ? null : Floats(conv.bias),
            Floats(bn.weight!), Floats(bn.bias!), Floats(bn.running_mean!), Floats(bn.running_var!), Nn.ElasticBatchNorm2d.Eps);
        var w = G.Initializer($"{name}.weight", folded.Weight, conv.weight!.shape);
        var b = G.Initializer($"{name}.bias", folded.Bias, [folded.Bias.Length]);
        return ConvNode(x, conv, w, b, name, stride);
    }

    private string Conv(string x, Conv2d conv, string name) =>
        ConvNode(x, conv, Init($"{name}.weight", conv.weight!), conv.bias is null ? null : Init($"{name}.bias", conv.bias), name, 1);

    private string ConvNode(string x, Conv2d conv, string weight, string? bias, string name, int stride)
    {
        var kernel = (int)conv.weight!.shape[2];                                                         // [out, in/group, k, k]
        return G.Conv(x, weight, bias, stride, kernel / 2, (int)conv.groups, name: name);
    }

    private string LayerNorm(string x, LayerNorm ln, string name, int tokens)
    {
        if (_portableBatch is not { } fixedBatch)
            return G.LayerNormalization(x, Init($"{name}.weight", ln.weight!), Init($"{name}.bias", ln.bias!), -1, (float)Nn.ElasticLayerNorm.Eps, name);
        // (x − mean) / √(var + ε) · γ + β in operators OpenCV's importer takes: the means over the channels as a product
        // with a constant C×C matrix of 1/C (a reduction would need broadcasting divisions it refuses), γ and β as
        // constants of the whole [batch, tokens, C] shape (it refuses to broadcast a per-channel vector over tokens, and
        // to multiply token rows by a constant of their [batch·tokens, C] shape).
        var channels = (int)ln.weight!.shape[0];
        x = G.Reshape(x, Batched(tokens, channels), $"{name}.tokens");
        var averaging = G.Initializer($"{name}.averaging", Enumerable.Repeat(1f / channels, channels * channels).ToArray(), [channels, channels]);
        var centred = G.Sub(x, G.MatMul(x, averaging), $"{name}.centred");
        var variance = G.MatMul(G.Mul(centred, centred), averaging, $"{name}.variance");
        var eps = G.Initializer($"{name}.epsilon", [(float)Nn.ElasticLayerNorm.Eps], [1]);
        var normalised = G.Div(centred, G.Sqrt(G.Add(variance, eps)), $"{name}.normalised");
        var y = G.Add(G.Mul(normalised, Tiled($"{name}.weight", ln.weight!, fixedBatch, tokens)), Tiled($"{name}.bias", ln.bias!, fixedBatch, tokens));
        return G.Reshape(y, RowsOf(tokens, channels), name);
    }

    /// <summary>A per-channel vector repeated for every token of the batch: a [batch, tokens, C] initializer.</summary>
    private string Tiled(string name, Tensor vector, int images, int tokens)
    {
        var values = Floats(vector);
        var tiled = new float[images * tokens * values.Length];
        for (var r = 0; r < images * tokens; r++) values.CopyTo(tiled, r * values.Length);
        return G.Initializer(name, tiled, [images, tokens, values.Length]);
    }

    /// <summary>A reshape target with the batch in front (-1, what the rest leaves, or a portable graph's fixed batch, which OpenCV's importer needs), then <paramref name="dims"/>.</summary>
    private long[] Batched(params long[] dims) => [_portableBatch ?? -1, .. dims];

    /// <summary>A reshape target of <paramref name="perImage"/> rows per image of <paramref name="width"/> values each.</summary>
    private long[] RowsOf(int perImage, int width) => [_portableBatch * perImage ?? -1, width];

    /// <summary>
    /// HardSwish (opset 14), or HardSigmoid(x) · x in a portable graph — in that order: OpenCV 4.6 fuses the HardSigmoid
    /// into a preceding MatMul and then feeds the product the activated value if x comes first (its own HardSwish is off too).
    /// </summary>
    private string HardSwish(string x) => portable ? G.Mul(G.HardSigmoid(x), x) : G.HardSwish(x);

    /// <summary>A biased Linear on rows [M, in] as one Gemm.</summary>
    private string Gemm(string x, Linear linear, string name) =>
        G.Gemm(x, Init($"{name}.weight", linear.weight!), Init($"{name}.bias", linear.bias!), transB: true, name: name);

    private string Init(string name, Tensor t) => G.Initializer(name, Floats(t), t.shape);

    /// <summary>
    /// An initializer of <paramref name="t"/> · <paramref name="scale"/>, multiplied here in float32 as torch would: a torch
    /// <c>tensor * double</c> makes a temporary native Scalar that the GC can free while the call still uses it.
    /// </summary>
    private string Init(string name, Tensor t, float scale) => G.Initializer(name, [.. Floats(t).Select(v => v * scale)], t.shape);

    /// <summary>The values of <paramref name="t"/> in row-major order, copied once from the tensor's memory.</summary>
    private static float[] Floats(Tensor t)
    {
        using var flat = t.detach().to(float32).cpu().contiguous();
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(flat.bytes).ToArray();
    }
}
