namespace ElasticVit.Data;

/// <summary>A dataset file or folder that cannot be read. The message is one line naming the file and the problem.</summary>
public sealed class DataException(string message, Exception? inner = null) : UserError(message, inner)
{
    internal static DataException For(string path, string problem, Exception? inner = null) =>
        new($"{path}: {problem}", inner);
}
