using ElasticVit.IO;
using System.Text;
using ElasticVit.Export;
using ElasticVit.Latency;
using ElasticVit.Spaces;
using ElasticVit.Supernet;

namespace ElasticVit.Cli.Commands;

/// <summary>
/// <c>latency export-layers</c>: every layer shape as its own ONNX file (named by <see cref="LayerKeys.LayerFileName"/>),
/// optionally a few whole subnets, and a CSV template in the schema of docs/latency-csv.md listing them, to be filled in
/// with a device's own benchmark tool and imported with <c>latency import</c>.
/// </summary>
public static class LatencyExportCommand
{
    public const string TemplateName = "latency-template.csv";

    public static int Run(ParsedArgs a)
    {
        var space = SpaceLoader.Load(a.RequiredString("space"));
        var resolutions = LatencyCommands.ParseResolutions(a);
        var layers = LatencyTable.RequiredLayers(space, resolutions);
        var models = a.Int("models", 0);
        var dir = a.OutputPath("out", folder: true)!;
        Directory.CreateDirectory(dir);

        var csv = new StringBuilder();
        csv.Append($"# device: \n# space: {space.Name}\n# backend: \n# threads: \n# runtime_version: \n# machine: \n# date: \n# notes: \n");
        csv.Append("# Fill in device and latency_ms (median milliseconds; runs and iqr_ms may stay empty), then: elasticvit latency import --csv THIS_FILE --out table.json\n");
        csv.Append("# Every layer file has one float input 'x' and one output: raw images [1, C, S, S] for the stem (it includes the model's\n");
        csv.Append("# input normalisation and resize), tokens [1, N, C] for transformer layers, maps [1, C, H, W] otherwise.\n");
        csv.Append("layer_key,latency_ms,runs,iqr_ms\n");
        var bar = new ProgressBar("layers", layers.Count);
        for (var i = 0; i < layers.Count; i++)
        {
            var file = LayerKeys.LayerFileName(layers[i].Key);
            AtomicFile.WriteAllBytes(Path.Combine(dir, file), OnnxLayerExporter.Export(space, layers[i]));
            csv.Append($"{file},,,\n");
            bar.Report(i + 1, file);
        }
        if (models > 0)
        {
            csv.Append("\n# Whole subnets (input 'image', raw images at the native size); their file is the key with ':' replaced by '_' plus .onnx.\n");
            csv.Append("model_key,latency_ms\n");
            foreach (var subnet in LatencySubnets.Spread(space, models, a.Int("seed", 0), resolutions?.ToArray()))
            {
                using var model = new StaticModel(space, subnet);
                OnnxExporter.Export(model, ExportInfo.Plain(space), Path.Combine(dir, subnet.Key.Replace(':', '_') + ".onnx"));
                csv.Append($"{subnet.Key},\n");
            }
        }
        AtomicFile.WriteAllBytes(Path.Combine(dir, TemplateName), Encoding.UTF8.GetBytes(csv.ToString()));
        Console.WriteLine($"wrote {layers.Count} layer files{(models > 0 ? $" and {models} subnets" : "")} and {TemplateName} to {dir}");
        return 0;
    }
}
