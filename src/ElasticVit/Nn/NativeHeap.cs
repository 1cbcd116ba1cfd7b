using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ElasticVit.Nn;

/// <summary>
/// How glibc's allocator treats the large blocks libtorch allocates for activations. By default glibc serves every block
/// above 32 MB with a fresh <c>mmap</c> and unmaps it on free, so such a tensor (64 images × 144 channels × 32×32 floats is
/// 38 MB) is page-faulted in again by every op that writes one: a depthwise conv on it measured 5× slower than with the
/// block kept in the heap, and BN recalibration and TorchSharp scoring at batch 64 pay that on every large layer
/// (bench/results/search.md).
/// Keeping large blocks in the heap (no mmap, trim only above 256 MB) makes their cost proportional to their size again.
/// A training shard's thread allocates from its own arena, whose 64 MB sub-heaps glibc unmaps as soon as one falls
/// empty, unless the arena's top pad covers it: with a 64 MB pad the shards' activations stop being faulted in again
/// each step (page faults of a training run halved, bench/results/training.md, session 12).
/// Switched on when the library loads; a no-op where the C library is not glibc.
/// </summary>
public static class NativeHeap
{
    private const int TrimThreshold = -1, TopPad = -2, MmapMax = -4;   // mallopt parameters (malloc.h)
    private const int KeptTrimBytes = 256 << 20, KeptPadBytes = 64 << 20;

    /// <summary>Set to 1 to leave glibc's defaults alone (benchmarks compare both ways in separate processes).</summary>
    public const string OptOutVariable = "ELASTICVIT_GLIBC_HEAP";

    /// <summary>Whether large blocks are kept in the heap in this process.</summary>
    public static bool KeepsLargeBlocks { get; private set; }

#pragma warning disable CA2255 // the library's tensors are what the setting is for, so it belongs to loading the library
    [ModuleInitializer]
    internal static void OnLoad()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(OptOutVariable) == "1") return;
        try { KeepsLargeBlocks = mallopt(MmapMax, 0) == 1 & mallopt(TrimThreshold, KeptTrimBytes) == 1 & mallopt(TopPad, KeptPadBytes) == 1; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }
#pragma warning restore CA2255

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);
}
