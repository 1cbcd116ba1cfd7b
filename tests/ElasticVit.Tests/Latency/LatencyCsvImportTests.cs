using System.Globalization;
using System.Text;
using ElasticVit.Latency;
using ElasticVit.Spaces;
using static ElasticVit.Tests.Latency.LatencyTestData;

namespace ElasticVit.Tests.Latency;

public sealed class LatencyCsvImportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("latency-csv-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string text)
    {
        var path = Path.Combine(_dir, "phone.csv");
        File.WriteAllText(path, text);
        return path;
    }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    [Fact]
    public void Import_EveryRequiredLayer_PredictsExactlyTheSumTheCsvImplies()
    {
        var rng = new Random(31);
        var ms = LatencyTable.RequiredKeys(Fmnist).ToDictionary(k => k, _ => 0.001 + rng.NextDouble());
        var calibration = RandomSubnets(Fmnist, 5, seed: 32);
        double Sum(Subnet s) => LayerPlan.Of(Fmnist, s).Aggregate(0.0, (sum, l) => sum + ms[l.Key]);
        double[] overheads = [0.20, 0.25, 0.30, 0.25, 0.40]; // median 0.25

        var csv = new StringBuilder("""
            # device: pixel4-tflite
            # space: elasticvit-fmnist
            # backend: tflite
            # threads: 1
            # runtime_version: 2.14.0
            # machine: Google Pixel 4, Snapdragon 855, big core
            # date: 2024-05-01
            # notes: synthetic test data
            # A free comment: the first word is capitalised, so this is no metadata.

            layer_key,latency_ms,runs,iqr_ms

            """);
        var i = 0;
        foreach (var (key, v) in ms)
        {
            // Every other row names the layer by its export file name instead of its key; some rows omit runs and IQR.
            var name = i % 2 == 0 ? key : LayerKeys.LayerFileName(key);
            csv.AppendLine(i++ % 3 == 0 ? $"{name},{F(v)},," : $"{name},{F(v)},50,{F(v / 100)}");
        }
        csv.AppendLine("model_key,latency_ms");
        foreach (var (s, o) in calibration.Zip(overheads)) csv.AppendLine($"{s.Key},{F(Sum(s) + o)}");

        var result = LatencyCsvImport.Read(Write(csv.ToString()));
        var table = result.Table;
        Assert.Equal(new DeviceInfo("pixel4-tflite", "elasticvit-fmnist", "tflite", 1, "2.14.0", "Google Pixel 4, Snapdragon 855, big core", "2024-05-01", "synthetic test data"), table.Device);
        Assert.Empty(table.MissingKeys(Fmnist));
        Assert.Equal(calibration, result.Models.Select(m => m.Subnet));
        Assert.Equal(0.25, table.OverheadMs, 12);
        Assert.Equal(new LatencyEntry(ms[ms.Keys.First()]), table.Entries[ms.Keys.First()]);

        var predictor = new LookupTablePredictor(table, Fmnist);
        foreach (var subnet in RandomSubnets(Fmnist, 500, seed: 33))
            Assert.Equal(Sum(subnet) + table.OverheadMs, predictor.PredictMs(subnet));

        var saved = Path.Combine(_dir, "pixel4.json");
        table.Save(saved);
        Assert.Equal(predictor.PredictMs(Fmnist.MaxSubnet), new LookupTablePredictor(LatencyTable.Load(saved), Fmnist).PredictMs(Fmnist.MaxSubnet));
    }

    [Fact]
    public void Import_DeviceNameArgumentWins_AndMissingMetadataDefaults()
    {
        var table = LatencyCsvImport.Import(Write("# device: old\n# space: elasticvit-fmnist\nlayer_key,latency_ms\nstem:c1-8:s1:i24,0.5\n"), "new-name");
        Assert.Equal(new DeviceInfo("new-name", "elasticvit-fmnist"), table.Device);
        Assert.Equal((0.0, 1.0), (table.OverheadMs, table.Scale));
        Assert.Equal(Path.Combine(_dir, "phone.csv"), table.Source);
    }

    [Fact]
    public void Import_NeedsADeviceNameAndTheDeclaredSpace()
    {
        Assert.Contains(":2: the file declares space 'elasticvit-fmnist' but is imported for 'elasticvit-imagenet'", Assert.Throws<LatencyException>(
            () => LatencyCsvImport.Import(Write("# device: x\n# space: elasticvit-fmnist\n"), space: SpaceLoader.Load("elasticvit-imagenet"))).Message);
        Assert.Contains("no device name", Assert.Throws<LatencyException>(() => LatencyCsvImport.Import(Write("# space: elasticvit-fmnist\n"))).Message);
        Assert.Contains("no search space", Assert.Throws<LatencyException>(() => LatencyCsvImport.Import(Write("# device: x\n"))).Message);
        Assert.Contains("unknown search space 'mnist'", Assert.Throws<LatencyException>(() => LatencyCsvImport.Import(Write("# device: x\n# space: mnist\n"))).Message);
    }

    private const string Head = "# device: phone\n# space: elasticvit-fmnist\n";

    [Theory]
    [InlineData("layer_key,latency_ms\nstem:c1-8:s1:i24,-0.5\n", 4, "latency_ms '-0.5' is not a finite number ≥ 0")]
    [InlineData("layer_key,latency_ms\nstem:c1-8:s1:i24,fast\n", 4, "latency_ms 'fast' is not a finite number ≥ 0")]
    [InlineData("layer_key,latency_ms\nstem:c1-8:s1:i24,1e999\n", 4, "is not a finite number")]
    [InlineData("layer_key,latency_ms,runs\nstem:c1-8:s1:i24,0.5,0\n", 4, "runs '0' is not a positive integer")]
    [InlineData("layer_key,latency_ms\nstem:c1-8:s1:i24,0.5,7\n", 4, "3 fields, the header has 2")]
    [InlineData("layer_key,latency_ms\nstem:c3-8:s1:i24,0.5\n", 4, "'stem:c3-8:s1:i24' is not a layer of elasticvit-fmnist")]
    [InlineData("layer_key,latency_ms\nstem:c1-8:s1:i24,0.5\n\nstem_c1-8_s1_i24.onnx,0.6\n", 6, "layer 'stem:c1-8:s1:i24' is listed twice (first on line 4)")]
    [InlineData("layer_key,latency_ms\nconv.onnx,0.5\n", 4, "'conv.onnx' is not a layer file name")]
    [InlineData("layer_key,latency_ms\nstem:c1-8,0.5\n", 4, "'stem:c1-8' is not a layer key")]
    [InlineData("stem:c1-8:s1:i24,0.5\n", 3, "data before a header line")]
    [InlineData("layer_key,ms\n", 3, "unknown column 'ms' in a layer_key header")]
    [InlineData("model_key,latency_ms\nr24-s8x1k3,3.0\n", 4, "malformed subnet key")]
    [InlineData("model_key,latency_ms\nr24-s8x1k3-C1:16x1e3k3-C2:24x1e3k3-T1:32x1m2v2-T2:48x1m2v2-T3:64x1m2v2-T4:96x1m2v2,0\n", 4, "a model's latency_ms must be positive")]
    [InlineData("model_key,latency_ms\nr24-s8x1k3-C1:16x1e3k3-C2:24x1e3k3-T1:32x1m2v2-T2:48x1m2v2-T3:64x1m2v2-T4:96x1m2v2,3\n", 4, "has layer 'stem:c1-8:s1:i24', which the file does not list")]
    [InlineData("# threads: two\n", 3, "threads 'two' is not a positive integer")]
    [InlineData("# note: typo of notes\n", 3, "unknown metadata 'note'")]
    [InlineData("# backend: a\n# backend: b\n", 4, "metadata 'backend' is given twice")]
    public void BadLine_FailsWithOneLineNamingFileAndLine(string body, int line, string problem)
    {
        var path = Write(Head + body);
        var m = Assert.Throws<LatencyException>(() => LatencyCsvImport.Import(path)).Message;
        Assert.StartsWith($"{path}:{line}: ", m);
        Assert.Contains(problem, m);
        Assert.DoesNotContain('\n', m);
    }
}
