namespace ElasticVit;

/// <summary>Order statistics used across the pipeline (timing summaries, calibration, benchmarks).</summary>
public static class Statistics
{
    /// <summary>Linear interpolation between order statistics of an ascending array (type 7, as numpy's default).</summary>
    public static double QuantileOfSorted(double[] sorted, double p)
    {
        if (sorted.Length == 0) throw new ArgumentException("no values", nameof(sorted));
        var h = (sorted.Length - 1) * p;
        var lo = (int)Math.Floor(h);
        return lo + 1 < sorted.Length ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
    }

    /// <summary>The median: the middle value, or the mean of the two middle values of an even count.</summary>
    public static double Median(IEnumerable<double> values) => QuantileOfSorted(values.Order().ToArray(), 0.5);
}
