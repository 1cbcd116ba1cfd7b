using ElasticVit.Spaces;

namespace ElasticVit.Latency.Profiling;

/// <summary>One prepared workload (a loaded layer or model with its input): <see cref="Run"/> is what gets timed.</summary>
public interface IWorkload : IDisposable
{
    void Run();
}

/// <summary>
/// Runs layers and whole subnets on this machine with one runtime at a fixed thread count, batch 1, float32:
/// single layers with random inputs of their <see cref="Supernet.StandaloneLayer"/> shapes, whole subnets on random raw
/// images of the space's native size (the resize to the subnet's resolution is part of the model).
/// </summary>
public interface ILatencyBackend : IDisposable
{
    /// <summary>Backend name as on the command line: "torch-cpu" or "ort-cpu".</summary>
    string Name { get; }

    int Threads { get; }

    /// <summary>Version of the runtime, e.g. "onnxruntime 1.31.1".</summary>
    string RuntimeVersion { get; }

    IWorkload PrepareLayer(SearchSpace space, LayerSpec layer);

    /// <summary>
    /// <paramref name="copies"/> freshly initialised layers of one shape on the same input, their outputs summed (one
    /// copy is added to itself, so every count ends in the same add). Two copies minus one is what the layer adds to a
    /// model that already runs (<see cref="LayerTiming.InContext"/>).
    /// </summary>
    IWorkload PrepareLayerCopies(SearchSpace space, LayerSpec layer, int copies);

    IWorkload PrepareModel(SearchSpace space, Subnet subnet);

    /// <summary>A call that computes next to nothing (one element): what every run costs besides its layers.</summary>
    IWorkload PrepareEmpty();
}

/// <summary>The built-in profiling backends by name.</summary>
public static class LatencyBackends
{
    public static IReadOnlyList<string> Names { get; } = ["torch-cpu", "ort-cpu"];

    public static ILatencyBackend Create(string name, int threads = 1)
    {
        if (threads < 1) throw new LatencyException($"thread count must be ≥ 1, got {threads}");
        return name switch
        {
            "torch-cpu" => new TorchCpuBackend(threads),
            "ort-cpu" => new OrtCpuBackend(threads),
            _ => throw new LatencyException($"unknown profiling backend '{name}' (known: {string.Join(", ", Names)})"),
        };
    }

    /// <summary>The device name of tables measured with a backend: name and threads, e.g. "ort-cpu-1t".</summary>
    public static string DeviceName(string backend, int threads) => $"{backend}-{threads}t";

    public static string DeviceName(this ILatencyBackend backend) => DeviceName(backend.Name, backend.Threads);
}
