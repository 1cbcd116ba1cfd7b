using System.Text.Json;
using ElasticVit.Export;

namespace ElasticVit.Tests.Export;

/// <summary>The reference <c>onnx</c> package accepts and decodes what the hand-written encoder writes.</summary>
public sealed class OnnxCheckerTests
{
    private const string CheckAndDescribe = """
        import json, sys, onnx
        path = sys.argv[1]
        onnx.checker.check_model(path, full_check=True)
        m = onnx.load(path)
        def dims(v):
            return [d.dim_param if d.HasField("dim_param") else d.dim_value for d in v.type.tensor_type.shape.dim]
        print(json.dumps({
            "ir_version": m.ir_version,
            "opsets": {o.domain: o.version for o in m.opset_import},
            "producer": [m.producer_name, m.producer_version],
            "doc": m.doc_string,
            "metadata": {p.key: p.value for p in m.metadata_props},
            "graph": m.graph.name,
            "inputs": {v.name: dims(v) for v in m.graph.input},
            "outputs": {v.name: dims(v) for v in m.graph.output},
            "ops": sorted({n.op_type for n in m.graph.node}),
        }, separators=(",", ":")))
        """;

    [RequiresPythonOnnxFact]
    public void WrittenModel_PassesFullCheck_AndDecodesAsWritten()
    {
        string path = Path.Combine(Path.GetTempPath(), $"elasticvit-checker-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, BuildModelUsingEveryOp());
        try
        {
            var (exitCode, output) = PythonOnnx.Run(CheckAndDescribe, path);
            Assert.True(exitCode == 0, $"onnx.checker rejected the model:\n{output}");

            using var json = JsonDocument.Parse(output);
            var root = json.RootElement;
            Assert.Equal(8, root.GetProperty("ir_version").GetInt32());
            Assert.Equal(17, root.GetProperty("opsets").GetProperty("").GetInt32());
            Assert.Equal(["ElasticVit", "1.2.3"], root.GetProperty("producer").EnumerateArray().Select(e => e.GetString()!));
            Assert.Equal("every op once", root.GetProperty("doc").GetString());
            Assert.Equal("r160", root.GetProperty("metadata").GetProperty("subnet").GetString());
            Assert.Equal("μ=0.5 σ=0.25", root.GetProperty("metadata").GetProperty("normalisation").GetString());
            Assert.Equal("every_op", root.GetProperty("graph").GetString());
            Assert.Equal("[\"batch\",4,8,8]", root.GetProperty("inputs").GetProperty("x").GetRawText());
            Assert.Equal("[\"batch\",10]", root.GetProperty("outputs").GetProperty("logits").GetRawText());
            string[] expectedOps =
            [
                "Add", "AveragePool", "Concat", "Constant", "Conv", "Div", "Flatten", "Gemm", "GlobalAveragePool",
                "HardSigmoid", "HardSwish", "Identity", "LayerNormalization", "MatMul", "Mul", "ReduceMean", "Relu",
                "Reshape", "Resize", "Shape", "Slice", "Softmax", "Sub", "Transpose",
            ];
            Assert.Equal(expectedOps, root.GetProperty("ops").EnumerateArray().Select(e => e.GetString()!));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A small hybrid CNN + attention graph touching every op the builder offers.</summary>
    private static byte[] BuildModelUsingEveryOp()
    {
        var rng = new Random(21);
        float[] Weights(int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() - 0.5))];
        var g = new OnnxGraphBuilder("every_op");

        string x = g.Input("x", ["batch", 4, 8, 8]);
        string h = g.Relu(g.Conv(x, g.Initializer("c1.w", Weights(8 * 4 * 9), [8, 4, 3, 3]), g.Initializer("c1.b", Weights(8), [8]), padding: 1));
        h = g.HardSwish(g.Conv(h, g.Initializer("dw.w", Weights(8 * 9), [8, 1, 3, 3]), null, stride: 2, padding: 1, group: 8));  // [B, 8, 4, 4]
        string gate = g.GlobalAveragePool(h);                                                                                    // squeeze-excite
        gate = g.Relu(g.Conv(gate, g.Initializer("se.reduce.w", Weights(4 * 8), [4, 8, 1, 1]), g.Initializer("se.reduce.b", Weights(4), [4])));
        gate = g.HardSigmoid(g.Conv(gate, g.Initializer("se.expand.w", Weights(8 * 4), [8, 4, 1, 1]), g.Initializer("se.expand.b", Weights(8), [8])));
        h = g.ResizeBilinear(g.Mul(h, gate), 4, 4, 6, 6);                                                                         // [B, 8, 6, 6]

        string tokens = g.Transpose(g.Reshape(h, [0, 0, -1]), [0, 2, 1]);                                                        // [B, 36, 8]
        tokens = g.LayerNormalization(tokens, g.Initializer("ln.w", Weights(8), [8]), g.Initializer("ln.b", Weights(8), [8]), epsilon: 1e-6f);
        string q = g.MatMul(tokens, g.Initializer("q.w", Weights(64), [8, 8]));
        string k = g.MatMul(tokens, g.Initializer("k.w", Weights(64), [8, 8]));
        string scores = g.Div(g.MatMul(q, g.Transpose(k, [0, 2, 1])), g.Constant([MathF.Sqrt(8)], [1]));                         // [B, 36, 36]
        string attention = g.Softmax(g.Add(scores, g.Initializer("rel_pos_bias", Weights(36 * 36), [36, 36])));
        string mixed = g.MatMul(attention, tokens);
        string halves = g.Slice(mixed, starts: [0], ends: [18], axes: [1]);
        mixed = g.Sub(g.Concat([halves, halves], axis: 1), mixed);
        string features = g.ReduceMean(mixed, [1], keepDims: false);                                                            // [B, 8]

        string pooled = g.Flatten(g.AveragePool(h, kernel: 3, stride: 1, padding: 1));                                           // [B, 288]
        pooled = g.Reshape(pooled, g.Concat([g.Shape(pooled, start: 0, end: 1), g.Int64Constant([-1], [1])], axis: 0));
        string logits = g.Gemm(pooled, g.Initializer("head.w", Weights(10 * 288), [10, 288]), g.Initializer("head.b", Weights(10), [10]), transB: true);
        g.Output(g.Identity(logits, name: "logits"), ["batch", 10]);
        g.Output(g.Identity(features, name: "features"), ["batch", 8]);

        return g.Build("ElasticVit", "1.2.3", "every op once",
            new Dictionary<string, string> { ["subnet"] = "r160", ["normalisation"] = "μ=0.5 σ=0.25" });
    }
}
