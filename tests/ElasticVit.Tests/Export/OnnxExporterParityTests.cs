using ElasticVit.Export;
using ElasticVit.Sampling;
using ElasticVit.Spaces;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Export;

/// <summary>ONNX Runtime on raw images reproduces the TorchSharp static model on normalised images (eval mode, float32).</summary>
[Collection(ElasticVit.Tests.Training.TorchRandomState.Name)]
public sealed class OnnxExporterParityTests
{
    private const double Tolerance = 1e-4;
    private static readonly SearchSpace Fmnist = SpaceLoader.Load("elasticvit-fmnist");
    private static readonly SearchSpace ImageNet = SpaceLoader.Load("elasticvit-imagenet");

    public static TheoryData<string, string, bool> FmnistCases()
    {
        var rng = new Random(11);
        var data = new TheoryData<string, string, bool> { { Fmnist.Name, "min", true }, { Fmnist.Name, "max", true } };
        for (var i = 0; i < 4; i++) data.Add(Fmnist.Name, RandomSubnets.Draw(Fmnist, rng).Key, true);
        return data;
    }

    public static TheoryData<string, string, bool> ImageNetCases()
    {
        var rng = new Random(12);
        var data = new TheoryData<string, string, bool>();
        foreach (var name in new[] { "T1", "T2", "S1", "S2", "M", "L1", "L1.5", "L2", "L3" })
            data.Add(ImageNet.Name, name, name is "T1" or "L3");
        for (var i = 0; i < 2; i++) data.Add(ImageNet.Name, RandomSubnets.Draw(ImageNet, rng).Key, false);
        return data;
    }

    [Theory]
    [MemberData(nameof(FmnistCases))]
    [MemberData(nameof(ImageNetCases))]
    public void Export_RunInOnnxRuntime_MatchesStaticModel(string spaceName, string arch, bool alsoBatch5)
    {
        var space = SpaceLoader.Load(spaceName);
        var subnet = space.Resolve(arch);
        using var model = ExportTestModels.Random(space, subnet, seed: subnet.Key.Length);
        var info = ExportTestModels.Info(space);
        using var session = new OnnxTestSession(OnnxExporter.Export(model, info));
        var rng = new Random(5);
        foreach (var batch in alsoBatch5 ? new[] { 1, 5 } : [1])
        {
            using var scope = NewDisposeScope();
            var raw = TorchTestTensors.Uniform(rng, 0, 1, batch, space.Input.Channels, space.Input.NativeSize, space.Input.NativeSize);
            var expected = ExportTestModels.Reference(model, info, raw);
            var actual = session.RunSingle((OnnxExporter.InputName, raw));
            Assert.Equal(new long[] { batch, space.Classes }, actual.shape);
            var diff = (expected - actual).abs().max().item<float>();
            Assert.True(diff <= Tolerance, $"{subnet.Key} batch {batch}: max |Δ| = {diff:E2} (logits up to {expected.abs().max().item<float>():F2})");
            // The logits must depend on the image well above the tolerance, or the comparison would prove little.
            var spread = (expected - expected.mean([0])).abs().max().item<float>();
            Assert.True(batch == 1 || spread > 100 * Tolerance, $"{subnet.Key}: logits barely depend on the image (spread {spread:E2})");
        }
    }
}
