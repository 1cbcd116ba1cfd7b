using ElasticVit.Export;
using Microsoft.ML.OnnxRuntime;

namespace ElasticVit.Tests.Export;

public sealed class OnnxMetadataReaderTests
{
    private static byte[] ModelWith(IReadOnlyDictionary<string, string>? metadata)
    {
        var graph = new OnnxGraphBuilder("passthrough");
        graph.Output(graph.Identity(graph.Input("x", ["batch", 3]), name: "y"));
        return graph.Build("ElasticVit", "0.1.0", "identity for metadata tests", metadata);
    }

    [Fact]
    public void ReadCustomMetadata_ReturnsTheMetadataPropsWritten()
    {
        var written = new Dictionary<string, string>
        {
            ["elasticvit.subnet"] = """{"resolution":160,"depths":[1,2]}""",
            ["elasticvit.top1"] = "0.8731",
            ["note"] = "ünïcode ✓",
        };
        string path = Path.Combine(Path.GetTempPath(), $"elasticvit-metadata-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, ModelWith(written));
        try
        {
            Assert.Equal(written, OnnxMetadataReader.ReadCustomMetadata(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ReadCustomMetadata_IsEmpty_WhenNoneWritten() =>
        Assert.Empty(OnnxMetadataReader.ReadCustomMetadata(ModelWith(null)));

    [Fact]
    public void Build_WritesProducerDocStringAndGraphName()
    {
        using var session = new InferenceSession(ModelWith(null));
        var metadata = session.ModelMetadata;
        Assert.Equal("ElasticVit", metadata.ProducerName);
        Assert.Equal("identity for metadata tests", metadata.Description);
        Assert.Equal("passthrough", metadata.GraphName);
    }
}
