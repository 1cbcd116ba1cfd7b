using System.Diagnostics;
using ElasticVit.Cli;
using Xunit.Sdk;

namespace ElasticVit.Tests.Distributed;

/// <summary>Runs the CLI as a job of several processes under Open MPI's mpirun on this machine (loopback).</summary>
internal static class MpiJob
{
    /// <summary>Why jobs cannot run here (no mpirun on PATH), or null.</summary>
    public static readonly Lazy<string?> UnavailableReason = new(() =>
        Environment.GetEnvironmentVariable("PATH")?.Split(':').Any(d => File.Exists(Path.Combine(d, "mpirun"))) == true
            ? null
            : "Open MPI's mpirun is not installed (scripts/setup.sh --tests installs openmpi-bin)");

    /// <summary>The CLI assembly the test project builds next to itself.</summary>
    public static string CliDll => typeof(CliHost).Assembly.Location;

    /// <summary>Starts <c>mpirun -np <paramref name="ranks"/> dotnet ElasticVit.Cli.dll ARGS</c>.</summary>
    public static Process Start(int ranks, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("mpirun") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Loopback on any machine: as root, on fewer cores than ranks, without binding ranks to cores.
        foreach (var a in new[] { "-np", ranks.ToString(), "--oversubscribe", "--bind-to", "none", "dotnet", CliDll }.Concat(args)) start.ArgumentList.Add(a);
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        // Containers often forbid the cross-process memory reads of Open MPI's shared-memory fast path (ptrace).
        start.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        return Process.Start(start) ?? throw new XunitException("mpirun did not start");
    }

    /// <summary>Runs a job to its end (at most <paramref name="minutes"/>, then it fails the test).</summary>
    public static (int ExitCode, string Out, string Error) Run(int ranks, IEnumerable<string> args, double minutes = 5)
    {
        using var job = Start(ranks, args);
        var output = job.StandardOutput.ReadToEndAsync();
        var error = job.StandardError.ReadToEndAsync();
        if (!job.WaitForExit(TimeSpan.FromMinutes(minutes)))
        {
            job.Kill(entireProcessTree: true);
            throw new XunitException($"mpirun -np {ranks} did not finish within {minutes} minutes");
        }
        return (job.ExitCode, output.Result, error.Result);
    }
}

/// <summary>A test that needs Open MPI; skipped with the reason where mpirun is absent.</summary>
public sealed class RequiresMpiFactAttribute : FactAttribute
{
    public RequiresMpiFactAttribute()
    {
        if (MpiJob.UnavailableReason.Value is { } reason) Skip = reason;
    }
}
