using System.Globalization;
using System.Text.Json.Nodes;
using ElasticVit.Data;
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
            new("image", "one PNG or JPEG image, read as training reads image folders: resized to the model's input size, gray by luma for a gray model", "FILE"),
            new("images", "every image of a directory in name order (.png, .jpg, .jpeg)", "DIR"),
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

        foreach (var batch in Inputs(sources[0], a.RequiredString(sources[0]), limit, classifier).Chunk(BatchSize))
        {
            var pixels = new float[batch.Length * classifier.ValuesPerImage];
            for (var i = 0; i < batch.Length; i++)
            {
                var image = batch[i].Pixels;
                for (var v = 0; v < image.Length; v++) pixels[i * classifier.ValuesPerImage + v] = image[v] / 255f;
            }
            var scores = classifier.Top(pixels, top);
            for (var i = 0; i < batch.Length; i++) Console.WriteLine(json ? Json(batch[i].Name, scores[i]) : Text(batch[i].Name, scores[i]));
        }
        return 0;
    }

    /// <summary>
    /// Named images of one source as the model's planar bytes [C, H, W], decoded lazily so large directories stream.
    /// Image files are decoded like training images (<see cref="ImageFile"/>); IDX images must have the model's size.
    /// </summary>
    private static IEnumerable<(string Name, byte[] Pixels)> Inputs(string kind, string path, int? limit, OnnxClassifier model) => kind switch
    {
        "image" => [(path, Decode(path, model))],
        "images" => ImageFiles(path).Take(limit ?? int.MaxValue).Select(f => (f, Decode(f, model))),
        _ => IdxImages(path, limit, model),
    };

    private static IEnumerable<(string Name, byte[] Pixels)> IdxImages(string path, int? limit, OnnxClassifier model)
    {
        var (pixels, count, rows, cols) = Idx.ReadImages(path);
        var plane = rows * cols;
        for (var i = 0; i < Math.Min(count, limit ?? count); i++)
        {
            var name = $"{path}[{i}]";
            model.CheckImageSize(name, rows, cols);
            // A gray IDX image for a colour model: the gray plane repeated, as image files get.
            var image = pixels.AsSpan(i * plane, plane).ToArray();
            yield return (name, model.Channels == 1 ? image : [.. image, .. image, .. image]);
        }
    }

    private static IEnumerable<string> ImageFiles(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"directory '{directory}' does not exist");
        var files = Directory.EnumerateFiles(directory).Where(ImageFile.HasImageExtension).Order(StringComparer.Ordinal).ToArray();
        return files.Length > 0 ? files : throw new DataException($"{directory}: no .png, .jpg or .jpeg images");
    }

    private static byte[] Decode(string path, OnnxClassifier model)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"image '{path}' does not exist", path);
        return ImageFile.Decode(path, model.Channels, model.Height, model.Width);
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
