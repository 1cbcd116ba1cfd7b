using ElasticVit.Export;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Export;

[Collection(ElasticVit.Tests.Training.TorchRandomState.Name)]
public sealed class OnnxClassifierTests
{
    private static readonly SearchSpace Fmnist = SpaceLoader.Load("elasticvit-fmnist");
    private static readonly Lazy<byte[]> Model = new(() =>
    {
        using var model = ExportTestModels.Random(Fmnist, Fmnist.Resolve("min"), 8);
        var info = ExportTestModels.Info(Fmnist) with { ClassNames = [.. Enumerable.Range(0, 10).Select(i => $"c{i}")] };
        return OnnxExporter.Export(model, info);
    });

    private static float[] Images(int count) => [.. Enumerable.Range(0, count * 784).Select(i => (i * 37 % 101) / 100f)];

    [Fact]
    public void Load_ReadsShapeClassesAndMetadata()
    {
        using var classifier = OnnxClassifier.Load(Model.Value);
        Assert.Equal((1, 28, 28), (classifier.Channels, classifier.Height, classifier.Width));
        Assert.Equal([.. Enumerable.Range(0, 10).Select(i => $"c{i}")], classifier.ClassNames);
        Assert.Equal(Fmnist.Resolve("min").Key, classifier.Metadata[MetadataKeys.SubnetKey]);
    }

    [Fact]
    public void Top_IsSortedSoftmaxOfLogits_ForEveryImageOfABatch()
    {
        using var classifier = OnnxClassifier.Load(Model.Value, threads: 1);
        var images = Images(3);
        var logits = classifier.Logits(images);
        var top = classifier.Top(images, 3);
        Assert.Equal(3, top.Length);
        for (var i = 0; i < 3; i++)
        {
            var p = OnnxClassifier.Softmax(logits[i]);
            Assert.Equal(1.0, p.Sum(), 1e-5);
            Assert.Equal(Array.IndexOf(logits[i], logits[i].Max()), top[i][0].Index);
            Assert.Equal($"c{top[i][0].Index}", top[i][0].Name);
            Assert.True(top[i][0].Probability >= top[i][1].Probability && top[i][1].Probability >= top[i][2].Probability);
            Assert.Equal(p[top[i][1].Index], top[i][1].Probability);
        }
    }

    [Fact]
    public void ThreadCount_DoesNotChangeTheResult()
    {
        using var one = OnnxClassifier.Load(Model.Value, threads: 1);
        using var two = OnnxClassifier.Load(Model.Value, threads: 2);
        var images = Images(4);
        var (a, b) = (one.Logits(images), two.Logits(images));
        for (var i = 0; i < 4; i++)
            for (var c = 0; c < 10; c++) Assert.Equal(a[i][c], b[i][c], 1e-5f);
    }

    [Fact]
    public void WrongSizedInput_FailsWithTheExpectedShape()
    {
        using var classifier = OnnxClassifier.Load(Model.Value, source: "m.onnx");
        var e = Assert.Throws<OnnxException>(() => classifier.Logits(new float[1000]));
        Assert.Equal("m.onnx: expects images of 1×28×28 (784 values each), got 1000 values", e.Message);
        e = Assert.Throws<OnnxException>(() => classifier.CheckImageSize("a.png", 32, 32));
        Assert.Equal("a.png: image is 32×32, the model m.onnx expects 28×28", e.Message);
    }

    [Fact]
    public void BadModelFile_FailsWithOneLineNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"elasticvit-bad-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, Model.Value[..(Model.Value.Length / 3)]);
        try
        {
            var e = Assert.Throws<OnnxException>(() => OnnxClassifier.Load(path));
            Assert.StartsWith($"{path}: not a loadable ONNX model (", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Throws<FileNotFoundException>(() => OnnxClassifier.Load(path));
    }
}
