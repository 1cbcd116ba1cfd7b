using ElasticVit.Spaces;
using ElasticVit.Supernet;
using ElasticVit.Tests.Search;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Nn;

/// <summary>
/// Modules are built outside dispose scopes (docs/native-ownership.md, rule 3), so whatever tensor a constructor makes and
/// drops is freed by the finalizer thread — possibly while the native call reading it still runs. Building the project's
/// modules must leave no tensor behind: counted as libtorch wrappers alive right after building and again after every
/// pending finalizer has run (TorchSharp's global count, hence a collection that runs alone).
/// </summary>
[Collection("Finalizer")]
public class ModuleOwnershipTests
{
    /// <summary>(tensors the build keeps, tensors it left to the finalizer).</summary>
    private static (long Kept, long LeftToFinalizer) Build(Func<IDisposable> build)
    {
        Settle();
        var before = Tensor.TotalCount;
        using var module = build();
        var built = Tensor.TotalCount;
        Settle();
        return (Tensor.TotalCount - before, built - Tensor.TotalCount);
    }

    private static void Settle()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    [Fact]
    public void TorchSharps_own_biased_convolution_leaves_a_tensor_to_the_finalizer_so_the_count_can_see_one()
    {
        var (kept, left) = Build(() => nn.Conv2d(8, 16, 3, bias: true));
        Assert.True(kept > 0);
        Assert.Equal(1, left);   // the weight[0, 0] its bias bound is read from
    }

    [Fact]
    public void A_biased_convolution_of_the_project_keeps_its_two_tensors_and_leaves_none()
    {
        var (kept, left) = Build(() => StaticLayers.Conv(8, 16, 3, bias: true));
        Assert.Equal((kept, 0L), (Build(() => nn.Conv2d(8, 16, 3, bias: true)).Kept, left));   // as much kept as TorchSharp's, nothing left
        using var conv = StaticLayers.Conv(8, 16, 3, bias: true);
        var bound = 1 / Math.Sqrt(8 * 3 * 3);   // PyTorch's bound for a bias: 1 / sqrt(fan-in)
        Assert.Equal([16L], conv.bias!.shape);
        Assert.True(conv.bias.abs().max().item<float>() <= bound);
        Assert.Contains(conv.named_parameters(), p => p.name == "bias");
        using var depthwise = StaticLayers.Conv(16, 16, 3, depthwise: true, bias: true);
        Assert.True(depthwise.bias!.abs().max().item<float>() <= 1 / Math.Sqrt(9));
    }

    [Fact]
    public void Building_static_models_layers_and_supernets_leaves_no_tensor_to_the_finalizer()
    {
        var space = TestSpaces.Tiny;
        foreach (var subnet in new[] { space.MinSubnet, space.MaxSubnet })
        {
            var (kept, left) = Build(() => new StaticModel(space, subnet));
            Assert.True(kept > 0);
            Assert.Equal(0, left);
        }
        // The latency profiler builds every layer shape alone.
        foreach (var layer in LayerPlan.Of(space, space.MaxSubnet))
            Assert.Equal(0, Build(() => StandaloneLayer.Create(layer)).LeftToFinalizer);
        var (supernetKept, supernetLeft) = Build(() => new ElasticSupernet(space));
        Assert.True(supernetKept > 0);
        Assert.Equal(0, supernetLeft);
    }
}

[CollectionDefinition("Finalizer", DisableParallelization = true)]
public sealed class FinalizerCollection;
