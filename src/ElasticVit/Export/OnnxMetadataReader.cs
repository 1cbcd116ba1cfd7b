using Microsoft.ML.OnnxRuntime;

namespace ElasticVit.Export;

/// <summary>Reads a model's <c>metadata_props</c> through ONNX Runtime.</summary>
public static class OnnxMetadataReader
{
    public static IReadOnlyDictionary<string, string> ReadCustomMetadata(string onnxPath)
    {
        using var session = new InferenceSession(onnxPath);
        return Copy(session.ModelMetadata);
    }

    public static IReadOnlyDictionary<string, string> ReadCustomMetadata(byte[] onnxModel)
    {
        using var session = new InferenceSession(onnxModel);
        return Copy(session.ModelMetadata);
    }

    private static Dictionary<string, string> Copy(ModelMetadata metadata) =>
        new(metadata.CustomMetadataMap, StringComparer.Ordinal);
}
