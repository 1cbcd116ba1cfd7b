namespace ElasticVit.Export;

/// <summary>The tensor element types the exporter writes (values of ONNX <c>TensorProto.DataType</c>).</summary>
public enum OnnxElementType
{
    Float = 1,
    Int64 = 7,
}
