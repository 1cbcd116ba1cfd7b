using ElasticVit.Nn;
using ElasticVit.Sampling;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Supernet;

[Collection(ElasticVit.Tests.Training.TorchRandomState.Name)]
public class SupernetTests
{
    private static readonly SearchSpace Fmnist = SpaceLoader.Load("elasticvit-fmnist");
    private static readonly SearchSpace ImageNet = SpaceLoader.Load("elasticvit-imagenet");

    private static ElasticSupernet Build(SearchSpace space, int seed = 1)
    {
        random.manual_seed(seed);
        var net = new ElasticSupernet(space);
        net.to(float64);
        // Non-trivial BN statistics and affine parameters, so extraction of running stats is exercised too.
        using (no_grad())
            foreach (var bn in net.BatchNorms())
            {
                bn.RunningMean.uniform_(-0.2, 0.2);
                bn.RunningVar.uniform_(0.5, 1.5);
                bn.Weight.uniform_(0.5, 1.5);
                bn.Bias.uniform_(-0.1, 0.1);
            }
        return net;
    }

    [Fact]
    public void With_zeroed_residual_branches_extra_stem_and_mbconv_layers_compute_nothing()
    {
        // Freshly built: BN shifts are zero, as at the start of training.
        using var net = new ElasticSupernet(Fmnist);
        net.to(float64);
        net.ZeroInitResidualBranches();
        net.eval();
        var x = rand(2, 1, 28, 28, dtype: float64);
        Tensor Logits(string key)
        {
            net.SetActive(Fmnist.Resolve(key));
            using (no_grad()) return net.forward(x);
        }
        const string tail = "-T1:32x1m2v2-T2:48x1m2v2-T3:64x1m2v2-T4:96x1m2v2";
        var shallow = Logits("r28-s8x1k3-C1:16x1e3k3-C2:24x1e3k3" + tail);
        var deep = Logits("r28-s8x2k3-C1:16x2e3k3-C2:24x3e3k3" + tail);
        Assert.True(shallow.allclose(deep, rtol: 1e-9, atol: 1e-12));
        // Without the zeroing the extra layers change the output.
        using var plain = new ElasticSupernet(Fmnist);
        plain.to(float64);
        plain.eval();
        plain.SetActive(Fmnist.Resolve("r28-s8x1k3-C1:16x1e3k3-C2:24x1e3k3" + tail));
        using (no_grad())
        {
            var a = plain.forward(x);
            plain.SetActive(Fmnist.Resolve("r28-s8x2k3-C1:16x2e3k3-C2:24x3e3k3" + tail));
            Assert.False(a.allclose(plain.forward(x), rtol: 1e-6, atol: 1e-9));
        }
    }

    [Theory]
    [InlineData("elasticvit-fmnist", 20, 3)]
    [InlineData("elasticvit-imagenet", 20, 1)]
    public void Extract_GivesSameLogits_AsActiveSupernet(string spaceName, int subnets, int batch)
    {
        var space = SpaceLoader.Load(spaceName);
        var net = Build(space);
        net.eval();
        var rng = new Random(7);
        var candidates = Enumerable.Range(0, subnets - 2).Select(_ => RandomSubnets.Draw(space, rng)).Append(space.MinSubnet).Append(space.MaxSubnet);
        foreach (var subnet in candidates)
        {
            using var scope = NewDisposeScope();
            var x = rand(batch, space.Input.Channels, space.Input.NativeSize, space.Input.NativeSize, dtype: float64);
            net.SetActive(subnet);
            Tensor expected;
            using (no_grad()) expected = net.forward(x);
            var model = StaticModel.Extract(net, subnet);
            model.eval();
            Tensor actual;
            using (no_grad()) actual = model.forward(x);
            var diff = (expected - actual).abs().max().item<double>();
            Assert.True(diff <= 1e-9, $"{subnet.Key}: max |Δ| = {diff:E2}");
            Assert.Equal(new long[] { batch, space.Classes }, actual.shape);
            model.Dispose();
        }
    }

    [Fact]
    public void ChannelsLast_KeepsShapeAndValues_StoresChannelsInnermost()
    {
        using var scope = NewDisposeScope();
        var x = tensor(Enumerable.Range(0, 2 * 3 * 4 * 5).Select(i => (float)i).ToArray()).reshape(2, 3, 4, 5);
        var nhwc = Blocks.ChannelsLast(x);
        Assert.Equal(x.shape, nhwc.shape);
        Assert.Equal(new long[] { 4 * 5 * 3, 1, 5 * 3, 3 }, nhwc.stride());
        Assert.True(nhwc.eq(x).all().item<bool>());
        // A convolution keeps the layout, so one conversion after the stem serves the following layers.
        var y = nn.functional.conv2d(nhwc, ones(6, 3, 1, 1));
        Assert.Equal(new long[] { 4 * 5 * 6, 1, 5 * 6, 6 }, y.stride());
    }

    [Fact]
    public void ForwardWithActiveSubnet_ChangesNoParameterOrBuffer()
    {
        var net = Build(Fmnist);
        net.eval();
        var before = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        net.SetActive(Fmnist.Resolve("mid"));
        using (no_grad()) net.forward(rand(2, 1, 28, 28, dtype: float64));
        foreach (var (name, value) in net.state_dict())
            Assert.True(value.allclose(before[name], 0, 0), $"{name} changed");
    }

    [Fact]
    public void MaxSubnet_GivesEveryParameterAGradient()
    {
        var net = Build(Fmnist);
        net.train();
        net.SetActive(Fmnist.MaxSubnet);
        // Max resolution uses the largest token grid, so every relative-position row is reachable.
        var loss = net.forward(rand(4, 1, 28, 28, dtype: float64)).Squared().mean();
        loss.backward();
        foreach (var (name, p) in net.named_parameters())
        {
            Assert.True(p.grad is not null, $"{name} has no gradient");
            Assert.True(p.grad.abs().sum().item<double>() > 0, $"{name} has an all-zero gradient");
        }
    }

    [Fact]
    public void MinSubnet_LeavesInactiveSlicesWithExactlyZeroGradient()
    {
        var net = Build(Fmnist);
        net.train();
        var min = Fmnist.MinSubnet;
        net.SetActive(min);
        net.forward(rand(4, 1, 28, 28, dtype: float64)).Squared().mean().backward();

        // Layers beyond the active depth get no gradient at all.
        var c1 = (ElasticMbConvStage)net.stages[0];
        Assert.True(c1.layers[1].parameters().All(p => p.grad is null || p.grad.abs().sum().item<double>() == 0));
        var t4 = (ElasticTransformerStage)net.stages[^1];
        Assert.True(t4.layers[1].parameters().All(p => p.grad is null || p.grad.abs().sum().item<double>() == 0));
        Assert.True(net.stage0[1].parameters().All(p => p.grad is null || p.grad.abs().sum().item<double>() == 0));

        // Inside active layers: everything outside the active slice is exactly zero.
        var stemW = net.stem.conv.Weight.grad!;                                  // [16, 1, 3, 3], 8 active
        Assert.Equal(0.0, stemW.narrow(0, min.Stem.Width, stemW.shape[0] - min.Stem.Width).abs().sum().item<double>());
        Assert.True(stemW.narrow(0, 0, min.Stem.Width).abs().sum().item<double>() > 0);
        var dw = net.stage0[0].dw.Weight.grad!;                                 // [16, 1, 5, 5], k=3 active: border is zero
        Assert.Equal(0.0, dw.narrow(2, 0, 1).abs().sum().item<double>());
        Assert.Equal(0.0, dw.narrow(3, 4, 1).abs().sum().item<double>());
        Assert.True(dw.narrow(0, 0, min.Stem.Width).narrow(2, 1, 3).narrow(3, 1, 3).abs().sum().item<double>() > 0);

        var layer = t4.layers[0];
        var t4c = min.Stages[^1];
        var q = layer.q.Weight.grad!;
        Assert.Equal(0.0, q.narrow(0, t4c.Heads * 16, q.shape[0] - t4c.Heads * 16).abs().sum().item<double>());
        Assert.Equal(0.0, q.narrow(1, t4c.Width, q.shape[1] - t4c.Width).abs().sum().item<double>());
        var v = layer.v.grad!.view(layer.MaxHeads, layer.MaxVDim, layer.MaxWidth);
        Assert.Equal(0.0, v.narrow(1, 16 * t4c.VScale, layer.MaxVDim - 16 * t4c.VScale).abs().sum().item<double>());
        Assert.Equal(0.0, v.narrow(0, t4c.Heads, layer.MaxHeads - t4c.Heads).abs().sum().item<double>());
        var rel = layer.rel_pos.grad!;
        Assert.Equal(0.0, rel.narrow(1, t4c.Heads, rel.shape[1] - t4c.Heads).abs().sum().item<double>());
        var fc1 = layer.fc1.Weight.grad!;
        Assert.Equal(0.0, fc1.narrow(0, t4c.MlpRatio * t4c.Width, fc1.shape[0] - t4c.MlpRatio * t4c.Width).abs().sum().item<double>());
        var bn = layer.ln1.Weight.grad!;
        Assert.Equal(0.0, bn.narrow(0, t4c.Width, bn.shape[0] - t4c.Width).abs().sum().item<double>());

        // Overall: the gradient mass of the supernet equals that of the extracted model on the same input,
        // so no gradient lands outside the copied slices anywhere.
        random.manual_seed(3);
        var x = rand(4, 1, 28, 28, dtype: float64);
        net.zero_grad();
        net.forward(x).Squared().mean().backward();
        var superMass = net.parameters().Where(p => p.grad is not null).Sum(p => p.grad!.abs().sum().item<double>());
        var model = StaticModel.Extract(net, min);
        model.train();
        model.forward(x).Squared().mean().backward();
        var staticMass = model.parameters().Where(p => p.grad is not null).Sum(p => p.grad!.abs().sum().item<double>());
        Assert.True(Math.Abs(superMass - staticMass) <= 1e-9 * staticMass, $"supernet {superMass} vs extracted {staticMass}");
    }

    [Theory]
    [InlineData("elasticvit-imagenet", "T1")]
    [InlineData("elasticvit-imagenet", "L2")]
    [InlineData("elasticvit-fmnist", "max")]
    [InlineData("elasticvit-fmnist", "min")]
    public void StaticModelParameterCount_MatchesAnalyticCount(string spaceName, string arch)
    {
        var space = SpaceLoader.Load(spaceName);
        var subnet = space.Resolve(arch);
        using var model = new StaticModel(space, subnet);
        Assert.Equal(Complexity.Of(space, subnet).Params, model.ParameterCountWithoutPositionTables());
    }

    [Fact]
    public void RandomStaticModels_ParameterCountsMatchAnalyticCount()
    {
        var rng = new Random(3);
        for (var i = 0; i < 10; i++)
        {
            var subnet = RandomSubnets.Draw(Fmnist, rng);
            using var model = new StaticModel(Fmnist, subnet);
            Assert.Equal(Complexity.Of(Fmnist, subnet).Params, model.ParameterCountWithoutPositionTables());
        }
    }
}
