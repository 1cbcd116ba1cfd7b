using System.Diagnostics;
using ElasticVit.Latency.Profiling;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Latency;

/// <summary>A space small enough to profile completely in a test, a quick timing protocol, and the CLI run as a child process.</summary>
internal static class ProfilingTestData
{
    public const string TinyJson = """
        {
          "name": "latency-tiny", "description": "latency profiling tests", "input": {"channels": 1, "native_size": 28}, "classes": 10,
          "head_dim": 16, "classifier_mul": 2, "classifier_hidden": 32, "resolutions": [24, 28],
          "stem": {"widths": [8], "depth": [1, 1], "kernels": [3], "stride": 1},
          "stages": [
            {"name": "C1", "type": "mbconv", "stride": 2, "se": true, "widths": [16], "depth": [1, 2], "expansions": [3], "kernels": [3]},
            {"name": "T1", "type": "transformer", "stride": 2, "widths": [32], "depth": [1, 1], "mlp_ratios": [2], "v_scales": [2]}
          ],
          "flops_bound_m": 10,
          "levels": [{"flops_m": 0.1, "min_subnet": "r24-s8x1k3-C1:16x1e3k3-T1:32x1m2v2"}]
        }
        """;

    public static readonly SearchSpace Tiny = SpaceLoader.Parse(TinyJson, "latency-tiny.json");

    public static readonly TimingProtocol Quick = new() { WarmupRuns = 1, MinRuns = 3, MinTotalMs = 0 };

    public static readonly string[] QuickArgs = ["--warmup", "1", "--min-runs", "3", "--min-ms", "0"];

    /// <summary>Writes the tiny space to <paramref name="dir"/> and returns its path (the CLI takes space files).</summary>
    public static string WriteTiny(string dir)
    {
        var path = Path.Combine(dir, "latency-tiny.json");
        File.WriteAllText(path, TinyJson);
        return path;
    }

    /// <summary>Runs the CLI in its own process (so tests never share the console) and returns exit code, stdout and stderr.</summary>
    public static (int ExitCode, string Out, string Error) Cli(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ElasticVit.Cli.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
