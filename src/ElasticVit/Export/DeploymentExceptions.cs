namespace ElasticVit.Export;

/// <summary>A subnet checkpoint that cannot be read or written. The message is one line naming the file.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>An ONNX model that cannot be loaded, or inputs that do not fit it. The message is one line for users.</summary>
public sealed class OnnxException(string message, Exception? inner = null) : Exception(message, inner);
