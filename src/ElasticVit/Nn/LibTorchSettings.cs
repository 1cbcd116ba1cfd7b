using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace ElasticVit.Nn;

/// <summary>
/// Process-wide settings of libtorch's CPU backends, made when the library loads, before its first convolution.
/// <list type="bullet">
/// <item>oneDNN, which runs most fp32 convolutions, is capped at AVX2 (<c>DNNL_MAX_CPU_ISA</c>, unless the user set it):
/// on AMD Zen 5 (family 26) its AVX-512 kernels, in the oneDNN that TorchSharp's libtorch bundles, compute 1×1
/// convolutions of channels-last maps into 72 or 80 channels wrong by 50–85 % — a searched winner's logits differed from
/// ONNX Runtime's by 1.7 % of their scale (3·10⁻⁶ capped), and training there met non-finite gradients. Capped, training
/// steps take as long as before (bench/results/training.md, session 23).</item>
/// <item>NNPACK is switched off: libtorch asks for it for every convolution oneDNN does not take (at batch 1 on one
/// thread, the latency backend's case), and where NNPACK does not know the CPU (Zen 5) each ask fails and logs
/// "Could not initialize NNPACK!" — 300,000 lines in two minutes of a torch-cpu profile, their cost inside every
/// layer's timing. The convolutions it would take are then run by libtorch's own kernels.</item>
/// </list>
/// </summary>
public static class LibTorchSettings
{
    public const string OneDnnVariable = "DNNL_MAX_CPU_ISA";
    public const string OneDnnCap = "AVX2";

    /// <summary>The value oneDNN reads in this process (null: none set, oneDNN uses the best the CPU has).</summary>
    public static string? OneDnnIsa => OperatingSystem.IsWindows() ? Environment.GetEnvironmentVariable(OneDnnVariable) : Marshal.PtrToStringAnsi(getenv(OneDnnVariable));

    /// <summary>Whether libtorch's NNPACK switch was found and turned off.</summary>
    public static bool NnpackOff { get; private set; }

#pragma warning disable CA2255 // oneDNN reads its variable once, at its first primitive: it must be set as the library loads
    [ModuleInitializer]
    internal static void OnLoad()
    {
        if (Environment.GetEnvironmentVariable(OneDnnVariable) is null)
        {
            // .NET's environment is its own copy on Unix: the C library's, which libtorch reads, is set through libc.
            if (OperatingSystem.IsWindows()) Environment.SetEnvironmentVariable(OneDnnVariable, OneDnnCap);
            else
                try { setenv(OneDnnVariable, OneDnnCap, 0); }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        }
        // Best effort: an exception escaping a module initializer would make the whole library unusable, and without
        // libtorch (not yet installed) the first real tensor operation reports that itself.
        try { NnpackOff = TurnNnpackOff(); }
        catch (Exception) { }
    }
#pragma warning restore CA2255

    /// <summary>
    /// at::globalContext().setUserEnabledNNPACK(false), called through the exports of the libtorch TorchSharp loaded (no
    /// TorchSharp API reaches it). Looked up by soname, so it is the copy already in the process, never a second one.
    /// </summary>
    private static unsafe bool TurnNnpackOff()
    {
        _ = torch.get_num_threads();   // makes TorchSharp load libtorch first
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libtorch_cpu.so", out var libtorch)) return false;
        if (!NativeLibrary.TryGetExport(libtorch, "_ZN2at13globalContextEv", out var globalContext)
            || !NativeLibrary.TryGetExport(libtorch, "_ZN2at7Context20setUserEnabledNNPACKEb", out var setEnabled)
            || !NativeLibrary.TryGetExport(libtorch, "_ZNK2at7Context17userEnabledNNPACKEv", out var isEnabled)) return false;
        var context = ((delegate* unmanaged<IntPtr>)globalContext)();
        ((delegate* unmanaged<IntPtr, byte, void>)setEnabled)(context, 0);
        return ((delegate* unmanaged<IntPtr, byte>)isEnabled)(context) == 0;
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr getenv(string name);
}
