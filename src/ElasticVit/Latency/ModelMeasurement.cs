using System.Globalization;
using ElasticVit.Spaces;

namespace ElasticVit.Latency;

/// <summary>
/// The measured latency of a whole subnet on one device (milliseconds), with the timing it came from when it was
/// measured here (null when imported).
/// </summary>
public sealed record ModelMeasurement(Subnet Subnet, double LatencyMs, Profiling.TimingResult? Timing = null);

/// <summary>
/// How steady the machine was while a set of subnets was timed in interleaved rounds, over the subnets: the median
/// and the largest round spread (slowest round over fastest), and the median number of quiet rounds (within 10 % of
/// the subnet's fastest). On a quiet machine most rounds are quiet; when other tenants of a shared host slow it down,
/// few are, and a latency taken as the fastest round rests on those few (bench/results/latency.md).
/// </summary>
public readonly record struct RoundAgreement(int Rounds, double MedianSpread, double WorstSpread, double MedianQuietRounds)
{
    /// <summary>Steady when the median subnet has at least a quarter of its rounds (and two) quiet.</summary>
    public bool Steady => Rounds <= 1 || MedianQuietRounds >= Math.Max(2, Rounds / 4.0);

    public static RoundAgreement Of(IReadOnlyList<ModelMeasurement> measured)
    {
        var timed = measured.Where(m => m.Timing is not null).Select(m => m.Timing!.Value).ToArray();
        return timed.Length == 0
            ? new RoundAgreement(1, 1, 1, 1)
            : new RoundAgreement(timed.Max(t => t.Rounds), Statistics.Median(timed.Select(t => t.RoundSpread)),
                timed.Max(t => t.RoundSpread), Statistics.Median(timed.Select(t => (double)t.QuietRounds)));
    }

    /// <summary>"median subnet: 9 of 16 rounds within 10 % of its fastest, slowest round +31.0 % (+120.0 % at worst)".</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"median subnet: {MedianQuietRounds:0.#} of {Rounds} rounds within {(Profiling.TimingProtocol.QuietWithin - 1) * 100:0} % of its fastest, slowest round +{(MedianSpread - 1) * 100:F1} % (+{(WorstSpread - 1) * 100:F1} % at worst)");
}

/// <summary>Least squares: ordinary, and of relative errors.</summary>
public static class LeastSquares
{
    /// <summary>The line <c>y ≈ slope · x + intercept</c> with the smallest squared error.</summary>
    public static (double Slope, double Intercept) Line(IReadOnlyList<double> x, IReadOnlyList<double> y, string what)
    {
        RequireTwoSizes(x, what);
        double meanX = x.Average(), meanY = y.Average(), sxx = 0, sxy = 0;
        for (var i = 0; i < x.Count; i++)
        {
            sxx += (x[i] - meanX) * (x[i] - meanX);
            sxy += (x[i] - meanX) * (y[i] - meanY);
        }
        var slope = sxy / sxx;
        return (slope, meanY - slope * meanX);
    }

    /// <summary>A line through <paramref name="x"/> needs at least two measurements at two different sizes.</summary>
    internal static void RequireTwoSizes(IReadOnlyList<double> x, string what)
    {
        if (x.Count < 2) throw new LatencyException($"fitting {what} needs at least 2 measurements, got {x.Count}");
        if (x.All(v => v == x[0])) throw new LatencyException($"fitting {what} needs measurements of at least 2 different sizes");
    }

    /// <summary>
    /// The weights w minimising Σ (y − w·x)² over rows x of <paramref name="x"/> (add a constant 1 column for an intercept),
    /// from the normal equations by Gaussian elimination with partial pivoting; fails when the columns are linearly dependent.
    /// </summary>
    public static double[] Fit(IReadOnlyList<double[]> x, IReadOnlyList<double> y, string what)
    {
        var n = x.Count == 0 ? 0 : x[0].Length;
        if (x.Count < n || n == 0) throw new LatencyException($"fitting {what} needs at least {Math.Max(n, 1)} measurements, got {x.Count}");
        var a = new double[n, n + 1];
        for (var r = 0; r < x.Count; r++)
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++) a[i, j] += x[r][i] * x[r][j];
                a[i, n] += x[r][i] * y[r];
            }
        var largest = Enumerable.Range(0, n).Max(i => Math.Abs(a[i, i]));
        for (var c = 0; c < n; c++)
        {
            var pivot = Enumerable.Range(c, n - c).MaxBy(r => Math.Abs(a[r, c]));
            if (!(Math.Abs(a[pivot, c]) > 1e-12 * largest)) throw new LatencyException($"fitting {what}: the measurements do not determine every constant");
            for (var j = 0; j <= n; j++) (a[c, j], a[pivot, j]) = (a[pivot, j], a[c, j]);
            for (var r = 0; r < n; r++)
            {
                if (r == c) continue;
                var f = a[r, c] / a[c, c];
                for (var j = c; j <= n; j++) a[r, j] -= f * a[c, j];
            }
        }
        return Enumerable.Range(0, n).Select(i => a[i, n] / a[i, i]).ToArray();
    }

    /// <summary>
    /// The weights w minimising Σ ((y − w·x) / y)², the squared <em>relative</em> errors: rows weighted by 1/y², so a large
    /// model's latency, which also varies most in absolute terms, does not pull the fit away from the small ones. That is
    /// the error a latency predictor is judged by (share within ±10 %). Every y must be positive.
    /// </summary>
    public static double[] FitRelative(IReadOnlyList<double[]> x, IReadOnlyList<double> y, string what)
    {
        if (y.Any(v => !(v > 0))) throw new LatencyException($"fitting {what} by relative errors needs positive measurements");
        return Fit(x.Select((row, i) => row.Select(v => v / y[i]).ToArray()).ToArray(), y.Select(_ => 1.0).ToArray(), what);
    }
}
