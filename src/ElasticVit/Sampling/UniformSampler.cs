using ElasticVit.Spaces;

namespace ElasticVit.Sampling;

/// <summary>Baseline: four subnets per step, each drawn uniformly per dimension from the whole space.</summary>
public sealed class UniformSampler(SearchSpace space, SeededRandom rng) : TrainingSampler("uniform", space, rng)
{
    public override SamplerStep NextStep() =>
        new(Enumerable.Range(0, 4).Select(_ => new SampledSubnet(RandomSubnets.Draw(Space, Rng), SubnetRole.Random)).ToArray());
}
