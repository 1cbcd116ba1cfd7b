namespace ElasticVit;

/// <summary>A training or subnet checkpoint that cannot be read or written (truncated, corrupted, wrong kind). One line naming the file.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : UserError(message, inner);
