using ElasticVit.Latency.Profiling;

namespace ElasticVit.Bench;

/// <summary>What every bench needs from its command line and its machine: named options and the load it ran under.</summary>
internal static class BenchArgs
{
    /// <summary>The value after <paramref name="name"/> (e.g. "--runs"), or null when the option is not given.</summary>
    public static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The 1-, 5- and 15-minute load averages, for saying in every result what else was running.</summary>
    public static string Load() => MachineInfo.LoadAverage() ?? "n/a";
}
