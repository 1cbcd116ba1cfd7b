using System.Globalization;
using System.Text.Json.Nodes;
using ElasticVit.Cli.Images;
using ElasticVit.Export;

namespace ElasticVit.Cli.Commands;

/// <summary><c>predict</c>: classify images with an exported ONNX model.</summary>
public static class DeployCommands
{
    private const int BatchSize = 64;

    public static IEnumerable<CommandSpec> All =>
    [
        new("predict", "classify images with an exported ONNX model; prints the top classes and their probabilities", [
            new("model", "ONNX model written by 'export'", "FILE", Required: true),
            new("image", "one PNG image (8-bit gray/RGB/RGBA/palette; JPEG is not supported yet)", "FILE"),
            new("images", "every image of a directory in name order (.png; .jpg is refused for now)", "DIR"),
            new("idx", "an IDX images file (Fashion-MNIST format, magic 2051; .gz or not)", "FILE"),
            new("limit", "classify only the first N images of --idx or --images", "N"),
            new("top", "how many classes to print per image", "K", "5"),
            new("threads", "ONNX Runtime intra-op threads (0: its default)", "T", "0"),
            new("json", "print one JSON object per image", null),
        ], Predict),
    ];

    private static int Predict(ParsedArgs a)
    {
        var sources = new[] { "image", "images", "idx" }.Where(a.Has).ToArray();
        if (sources.Length != 1) throw new UsageException("'predict' needs exactly one of --image, --images or --idx");
        var limit = a.Has("limit") ? a.Int("limit", 1) : (int?)null;
        using var classifier = OnnxClassifier.Load(a.RequiredString("model"), a.Int("threads", 0, 1024));
        var top = Math.Min(a.Int("top", 1), classifier.ClassNames.Count);
        var json = a.Flag("json");

        foreach (var batch in Inputs(sources[0], a.RequiredString(sources[0]), limit).Chunk(BatchSize))
        {
            var pixels = new float[batch.Length * classifier.ValuesPerImage];
            for (var i = 0; i < batch.Length; i++)
            {
                var (name, image) = batch[i];
                classifier.CheckImageSize(name, image.Height, image.Width);
                image.ToPlanar(classifier.Channels).CopyTo(pixels, i * classifier.ValuesPerImage);
            }
            var scores = classifier.Top(pixels, top);
            for (var i = 0; i < batch.Length; i++) Console.WriteLine(json ? Json(batch[i].Name, scores[i]) : Text(batch[i].Name, scores[i]));
        }
        return 0;
    }

    /// <summary>Named images of one source, decoded lazily so large directories stream.</summary>
    private static IEnumerable<(string Name, DecodedImage Image)> Inputs(string kind, string path, int? limit) => kind switch
    {
        "image" => [(path, Decode(path))],
        "images" => ImageFiles(path).Take(limit ?? int.MaxValue).Select(f => (f, Decode(f))),
        _ => IdxImageFile.Read(path, limit).Select((image, i) => ($"{path}[{i}]", image)),
    };

    private static IEnumerable<string> ImageFiles(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"directory '{directory}' does not exist");
        var files = Directory.EnumerateFiles(directory).Where(f => IsImage(f)).Order(StringComparer.Ordinal).ToArray();
        return files.Length > 0 ? files : throw new ElasticVit.Data.DataException($"{directory}: no .png images");
    }

    private static bool IsImage(string f) => Path.GetExtension(f).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg";

    private static DecodedImage Decode(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"image '{path}' does not exist", path);
        if (Path.GetExtension(path).ToLowerInvariant() is ".jpg" or ".jpeg")
            throw new ElasticVit.Data.DataException($"{path}: JPEG is not supported yet (PNG only)");
        return PngDecoder.Read(path);
    }

    private static string Text(string name, ClassScore[] scores) =>
        $"{name}\t" + string.Join("  ", scores.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Name} {s.Probability:F4}")));

    private static string Json(string name, ClassScore[] scores) => new JsonObject
    {
        ["input"] = name,
        ["top"] = new JsonArray(scores.Select(s => (JsonNode)new JsonObject
        {
            ["index"] = s.Index,
            ["class"] = s.Name,
            ["probability"] = Math.Round(s.Probability, 6),
        }).ToArray()),
    }.ToJsonString();
}
