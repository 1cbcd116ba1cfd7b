using ElasticVit.Latency;

namespace ElasticVit.Tests.Latency;

public sealed class LeastSquaresTests
{
    // y ≈ a·x through three points whose largest is 30 % above the line the two small ones lie on.
    private static readonly double[][] X = [[1], [2], [10]];
    private static readonly double[] Y = [1, 2, 13];

    [Fact]
    public void Fit_MinimisesAbsoluteSquaredErrors()
    {
        var expected = X.Select((x, i) => x[0] * Y[i]).Sum() / X.Sum(x => x[0] * x[0]);   // Σxy / Σx²
        Assert.Equal(expected, LeastSquares.Fit(X, Y, "test")[0], 12);
    }

    [Fact]
    public void FitRelative_MinimisesRelativeSquaredErrors_SoTheLargeOutlierPullsLess()
    {
        var r = X.Select((x, i) => x[0] / Y[i]).ToArray();
        var expected = r.Sum() / r.Sum(v => v * v);                                         // argmin Σ (1 − a·r)²
        var relative = LeastSquares.FitRelative(X, Y, "test")[0];
        Assert.Equal(expected, relative, 12);
        var ordinary = LeastSquares.Fit(X, Y, "test")[0];
        double WorstSmallError(double a) => Math.Max(Math.Abs(a * 1 - 1) / 1, Math.Abs(a * 2 - 2) / 2);
        Assert.True(WorstSmallError(relative) < 0.1 && WorstSmallError(ordinary) > 0.2, $"relative {relative}, ordinary {ordinary}");
    }

    [Fact]
    public void FitRelative_RecoversAnExactRelation() =>
        Assert.Equal([1.5, 0.25], LeastSquares.FitRelative([[1, 1], [2, 1], [4, 1]], [1.75, 3.25, 6.25], "test").Select(v => Math.Round(v, 12)).ToArray());

    [Fact]
    public void FitRelative_RefusesNonPositiveMeasurements() =>
        Assert.Contains("positive", Assert.Throws<LatencyException>(() => LeastSquares.FitRelative([[1], [2]], [1, 0], "test")).Message);
}
