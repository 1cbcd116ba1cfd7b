using System.Diagnostics;

namespace ElasticVit.Tests.Export;

/// <summary>
/// Debian's <c>python3-onnx</c> (run with <c>/usr/bin/python3</c>, which sees Debian's packages) as an
/// independent validator of written models.
/// </summary>
internal static class PythonOnnx
{
    public const string Python = "/usr/bin/python3";

    /// <summary>Why the validator cannot run here, or null when <c>import onnx</c> works.</summary>
    public static readonly Lazy<string?> UnavailableReason = new(() =>
    {
        if (!File.Exists(Python)) return $"{Python} not found; install Debian's python3-onnx to run the ONNX checker";
        var (exitCode, output) = Run("import onnx");
        string lastLine = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        return exitCode == 0 ? null : $"'import onnx' failed in {Python} (install Debian's python3-onnx): {lastLine}";
    });

    /// <summary>Runs a Python script with arguments; returns the exit code and stdout+stderr.</summary>
    public static (int ExitCode, string Output) Run(string script, params string[] args)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python}");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}

/// <summary>A fact that is skipped, with the reason, when Python's onnx package is not importable.</summary>
public sealed class RequiresPythonOnnxFactAttribute : FactAttribute
{
    public RequiresPythonOnnxFactAttribute()
    {
        if (PythonOnnx.UnavailableReason.Value is { } reason) Skip = reason;
    }
}
