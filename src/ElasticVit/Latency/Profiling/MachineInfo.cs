namespace ElasticVit.Latency.Profiling;

/// <summary>What the profiled machine is, for the metadata of a latency table.</summary>
public static class MachineInfo
{
    /// <summary>CPU model from /proc/cpuinfo and the number of logical CPUs, e.g. "AMD EPYC, 2 logical CPUs".</summary>
    public static string Describe()
    {
        string? model = null;
        try
        {
            model = File.ReadLines("/proc/cpuinfo")
                .Where(l => l.StartsWith("model name", StringComparison.Ordinal))
                .Select(l => l[(l.IndexOf(':') + 1)..].Trim())
                .FirstOrDefault();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return $"{model ?? System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString()}, {Environment.ProcessorCount} logical CPUs";
    }

    /// <summary>The 1-, 5- and 15-minute load averages from /proc/loadavg, or null where there is none.</summary>
    public static string? LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
