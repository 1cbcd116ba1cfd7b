using ElasticVit.Export;
using ElasticVit.Sampling;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using Microsoft.ML.OnnxRuntime;

namespace ElasticVit.Latency.Profiling;

/// <summary>
/// ONNX Runtime on the CPU: one inference session per workload (full graph optimisation, sequential execution,
/// <c>threads</c> intra-op threads, 1 inter-op thread), input and output bound to preallocated buffers.
/// Layers are exported with <see cref="OnnxLayerExporter"/>, whole subnets with <see cref="OnnxExporter"/>, both with
/// freshly initialised weights (latency does not depend on their values).
/// </summary>
public sealed class OrtCpuBackend(int threads) : ILatencyBackend
{
    public string Name => "ort-cpu";
    public int Threads { get; } = threads;
    public string RuntimeVersion { get; } = $"onnxruntime {OrtEnv.Instance().GetVersionString()}";

    public IWorkload PrepareLayer(SearchSpace space, LayerSpec layer) => Prepare(OnnxLayerExporter.Export(space, layer));

    public IWorkload PrepareLayerCopies(SearchSpace space, LayerSpec layer, int copies)
    {
        var modules = Enumerable.Range(0, copies).Select(_ => StandaloneLayer.Create(layer)).ToArray();
        try { return Prepare(OnnxLayerExporter.ExportCopies(space, layer, modules)); }
        finally { foreach (var m in modules) m.Dispose(); }
    }

    public IWorkload PrepareModel(SearchSpace space, Subnet subnet)
    {
        using var model = new StaticModel(space, subnet);
        return Prepare(OnnxExporter.Export(model, ExportInfo.Plain(space)));
    }

    public IWorkload PrepareEmpty()
    {
        var g = new OnnxGraphBuilder("empty");
        g.Output(g.Relu(g.Input("x", [1]), "y"), [1]);
        return Prepare(g.Build(ExportInfo.ProducerName, ExportInfo.CurrentVersion));
    }

    /// <summary>A session on <paramref name="onnx"/> (one input, one output) fed a random input of its declared shape (symbolic dims = 1).</summary>
    public IWorkload Prepare(byte[] onnx)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = Threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        return new Session(new InferenceSession(onnx, options));
    }

    private sealed class Session : IWorkload
    {
        private readonly InferenceSession _session;
        private readonly RunOptions _options = new();
        private readonly string[] _inputNames, _outputNames;
        private readonly OrtValue[] _inputs, _outputs;

        public Session(InferenceSession session)
        {
            _session = session;
            var (inputName, input) = session.InputMetadata.Single();
            var (outputName, output) = session.OutputMetadata.Single();
            (_inputNames, _outputNames) = ([inputName], [outputName]);
            (_inputs, _outputs) = ([Tensor(input.Dimensions, random: true)], [Tensor(output.Dimensions, random: false)]);
        }

        public void Run() => _session.Run(_options, _inputNames, _inputs, _outputNames, _outputs);

        private static OrtValue Tensor(int[] dims, bool random)
        {
            var shape = dims.Select(d => d > 0 ? (long)d : 1).ToArray();
            var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
            if (random)
            {
                var rng = new SeededRandom(0);
                for (var i = 0; i < data.Length; i++) data[i] = rng.NextSingle();
            }
            return OrtValue.CreateTensorValueFromMemory(data, shape);
        }

        public void Dispose()
        {
            foreach (var v in _inputs.Concat(_outputs)) v.Dispose();
            _options.Dispose();
            _session.Dispose();
        }
    }

    public void Dispose() { }
}
