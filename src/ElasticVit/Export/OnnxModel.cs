namespace ElasticVit.Export;

/// <summary>One operator invocation (ONNX <c>NodeProto</c>) in the default domain.</summary>
internal sealed record OnnxNode(
    string Name,
    string OpType,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs,
    IReadOnlyList<OnnxAttribute> Attributes);

/// <summary>A declared graph input or output (ONNX <c>ValueInfoProto</c>); a null shape means unknown rank.</summary>
internal sealed record OnnxValueInfo(string Name, OnnxElementType ElementType, IReadOnlyList<OnnxDim>? Shape);

/// <summary>
/// A computation graph (ONNX <c>GraphProto</c>); nodes are in topological order. <paramref name="ShapeHints"/> declare the
/// shapes of intermediate values (<c>value_info</c>) where a runtime's own shape inference would lose a dimension.
/// </summary>
internal sealed record OnnxGraph(
    string Name,
    IReadOnlyList<OnnxNode> Nodes,
    IReadOnlyList<OnnxTensor> Initializers,
    IReadOnlyList<OnnxValueInfo> Inputs,
    IReadOnlyList<OnnxValueInfo> Outputs,
    IReadOnlyList<OnnxValueInfo> ShapeHints);

/// <summary>A whole model (ONNX <c>ModelProto</c>) with one default-domain opset import.</summary>
internal sealed record OnnxModel(
    long IrVersion,
    long OpsetVersion,
    string ProducerName,
    string ProducerVersion,
    string DocString,
    IReadOnlyList<KeyValuePair<string, string>> Metadata,
    OnnxGraph Graph);
