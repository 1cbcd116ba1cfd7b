using ElasticVit.Supernet;
using ElasticVit.Tests.Search;
using ElasticVit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Training;

/// <summary>AdamW and the EMA split into parts (one per shard thread) do exactly what one pass does.</summary>
[Collection(TorchRandomState.Name)]
public class OptimizerPartsTests
{
    private static (ElasticSupernet Net, AdamW Adam) Trained(int parts, ElasticSupernet ema)
    {
        random.manual_seed(3);
        var net = new ElasticSupernet(TestSpaces.Tiny);
        var adam = new AdamW(Trainer.ParameterGroups(net));
        var averager = new Ema(ema, net, 0.9);
        averager.CopyFromSource();
        var x = randn(6, 1, 28, 28);
        var y = randint(0, 10, [6]);
        for (var step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            adam.ZeroGrad();
            net.SetActive(step == 1 ? TestSpaces.Tiny.MinSubnet : TestSpaces.Tiny.MaxSubnet);   // step 2 touches parameters step 1 skipped
            Losses.LabelSmoothedCrossEntropy(net.forward(x), y).backward();
            // Parts in reverse order: the result may not depend on which thread comes first.
            for (var part = parts - 1; part >= 0; part--) adam.Step(1e-3, part, parts);
            for (var part = parts - 1; part >= 0; part--) averager.Update(part, parts);
        }
        return (net, adam);
    }

    [Fact]
    public void Steps_in_parts_equal_one_whole_step()
    {
        using var emaWhole = new ElasticSupernet(TestSpaces.Tiny);
        using var emaParts = new ElasticSupernet(TestSpaces.Tiny);
        var (whole, adamWhole) = Trained(1, emaWhole);
        var (parted, adamParts) = Trained(3, emaParts);
        using (whole)
        using (parted)
        {
            foreach (var ((name, a), (_, b)) in whole.state_dict().Zip(parted.state_dict()))
                Assert.True(a.allclose(b, rtol: 0, atol: 0), $"{name} differs");
            foreach (var ((name, a), (_, b)) in emaWhole.state_dict().Zip(emaParts.state_dict()))
                Assert.True(a.allclose(b, rtol: 0, atol: 0), $"EMA {name} differs");
            var (stateWhole, stepsWhole) = adamWhole.State();
            var (stateParts, stepsParts) = adamParts.State();
            Assert.Equal(stepsWhole, stepsParts);
            Assert.Contains(stepsWhole.Values, t => t == 2);   // the min subnet's step skipped some parameters
            Assert.Contains(stepsWhole.Values, t => t == 3);
            foreach (var (name, m) in stateWhole) Assert.True(m.allclose(stateParts[name], rtol: 0, atol: 0), $"moment {name} differs");
        }
    }
}
