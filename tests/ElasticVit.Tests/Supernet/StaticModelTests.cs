using ElasticVit.Sampling;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Supernet;

[Collection(ElasticVit.Tests.Training.TorchRandomState.Name)]
public class StaticModelTests
{
    [Fact]
    public void TinyModel_OverfitsAHandfulOfImages()
    {
        random.manual_seed(0);
        var space = SpaceLoader.Load("elasticvit-fmnist");
        using var model = new StaticModel(space, space.MinSubnet);
        model.train();
        var x = rand(8, 1, 28, 28);
        var y = tensor(new long[] { 0, 1, 2, 3, 4, 5, 6, 7 });
        var optimizer = optim.Adam(model.parameters(), 3e-3);
        float first = 0, last = 0;
        for (var step = 0; step < 80; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.forward(x), y);
            loss.backward();
            optimizer.step();
            if (step == 0) first = loss.item<float>();
            last = loss.item<float>();
        }
        Assert.True(last < 0.1 * first, $"loss {first:F3} → {last:F3}");
        // The BN running statistics lag the weights of the last steps; let them settle on the final weights (0.9^40 of
        // the old statistics remain) so eval mode computes the function that was fitted.
        using (no_grad())
            for (var i = 0; i < 40; i++)
            {
                using var scope = NewDisposeScope();
                model.forward(x);
            }
        model.eval();
        using (no_grad()) Assert.Equal(8, model.forward(x).argmax(1).eq(y).sum().item<long>());
    }
}
