using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json;
using ElasticVit.Cli.Commands;
using ElasticVit.Data;
using SkiaSharp;
using ElasticVit.Export;
using ElasticVit.Spaces;
using ElasticVit.Tests.Export;

namespace ElasticVit.Tests.Cli;

[Collection("Console")]
public sealed class PredictCommandTests : IDisposable
{
    private static readonly string[] ClassNames = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("elasticvit-predict-");
    private readonly string _model;

    public PredictCommandTests()
    {
        var space = SpaceLoader.Load("elasticvit-fmnist");
        using var model = ExportTestModels.Random(space, space.Resolve("min"), 2);
        _model = PathOf("fmnist.onnx");
        OnnxExporter.Export(model, ExportTestModels.Info(space) with { ClassNames = ClassNames }, _model);
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private static (int, string, string) Predict(params string[] args) => CliRunner.Run([.. DeployCommands.All], ["predict", .. args]);

    /// <summary>A gzipped IDX images file of <paramref name="count"/> random images.</summary>
    private string WriteIdx(int count, int size = 28)
    {
        var bytes = new byte[16 + count * size * size];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 2051);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), size);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), size);
        new Random(3).NextBytes(bytes.AsSpan(16));
        var path = PathOf($"images-{size}.idx.gz");
        using var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        gz.Write(bytes);
        return path;
    }

    [Fact]
    public void Idx_PrintsTopKClassNamesForEachImageUpToTheLimit()
    {
        var (code, output, error) = Predict("--model", _model, "--idx", WriteIdx(100), "--limit", "70", "--top", "3");
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(70, lines.Length);
        Assert.StartsWith($"{PathOf("images-28.idx.gz")}[69]\t", lines[^1]);
        Assert.Equal(3, lines[0].Split('\t')[1].Split("  ").Length);
        Assert.Contains(ClassNames, name => lines[0].Contains(name, StringComparison.Ordinal));
    }

    [Fact]
    public void Json_GivesProbabilitiesThatAgreeWithTheClassifier()
    {
        var idx = WriteIdx(2);
        var (code, output, error) = Predict("--model", _model, "--idx", idx, "--top", "10", "--json", "--threads", "1");
        Assert.True(code == 0, error);
        var first = JsonDocument.Parse(output.Split('\n')[0]).RootElement;
        var top = first.GetProperty("top").EnumerateArray().ToArray();
        Assert.Equal(10, top.Length);
        Assert.Equal(1.0, top.Sum(t => t.GetProperty("probability").GetDouble()), 1e-4);

        using var classifier = OnnxClassifier.Load(_model);
        var image = Idx.ReadImages(idx).Pixels[..784].Select(b => b / 255f).ToArray();
        var expected = classifier.Top(image, 1)[0][0];
        Assert.Equal(expected.Name, top[0].GetProperty("class").GetString());
        Assert.Equal(expected.Probability, top[0].GetProperty("probability").GetDouble(), 1e-5);
    }

    [Fact]
    public void PngImageAndDirectory_AreClassified_RgbTurnedGray()
    {
        var pixels = new byte[28 * 28 * 3];
        new Random(4).NextBytes(pixels);
        Directory.CreateDirectory(PathOf("pngs"));
        File.WriteAllBytes(PathOf("pngs/b.png"), TestPng.Encode(28, 28, 2, pixels, filterOfRow: y => y % 5));
        File.WriteAllBytes(PathOf("pngs/a.png"), TestPng.Encode(28, 28, 0, pixels[..784]));
        File.WriteAllText(PathOf("pngs/notes.txt"), "ignored");

        var (code, output, error) = Predict("--model", _model, "--image", PathOf("pngs/b.png"));
        Assert.True(code == 0, error);
        Assert.StartsWith(PathOf("pngs/b.png") + "\t", output);
        (code, output, error) = Predict("--model", _model, "--images", PathOf("pngs"), "--top", "1");
        Assert.True(code == 0, error);
        Assert.Equal([PathOf("pngs/a.png"), PathOf("pngs/b.png")], output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0]));
    }

    [Fact]
    public void Jpeg_and_other_sizes_are_read_as_training_reads_image_folders()
    {
        // A 56×56 RGB JPEG: resized to the model's 28×28 and turned gray exactly as ImageFolder does for training.
        var rgba = new byte[56 * 56 * 4];
        new Random(5).NextBytes(rgba);
        for (var i = 3; i < rgba.Length; i += 4) rgba[i] = 255;
        using (var bitmap = new SKBitmap(new SKImageInfo(56, 56, SKColorType.Rgba8888, SKAlphaType.Unpremul)))
        {
            System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
            using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
            File.WriteAllBytes(PathOf("photo.jpg"), data.ToArray());
        }
        var (code, output, error) = Predict("--model", _model, "--image", PathOf("photo.jpg"), "--top", "1", "--json");
        Assert.True(code == 0, error);
        var top = JsonDocument.Parse(output).RootElement.GetProperty("top")[0];

        using var classifier = OnnxClassifier.Load(_model);
        var asTrained = ImageFile.Decode(PathOf("photo.jpg"), 1, 28, 28).Select(b => b / 255f).ToArray();
        var expected = classifier.Top(asTrained, 1)[0][0];
        Assert.Equal(expected.Name, top.GetProperty("class").GetString());
        Assert.Equal(expected.Probability, top.GetProperty("probability").GetDouble(), 1e-5);
    }

    [Fact]
    public void Problems_AreOneLineErrors()
    {
        File.WriteAllBytes(PathOf("bad.onnx"), [1, 2, 3, 4, 5]);
        File.WriteAllBytes(PathOf("big.png"), TestPng.Encode(32, 32, 0, new byte[32 * 32]));
        File.WriteAllBytes(PathOf("photo.jpg"), [0xFF, 0xD8, 0xFF]);
        (string[] Args, int Code, string Message)[] cases =
        [
            (["--model", PathOf("bad.onnx"), "--idx", WriteIdx(1)], 1, $"error: {PathOf("bad.onnx")}: not a loadable ONNX model ("),
            (["--model", PathOf("missing.onnx"), "--idx", WriteIdx(1)], 1, "error: model file"),
            (["--model", _model, "--idx", WriteIdx(1, 32)], 1, $"error: {PathOf("images-32.idx.gz")}[0]: image is 32×32, the model {_model} expects 28×28"),
            (["--model", _model, "--image", PathOf("photo.jpg")], 1, $"error: {PathOf("photo.jpg")}: undecodable image"),
            (["--model", _model, "--idx", PathOf("big.png")], 1, $"error: {PathOf("big.png")}: bad magic"),
            (["--model", _model], 2, "error: 'predict' needs exactly one of --image, --images or --idx"),
        ];
        foreach (var (args, expectedCode, message) in cases)
        {
            var (code, _, error) = Predict(args);
            Assert.True(code == expectedCode, $"{string.Join(' ', args)}: exit {code}, {error}");
            Assert.StartsWith(message, error);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
    }
}
