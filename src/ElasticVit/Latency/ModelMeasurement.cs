using ElasticVit.Spaces;

namespace ElasticVit.Latency;

/// <summary>The measured latency of a whole subnet on one device (median milliseconds).</summary>
public sealed record ModelMeasurement(Subnet Subnet, double LatencyMs);

/// <summary>Ordinary least squares for one explanatory variable.</summary>
internal static class LeastSquares
{
    /// <summary>The line <c>y ≈ slope · x + intercept</c> with the smallest squared error.</summary>
    public static (double Slope, double Intercept) Line(IReadOnlyList<double> x, IReadOnlyList<double> y, string what)
    {
        if (x.Count < 2) throw new LatencyException($"fitting {what} needs at least 2 measurements, got {x.Count}");
        double meanX = x.Average(), meanY = y.Average(), sxx = 0, sxy = 0;
        for (var i = 0; i < x.Count; i++)
        {
            sxx += (x[i] - meanX) * (x[i] - meanX);
            sxy += (x[i] - meanX) * (y[i] - meanY);
        }
        if (sxx == 0) throw new LatencyException($"fitting {what} needs measurements of at least 2 different sizes");
        var slope = sxy / sxx;
        return (slope, meanY - slope * meanX);
    }
}
