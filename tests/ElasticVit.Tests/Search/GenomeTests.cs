using ElasticVit.Sampling;
using ElasticVit.Search;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Search;

public class GenomeTests
{
    public static TheoryData<string> Spaces() => ["elasticvit-fmnist", "elasticvit-imagenet"];

    [Theory]
    [MemberData(nameof(Spaces))]
    public void EncodeDecode_RoundTrips(string name)
    {
        var space = SpaceLoader.Load(name);
        var genome = new Genome(space);
        var rng = new Random(3);
        foreach (var s in Enumerable.Range(0, 100).Select(_ => RandomSubnets.Draw(space, rng)).Append(space.MinSubnet).Append(space.MaxSubnet))
            Assert.Equal(s, genome.Decode(genome.Encode(s)));
    }

    [Theory]
    [MemberData(nameof(Spaces))]
    public void MutationAndCrossover_AlwaysGiveValidSubnets_WithMonotoneWidths(string name)
    {
        var space = SpaceLoader.Load(name);
        var genome = new Genome(space);
        var rng = new Random(5);
        for (var i = 0; i < 500; i++)
        {
            var a = genome.Encode(RandomSubnets.Draw(space, rng));
            var b = genome.Encode(RandomSubnets.Draw(space, rng));
            space.Validate(genome.Decode(genome.Mutate(a, rng, 0.5, 0.4)));
            space.Validate(genome.Decode(genome.Crossover(a, b, rng)));
        }
    }

    [Fact]
    public void Mutation_WithZeroProbabilities_ChangesNothing()
    {
        var genome = new Genome(TestSpaces.Fmnist);
        var parent = genome.Encode(TestSpaces.Fmnist.Resolve("mid"));
        Assert.Equal(parent, genome.Mutate(parent, new Random(1), 0, 0));
    }

    [Fact]
    public void StepTowards_ReachesTheTarget_ThroughValidSubnetsOnly()
    {
        var space = SpaceLoader.Load("elasticvit-imagenet");
        var genome = new Genome(space);
        var rng = new Random(7);
        var target = genome.Encode(space.MinSubnet);
        for (var i = 0; i < 50; i++)
        {
            var g = genome.Encode(RandomSubnets.Draw(space, rng));
            var steps = 0;
            while (genome.StepTowards(g, target, rng))
            {
                space.Validate(genome.Decode(g));
                Assert.True(++steps < 200);
            }
            Assert.Equal(target, g);
        }
    }
}
