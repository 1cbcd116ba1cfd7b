using ElasticVit.Search;

namespace ElasticVit.Tests.Search;

public class ParetoFrontTests
{
    private sealed record P(string Name, double Fitness, double Flops, double Latency);

    private static readonly P[] Points =
    [
        new("A", 0.9, 10, 5), new("B", 0.8, 8, 5), new("C", 0.8, 9, 5), new("D", 0.7, 8, 6), new("E", 0.9, 10, 5),
        new("F", 0.95, 20, 1), new("G", 0.5, 5, 7), new("H", 0.5, 6, 7), new("I", 0.6, 12, 0.5),
    ];

    private static string Front(params Func<P, double>[] costs) =>
        string.Concat(ParetoFront.Of(Points, p => p.Fitness, costs).Select(p => p.Name));

    [Fact]
    public void Front_KeepsExactlyTheNonDominatedPoints_BestFirst()
    {
        // C, D are dominated by B and H by G; A and E tie and are both kept; I is only cheap in latency.
        Assert.Equal("FAEBIG", Front(p => p.Flops, p => p.Latency));
        Assert.Equal("FAEBG", Front(p => p.Flops));
        Assert.Equal("FI", Front(p => p.Latency));
        Assert.Equal("F", Front());
    }

    [Fact]
    public void Front_MatchesABruteForceDominanceCheck()
    {
        var rng = new Random(4);
        var points = Enumerable.Range(0, 300).Select(i => new P($"{i}", rng.Next(20), rng.Next(20), rng.Next(20))).ToArray();
        static bool Dominates(P a, P b) =>
            a.Fitness >= b.Fitness && a.Flops <= b.Flops && a.Latency <= b.Latency && (a.Fitness > b.Fitness || a.Flops < b.Flops || a.Latency < b.Latency);
        var expected = points.Where(p => !points.Any(q => Dominates(q, p))).Select(p => p.Name).Order();
        var front = ParetoFront.Of(points, p => p.Fitness, [p => p.Flops, p => p.Latency]);
        Assert.Equal(expected, front.Select(p => p.Name).Order());
    }
}
