using ElasticVit.IO;
using ElasticVit.Sampling;
using ElasticVit.Supernet;
using static TorchSharp.torch;

namespace ElasticVit.Export;

/// <summary>What <see cref="DeploymentPipeline.Export"/> wrote and how closely ONNX Runtime reproduced the model.</summary>
public sealed record ExportReport(string OnnxPath, long OnnxBytes, string? CheckpointPath, double MaxAbsDifference);

/// <summary>The last step of the pipeline: a static subnet becomes a checked ONNX file and, optionally, a standalone checkpoint.</summary>
public static class DeploymentPipeline
{
    /// <summary>Largest accepted |ONNX − TorchSharp| on the verification batch, relative to max(1, |logits|).</summary>
    public const double Tolerance = 1e-3;

    /// <summary>
    /// Exports <paramref name="model"/>, verifies the graph in ONNX Runtime against the model (eval mode) on a few seeded
    /// random images, then writes the ONNX file and, when <paramref name="checkpointPath"/> is given, the
    /// <see cref="SubnetCheckpoint"/> — both atomically. Fails with <see cref="OnnxException"/> if verification fails.
    /// </summary>
    public static ExportReport Export(StaticModel model, ExportInfo info, string onnxPath, string? checkpointPath = null, OnnxExportOptions? options = null)
    {
        options ??= OnnxExportOptions.Default;
        var wasTraining = model.training;
        model.eval();
        try
        {
            var bytes = OnnxExporter.Export(model, info, options);
            var diff = Verify(model, info, bytes, options.FixedBatch ?? 2);
            AtomicFile.WriteAllBytes(onnxPath, bytes);
            if (checkpointPath is not null) SubnetCheckpoint.Save(checkpointPath, model, info);
            return new ExportReport(onnxPath, bytes.Length, checkpointPath, diff);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Max |ONNX Runtime − TorchSharp| of the logits of <paramref name="count"/> seeded random images; throws beyond <see cref="Tolerance"/>.</summary>
    private static double Verify(StaticModel model, ExportInfo info, byte[] onnx, int count)
    {
        var input = model.Space.Input;
        var rng = new SeededRandom(0);
        var images = new float[count * input.Channels * input.NativeSize * input.NativeSize];
        for (var i = 0; i < images.Length; i++) images[i] = (float)rng.NextDouble();
        using var classifier = OnnxClassifier.Load(onnx, threads: 1, source: "exported graph");
        var actual = classifier.Logits(images);

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var parameter = model.parameters().First();
        var c = input.Channels;
        var raw = tensor(images, [count, c, input.NativeSize, input.NativeSize]).to(parameter.dtype, parameter.device);
        var mean = tensor(info.Mean.ToArray(), [1, c, 1, 1]).to(parameter.dtype, parameter.device);
        var std = tensor(info.Std.ToArray(), [1, c, 1, 1]).to(parameter.dtype, parameter.device);
        var expected = model.forward((raw - mean) / std).to(float64).cpu().data<double>().ToArray();

        var flat = actual.SelectMany(row => row).ToArray();
        var diff = flat.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
        var scale = Math.Max(1, expected.Max(Math.Abs));
        if (!(diff <= Tolerance * scale))
            throw new OnnxException($"exported graph of {model.Subnet.Key} disagrees with the TorchSharp model: max |Δlogit| = {diff:E2} (limit {Tolerance * scale:E1})");
        return diff;
    }
}
