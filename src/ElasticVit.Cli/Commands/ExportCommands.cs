using System.Text.Json.Nodes;
using ElasticVit.Export;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using ElasticVit.Training;
using Spectre.Console;

namespace ElasticVit.Cli.Commands;

/// <summary><c>extract</c> (standalone subnet checkpoint) and <c>export</c> (ONNX with preprocessing inside), both with inherited weights.</summary>
public static class ExportCommands
{
    public const int DefaultCalibrationBatches = 32;
    private static readonly OptionSpec Calibration = new("calibration-batches", "batches of 64 training images for BN recalibration before extraction", "N", $"{DefaultCalibrationBatches}");

    public static IEnumerable<CommandSpec> All =>
    [
        new("extract", "extract a subnet with its inherited weights (BN recalibrated) into a standalone checkpoint", [
            TrainCommands.Run, ArchCommands.Arch, new("out", "checkpoint file to write", "FILE", Required: true), Calibration,
        ], Extract),
        new("export", "export a subnet with its inherited weights to ONNX (raw [0,1] images in; resize and normalisation inside)", [
            TrainCommands.Run, ArchCommands.Arch, new("out", "ONNX file to write", "FILE", Required: true),
            new("checkpoint-out", "also write the standalone subnet checkpoint", "FILE"), Calibration,
            new("portable", "a graph for runtimes with narrower ONNX importers such as OpenCV DNN: opset 13, one image per run, static resize, LayerNorm and HardSwish as primitive operators", null),
            new("check-test", "measure test accuracy in TorchSharp and in ONNX Runtime", null), ArchCommands.Json,
        ], Export),
    ];

    private static int Extract(ParsedArgs a)
    {
        var outPath = a.OutputPath("out")!;
        using var run = TrainedRun.Open(a.RequiredString("run"));
        var subnet = run.Space.Resolve(a.RequiredString("arch"));
        var (model, info) = run.Extract(subnet, a.Int("calibration-batches", 1));
        using (model) SubnetCheckpoint.Save(outPath, model, info);
        AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(outPath)}[/]: {Markup.Escape(subnet.Key)}");
        return 0;
    }

    private static int Export(ParsedArgs a)
    {
        var (onnxPath, checkpointPath) = (a.OutputPath("out")!, a.OutputPath("checkpoint-out"));
        using var run = TrainedRun.Open(a.RequiredString("run"));
        var subnet = run.Space.Resolve(a.RequiredString("arch"));
        var (model, info) = run.Extract(subnet, a.Int("calibration-batches", 1));
        using (model)
        {
            var options = a.Flag("portable") ? OnnxExportOptions.PortableGraph : OnnxExportOptions.Default;
            var report = DeploymentPipeline.Export(model, info, onnxPath, checkpointPath, options);
            var result = new JsonObject
            {
                ["key"] = subnet.Key, ["onnx"] = report.OnnxPath, ["onnx_bytes"] = report.OnnxBytes, ["checkpoint"] = report.CheckpointPath,
                ["max_abs_difference"] = report.MaxAbsDifference, ["opset"] = options.Opset,
            };
            if (a.Flag("check-test"))
            {
                using var ort = OnnxClassifier.Load(report.OnnxPath, threads: 1);
                result["test_top1_onnxruntime"] = OnnxAccuracy.Measure(ort, run.Data.Test);
                result["test_top1_torchsharp"] = StaticAccuracy.Measure(model, run.Data.Test, run.Data.Normalization);
            }
            if (a.Flag("json")) Console.WriteLine(result.ToJsonString());
            else foreach (var (k, v) in result) Console.WriteLine($"{k,-24} {v}");
        }
        return 0;
    }
}
