using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ElasticVit.Nn;

/// <summary>
/// Caps the instruction set of oneDNN, the library libtorch runs fp32 convolutions with, at AVX2. On AMD Zen 5 (family
/// 26) its AVX-512 kernels, in the oneDNN that TorchSharp's libtorch bundles, compute some of the space's convolutions
/// wrongly: a searched winner's logits differed from ONNX Runtime's by 1.7 % of their scale (3·10⁻⁶ with AVX2), and
/// training there skipped steps whose gradients were not finite (session 23, bench/results/training.md). Convolutions
/// of 8–128 channels gain little from the wider vectors. Set when the library loads, before libtorch creates its first
/// oneDNN primitive; a value the user set for <c>DNNL_MAX_CPU_ISA</c> is left as it is.
/// </summary>
public static class OneDnnIsa
{
    public const string Variable = "DNNL_MAX_CPU_ISA";
    public const string Cap = "AVX2";

    /// <summary>The value oneDNN will read in this process (null: none set, oneDNN uses the best the CPU has).</summary>
    public static string? Effective => OperatingSystem.IsWindows() ? Environment.GetEnvironmentVariable(Variable) : Marshal.PtrToStringAnsi(getenv(Variable));

#pragma warning disable CA2255 // oneDNN reads the variable once, at its first primitive: it must be set as the library loads
    [ModuleInitializer]
    internal static void OnLoad()
    {
        if (Environment.GetEnvironmentVariable(Variable) is not null) return;
        // .NET's environment is its own copy on Unix: the C library's, which libtorch reads, is set through libc.
        if (OperatingSystem.IsWindows()) Environment.SetEnvironmentVariable(Variable, Cap);
        else
            try { setenv(Variable, Cap, 0); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }
#pragma warning restore CA2255

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr getenv(string name);
}
