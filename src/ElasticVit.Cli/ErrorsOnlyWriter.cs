using System.Text;

namespace ElasticVit.Cli;

/// <summary>Passes on only the lines that report an error (they start with "error:"), tagged; drops progress and notes.</summary>
public sealed class ErrorsOnlyWriter(TextWriter inner, string tag) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;
    public override void Write(char value) { }
    public override void Write(string? value) { }
    public override void WriteLine(string? value)
    {
        if (value is not null && value.StartsWith("error:", StringComparison.Ordinal)) inner.WriteLine("error: " + tag + value["error:".Length..].TrimStart());
    }
}
