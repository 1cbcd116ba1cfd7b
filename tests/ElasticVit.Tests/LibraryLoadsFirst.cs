using System.Runtime.CompilerServices;
using ElasticVit.Nn;

namespace ElasticVit.Tests;

/// <summary>
/// Runs the library's load-time settings (<see cref="LibTorchSettings"/>) as the test assembly loads, so that they are in
/// place before any test's first convolution, whichever test runs first.
/// </summary>
internal static class LibraryLoadsFirst
{
#pragma warning disable CA2255 // the point is to run before every test
    [ModuleInitializer]
    internal static void Load() => RuntimeHelpers.RunModuleConstructor(typeof(LibTorchSettings).Module.ModuleHandle);
#pragma warning restore CA2255
}
