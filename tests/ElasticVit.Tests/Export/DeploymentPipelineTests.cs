using ElasticVit.Export;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Export;

[Collection(ElasticVit.Tests.Training.TorchRandomState.Name)]
public sealed class DeploymentPipelineTests
{
    [Fact]
    public void Export_WritesVerifiedOnnxAndCheckpoint_AndKeepsTheModelsMode()
    {
        var space = SpaceLoader.Load("elasticvit-fmnist");
        using var model = ExportTestModels.Random(space, space.Resolve("mid"), 9);
        model.train();
        var dir = Directory.CreateTempSubdirectory("elasticvit-deploy-");
        try
        {
            var (onnx, checkpoint) = (Path.Combine(dir.FullName, "out", "m.onnx"), Path.Combine(dir.FullName, "m.evsub"));
            var report = DeploymentPipeline.Export(model, ExportTestModels.Info(space), onnx, checkpoint);

            Assert.True(model.training);
            Assert.True(report.MaxAbsDifference <= 1e-4, $"max |Δ| = {report.MaxAbsDifference:E2}");
            Assert.Equal(new FileInfo(onnx).Length, report.OnnxBytes);
            using var classifier = OnnxClassifier.Load(onnx);
            Assert.Equal(model.Subnet.Key, classifier.Metadata[MetadataKeys.SubnetKey]);
            var (loaded, _) = SubnetCheckpoint.Load(checkpoint);
            using var __ = loaded;
            Assert.Equal(model.Subnet, loaded.Subnet);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
