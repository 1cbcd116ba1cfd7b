using System.Runtime.InteropServices;

namespace ElasticVit.Latency.Profiling;

/// <summary>
/// CPU time of the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>): unlike wall time it does not advance while the
/// thread waits for a core, so single-threaded latencies measured on a shared machine exclude the time the
/// scheduler gave to other processes.
/// </summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec time);

    public static bool IsSupported { get; } = Probe();

    public static double NowMs()
    {
        ClockGetTime(ClockThreadCpuTimeId, out var t);
        return t.Seconds * 1e3 + t.Nanoseconds * 1e-6;
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8) return false;
        try { return ClockGetTime(ClockThreadCpuTimeId, out _) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }
}
