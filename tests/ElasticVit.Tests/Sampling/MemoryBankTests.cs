using ElasticVit.Sampling;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Sampling;

public class MemoryBankTests
{
    private static readonly SearchSpace Fmnist = SpaceLoader.Load("elasticvit-fmnist");
    private static readonly Subnet[] Distinct = DrawDistinct(6);

    private static Subnet[] DrawDistinct(int count)
    {
        var rng = new SeededRandom(7);
        var set = new HashSet<Subnet>();
        while (set.Count < count) set.Add(RandomSubnets.Draw(Fmnist, rng));
        return set.ToArray();
    }

    private static double[] Scores(MemoryBank bank) => bank.Entries.Select(e => e.Score).ToArray();

    [Fact]
    public void Offer_AppendsUntilFull_ThenReplacesOnlyTheWorstEntry_WhenBetter()
    {
        var bank = new MemoryBank(3);
        Assert.True(bank.Offer(Distinct[0], -1));
        Assert.True(bank.Offer(Distinct[1], -3));
        Assert.True(bank.Offer(Distinct[2], -2));
        Assert.Equal([-1.0, -3, -2], Scores(bank));

        Assert.False(bank.Offer(Distinct[3], -4));
        Assert.False(bank.Offer(Distinct[3], -3));
        Assert.Equal([-1.0, -3, -2], Scores(bank));

        Assert.True(bank.Offer(Distinct[3], -2.5));
        Assert.Equal([Distinct[0], Distinct[3], Distinct[2]], bank.Entries.Select(e => e.Subnet));
        Assert.Equal(3, bank.Count);
        Assert.Equal(Distinct[0], bank.Best!.Subnet);
    }

    [Fact]
    public void Offer_OfASubnetAlreadyInTheBank_OnlyUpdatesItsScore()
    {
        var bank = new MemoryBank(3);
        bank.Offer(Distinct[0], -1);
        bank.Offer(Distinct[0], -2);
        Assert.Single(bank.Entries);
        Assert.Equal(-2, bank.Entries[0].Score);
    }

    [Theory]
    [InlineData(10, 4, false, true)]
    [InlineData(10, 5, false, false)]
    [InlineData(10, 6, true, false)]
    [InlineData(5, 2, false, true)]
    [InlineData(5, 3, true, false)]
    public void HalfFull_IsJudgedAgainstTheCapacity(int capacity, int count, bool moreThanHalf, bool lessThanHalf)
    {
        var bank = new MemoryBank(capacity);
        foreach (var s in Distinct.Take(count)) bank.Offer(s, -1);
        Assert.Equal(moreThanHalf, bank.IsMoreThanHalfFull);
        Assert.Equal(lessThanHalf, bank.IsLessThanHalfFull);
    }

    [Fact]
    public void SampleBySoftmax_FollowsSoftmaxOfScores()
    {
        var bank = new MemoryBank(3);
        bank.Offer(Distinct[0], -10);
        bank.Offer(Distinct[1], -10 + Math.Log(2));
        bank.Offer(Distinct[2], -10 + Math.Log(4));
        var rng = new SeededRandom(3);
        var counts = new Dictionary<Subnet, int>();
        const int n = 70_000;
        for (var i = 0; i < n; i++)
        {
            var s = bank.SampleBySoftmax(rng);
            counts[s] = counts.GetValueOrDefault(s) + 1;
        }
        Assert.InRange(counts[Distinct[0]] / (double)n, 1 / 7.0 - 0.01, 1 / 7.0 + 0.01);
        Assert.InRange(counts[Distinct[1]] / (double)n, 2 / 7.0 - 0.01, 2 / 7.0 + 0.01);
        Assert.InRange(counts[Distinct[2]] / (double)n, 4 / 7.0 - 0.01, 4 / 7.0 + 0.01);
    }

    [Fact]
    public void NonFiniteScores_AreRejected()
    {
        var bank = new MemoryBank(3);
        Assert.Throws<InvalidOperationException>(() => bank.Offer(Distinct[0], double.NaN));
        Assert.Throws<InvalidOperationException>(() => bank.Offer(Distinct[0], double.NegativeInfinity));
    }
}
