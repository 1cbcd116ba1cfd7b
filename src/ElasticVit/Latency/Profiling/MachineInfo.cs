namespace ElasticVit.Latency.Profiling;

/// <summary>What the profiled machine is, for the metadata of a latency table.</summary>
public static class MachineInfo
{
    /// <summary>Instruction-set flags that change which kernels the runtimes pick, so a latency table is of one kind of CPU.</summary>
    private static readonly string[] KernelFlags = ["avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16"];

    /// <summary>
    /// The CPU from /proc/cpuinfo: model name, family and model (the model name alone does not tell CPU generations apart:
    /// VMs of several AMD generations all say "AMD EPYC"), the kernel-relevant flags and the number of logical CPUs,
    /// e.g. "AMD EPYC, family 25 model 1, avx2 fma, 2 logical CPUs".
    /// </summary>
    public static string Describe()
    {
        string[] lines = [];
        try { lines = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0).ToArray(); }   // the first CPU's block
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return Describe(lines, Environment.ProcessorCount);
    }

    /// <summary><see cref="Describe()"/> from the lines of one CPU's block of /proc/cpuinfo.</summary>
    public static string Describe(IReadOnlyList<string> cpuinfo, int logicalCpus)
    {
        string? Field(string name) => cpuinfo.Where(l => l.Split(':')[0].Trim() == name).Select(l => l[(l.IndexOf(':') + 1)..].Trim()).FirstOrDefault();
        var parts = new List<string> { Field("model name") ?? System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString() };
        if (Field("cpu family") is { } family && Field("model") is { } model) parts.Add($"family {family} model {model}");
        var flags = (Field("flags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var kernel = KernelFlags.Where(flags.Contains).ToArray();
        if (kernel.Length > 0) parts.Add(string.Join(' ', kernel));
        parts.Add($"{logicalCpus} logical CPUs");
        return string.Join(", ", parts);
    }

    /// <summary>The 1-, 5- and 15-minute load averages from /proc/loadavg, or null where there is none.</summary>
    public static string? LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
