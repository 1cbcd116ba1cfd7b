using System.Diagnostics;

namespace ElasticVit.Cli.Commands;

/// <summary>
/// Runs one of this program's own commands in a new process (the same <c>dotnet</c> host and CLI assembly, the same
/// environment and working folder) and returns what it printed. The quickstart times its winners so: the process that had
/// trained, profiled and searched timed the same ONNX files 23–47 % slower than a fresh <c>latency measure</c> a minute
/// later, each stage's history adding some (bench/results/latency.md, session 26), while a deployment starts fresh.
/// </summary>
public static class OwnCommand
{
    public static string Run(IReadOnlyList<string> args, TimeSpan timeout)
    {
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(OwnCommand).Assembly.Location);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var line = string.Join(' ', args.Take(2));
        using var process = Process.Start(start) ?? throw new QuickstartException($"could not start '{line}' in a new process");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new QuickstartException($"'{line}' in a new process did not finish within {timeout.TotalMinutes:0.#} minutes");
        }
        process.WaitForExit();   // and the output read to its end
        if (process.ExitCode != 0)
        {
            var why = errors.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? $"exit code {process.ExitCode}";
            throw new QuickstartException($"'{line}' in a new process failed: {why}");
        }
        return output.Result;
    }
}
