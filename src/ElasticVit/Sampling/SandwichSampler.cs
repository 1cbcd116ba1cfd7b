using ElasticVit.Spaces;

namespace ElasticVit.Sampling;

/// <summary>Baseline (BigNAS / AttentiveNAS sandwich rule): the max subnet, two random subnets, the min subnet.</summary>
public sealed class SandwichSampler(SearchSpace space, SeededRandom rng) : TrainingSampler("sandwich", space, rng)
{
    private readonly Subnet _max = space.MaxSubnet;
    private readonly Subnet _min = space.MinSubnet;

    public override SamplerStep NextStep() => new(
    [
        new SampledSubnet(_max, SubnetRole.Max),
        new SampledSubnet(RandomSubnets.Draw(Space, Rng), SubnetRole.Random),
        new SampledSubnet(RandomSubnets.Draw(Space, Rng), SubnetRole.Random),
        new SampledSubnet(_min, SubnetRole.Min),
    ]);
}
