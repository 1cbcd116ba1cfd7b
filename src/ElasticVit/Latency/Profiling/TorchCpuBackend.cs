using ElasticVit.Nn;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Latency.Profiling;

/// <summary>
/// TorchSharp (libtorch) on the CPU: freshly initialised static layers and models in eval mode under no_grad, float32,
/// with <c>torch.set_num_threads(threads)</c> (process-wide). Each run frees its intermediate tensors.
/// </summary>
public sealed class TorchCpuBackend : ILatencyBackend
{
    public TorchCpuBackend(int threads)
    {
        Threads = threads;
        set_num_threads(threads);
    }

    public string Name => "torch-cpu";
    public int Threads { get; }
    public string RuntimeVersion { get; } = $"TorchSharp {typeof(torch).Assembly.GetName().Version?.ToString(3)}";

    public IWorkload PrepareLayer(SearchSpace space, LayerSpec layer)
    {
        var module = StandaloneLayer.Create(layer);
        return new Forward(module, LayerInput(space, layer), x => StandaloneLayer.Forward(module, layer, x));
    }

    public IWorkload PrepareLayerCopies(SearchSpace space, LayerSpec layer, int copies)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(copies, 1);
        var modules = nn.ModuleList(Enumerable.Range(0, copies).Select(_ => StandaloneLayer.Create(layer)).ToArray());
        return new Forward(modules, LayerInput(space, layer), x =>
        {
            var sum = StandaloneLayer.Forward(modules[0], layer, x);
            if (copies == 1) return sum.Plus(sum);
            for (var copy = 1; copy < copies; copy++) sum = sum.Plus(StandaloneLayer.Forward(modules[copy], layer, x));
            return sum;
        });
    }

    /// <summary>
    /// A random input for <paramref name="layer"/> in the memory layout a <see cref="StaticModel"/> gives it: every map
    /// after the stem is channels-last there, and a CPU convolution's cost depends on the layout it reads.
    /// </summary>
    public static Tensor LayerInput(SearchSpace space, LayerSpec layer)
    {
        using var scope = NewDisposeScope();
        var input = rand(StandaloneLayer.InputShape(space, layer));
        if (layer.Kind is not (LayerKind.Stem or LayerKind.Transformer)) input = Blocks.ChannelsLast(input);
        return input.MoveToOuterDisposeScope();
    }

    public IWorkload PrepareModel(SearchSpace space, Subnet subnet)
    {
        var model = new StaticModel(space, subnet);
        var n = space.Input.NativeSize;
        return new Forward(model, rand(1, space.Input.Channels, n, n), model.forward);
    }

    public IWorkload PrepareEmpty()
    {
        var module = nn.Identity();
        return new Forward(module, rand(1), x => x.relu());
    }

    private sealed class Forward : IWorkload
    {
        private readonly nn.Module _module;
        private readonly Tensor _input;
        private readonly Func<Tensor, Tensor> _forward;

        public Forward(nn.Module module, Tensor input, Func<Tensor, Tensor> forward)
        {
            (_module, _input, _forward) = (module, input, forward);
            module.eval();
        }

        public void Run()
        {
            using var grad = no_grad();
            using var scope = NewDisposeScope();
            _forward(_input);
        }

        public void Dispose()
        {
            _input.Dispose();
            _module.Dispose();
        }
    }

    public void Dispose() { }
}
