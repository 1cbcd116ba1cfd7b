namespace ElasticVit.Export;

/// <summary>An ONNX model that cannot be loaded, or inputs that do not fit it. The message is one line for users.</summary>
public sealed class OnnxException(string message, Exception? inner = null) : UserError(message, inner);
