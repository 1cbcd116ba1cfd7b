using System.Text.Json;
using ElasticVit.Data;
using ElasticVit.Export;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Export;

/// <summary>
/// Portable exports (<see cref="OnnxExportOptions.Portable"/>): the same function as the default graph in ONNX Runtime,
/// only operators of opset 13 and static shapes, and — where Debian's python3-opencv is installed — the same logits and
/// top-1 in OpenCV's DNN module (4.6 on Debian 12), whose ONNX importer refuses the default graph.
/// </summary>
[Collection(ElasticVit.Tests.Training.TorchRandomState.Name)]
public sealed class PortableExportTests
{
    private static readonly SearchSpace Space = SpaceLoader.Load("elasticvit-fmnist");

    public static TheoryData<string> Models => ["min", "mid", "max"];

    [Theory]
    [MemberData(nameof(Models))]
    public void PortableGraph_IsOpset13WithStaticShapes_AndMatchesTheDefaultGraphInOnnxRuntime(string name)
    {
        using var model = ExportTestModels.Random(Space, Space.NamedModels[name], seed: 5);
        var info = ExportTestModels.Info(Space);
        var portable = OnnxExporter.Export(model, info, OnnxExportOptions.PortableGraph);
        using var portableRt = OnnxClassifier.Load(portable, threads: 1);
        using var defaultRt = OnnxClassifier.Load(OnnxExporter.Export(model, info), threads: 1);

        Assert.Equal(OnnxExportOptions.PortableBatch, portableRt.FixedBatch);
        Assert.Null(defaultRt.FixedBatch);
        var images = TestImages(7);   // the fixed-batch classifier runs them one at a time
        var expected = defaultRt.Logits(images);
        var actual = portableRt.Logits(images);
        Assert.Equal(expected.Length, actual.Length);
        var diff = expected.Zip(actual, (e, a) => e.Zip(a, (x, y) => Math.Abs(x - y)).Max()).Max();
        Assert.True(diff < 1e-4, $"{name}: portable and default graphs differ by {diff:E2}");
    }

    [RequiresPythonOnnxFact]
    public void PortableGraph_PassesTheOnnxChecker_WithOnlyOpset13Operators()
    {
        using var model = ExportTestModels.Random(Space, Space.NamedModels["mid"], seed: 5);
        var path = Path.Combine(Path.GetTempPath(), $"elasticvit-portable-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, OnnxExporter.Export(model, ExportTestModels.Info(Space), OnnxExportOptions.PortableGraph));
        try
        {
            var (exitCode, output) = PythonOnnx.Run("""
                import json, sys, onnx
                onnx.checker.check_model(sys.argv[1], full_check=True)
                m = onnx.load(sys.argv[1])
                dims = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in m.graph.input[0].type.tensor_type.shape.dim]
                print(json.dumps({"opset": m.opset_import[0].version, "input": dims, "ops": sorted({n.op_type for n in m.graph.node})}))
                """, path);
            Assert.True(exitCode == 0, $"onnx.checker rejected the portable graph:\n{output}");
            using var json = JsonDocument.Parse(output);
            Assert.Equal(13, json.RootElement.GetProperty("opset").GetInt32());
            Assert.Equal([1, 1, 28, 28], json.RootElement.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()));
            var ops = json.RootElement.GetProperty("ops").EnumerateArray().Select(e => e.GetString()).ToArray();
            Assert.DoesNotContain("LayerNormalization", ops);
            Assert.DoesNotContain("HardSwish", ops);
            Assert.DoesNotContain("Shape", ops);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>OpenCV DNN reads the portable graph and reproduces ONNX Runtime on 1,000 Fashion-MNIST test images.</summary>
    [RequiresOpenCvTheory]
    [MemberData(nameof(Models))]
    public void PortableGraph_RunsInOpenCvDnn_WithTheLogitsAndTop1OfOnnxRuntime(string name)
    {
        using var model = ExportTestModels.Random(Space, Space.NamedModels[name], seed: 5);
        var bytes = OnnxExporter.Export(model, ExportTestModels.Info(Space), OnnxExportOptions.PortableGraph);
        using var ort = OnnxClassifier.Load(bytes, threads: 1);
        var (_, test) = Datasets.Load(DatasetKind.FashionMnist, null);
        const int count = 1000;
        var images = new float[count * ort.ValuesPerImage];
        for (var i = 0; i < images.Length; i++) images[i] = test.Pixels[i] / 255f;
        var expected = ort.Logits(images);

        var dir = Path.Combine(Path.GetTempPath(), $"elasticvit-opencv-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "model.onnx"), bytes);
            File.WriteAllBytes(Path.Combine(dir, "images.f32"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(images.AsSpan()).ToArray());
            var (exitCode, output) = OpenCv.Run(dir, count);
            Assert.True(exitCode == 0, $"OpenCV DNN could not run the portable graph of {name}:\n{output}");
            var flat = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, "logits.f32"))).ToArray();
            var classes = Space.Classes;
            Assert.Equal(count * classes, flat.Length);
            double worst = 0;
            var sameTop1 = 0;
            for (var i = 0; i < count; i++)
            {
                var row = flat.AsSpan(i * classes, classes);
                for (var c = 0; c < classes; c++) worst = Math.Max(worst, Math.Abs(row[c] - expected[i][c]));
                if (ArgMax(row) == ArgMax(expected[i])) sameTop1++;
            }
            Assert.True(worst <= 1e-4, $"{name}: OpenCV and ONNX Runtime logits differ by up to {worst:E2}");
            Assert.Equal(count, sameTop1);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static float[] TestImages(int count)
    {
        var rng = new Random(3);
        var images = new float[count * Space.Input.Channels * Space.Input.NativeSize * Space.Input.NativeSize];
        for (var i = 0; i < images.Length; i++) images[i] = (float)rng.NextDouble();
        return images;
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}

/// <summary>OpenCV's DNN module through Debian's python3-opencv (<c>/usr/bin/python3</c>), as a second deployment runtime.</summary>
internal static class OpenCv
{
    /// <summary>Reads DIR/model.onnx and DIR/images.f32, runs the images one at a time, writes DIR/logits.f32.</summary>
    private const string Script = """
        import sys, numpy as np, cv2
        folder, count = sys.argv[1], int(sys.argv[2])
        net = cv2.dnn.readNetFromONNX(folder + "/model.onnx")
        images = np.fromfile(folder + "/images.f32", dtype=np.float32).reshape(count, 1, 28, 28)
        rows = []
        for image in images:
            net.setInput(image[None])
            rows.append(net.forward().copy())
        np.concatenate(rows).astype(np.float32).tofile(folder + "/logits.f32")
        """;

    /// <summary>Why OpenCV cannot run here, or null when <c>import cv2</c> works.</summary>
    public static readonly Lazy<string?> UnavailableReason = new(() =>
    {
        if (!File.Exists(PythonOnnx.Python)) return $"{PythonOnnx.Python} not found; install Debian's python3-opencv to test portable exports in OpenCV DNN";
        var (exitCode, output) = PythonOnnx.Run("import cv2");
        return exitCode == 0 ? null : $"'import cv2' failed in {PythonOnnx.Python} (install Debian's python3-opencv): {output.Trim().Split('\n')[^1]}";
    });

    public static (int ExitCode, string Output) Run(string dir, int count) =>
        PythonOnnx.Run(Script, dir, count.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>A theory that is skipped, with the reason, where OpenCV's Python module is not importable.</summary>
public sealed class RequiresOpenCvTheoryAttribute : TheoryAttribute
{
    public RequiresOpenCvTheoryAttribute()
    {
        if (OpenCv.UnavailableReason.Value is { } reason) Skip = reason;
    }
}
