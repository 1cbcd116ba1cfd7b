using ElasticVit.Nn;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Nn;

public class BatchCountersTests
{
    [Fact]
    public void A_static_model_without_batch_counters_still_trains_its_BatchNorm_statistics()
    {
        var space = SpaceLoader.Load("elasticvit-fmnist-t1");
        using var model = new StaticModel(space, space.MinSubnet);
        Assert.Contains(model.state_dict().Keys, k => k.EndsWith("num_batches_tracked"));

        BatchCounters.Drop(model);

        Assert.DoesNotContain(model.state_dict().Keys, k => k.EndsWith("num_batches_tracked"));
        Assert.All(model.modules().OfType<BatchNorm>(), bn => Assert.Null(bn.num_batches_tracked));
        var bn = model.modules().OfType<BatchNorm>().First();
        using var before = bn.running_mean!.clone();
        model.train();
        for (var step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            using var x = rand(4, 1, 28, 28);
            model.forward(x).sum().backward();
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(before.allclose(bn.running_mean!), "training mode must still update the running statistics");
    }
}
