using ElasticVit.Spaces;

namespace ElasticVit.Latency;

public enum OverheadEstimate { Median, Mean }

/// <summary>
/// Fits the per-model constants of a <see cref="LatencyTable"/> from whole-model measurements (a calibration set),
/// since a model is slower or faster than the sum of its separately timed layers.
/// </summary>
public static class LatencyCalibration
{
    /// <summary>Sets <c>OverheadMs</c> to the median (or mean) of <c>measured − Scale · Σ entries</c>; the scale is kept.</summary>
    public static LatencyTable FitOverhead(LatencyTable table, SearchSpace space, IEnumerable<ModelMeasurement> calibration,
        OverheadEstimate estimate = OverheadEstimate.Median)
    {
        var predictor = new LookupTablePredictor(table, space);
        var residuals = calibration.Select(m => m.LatencyMs - table.Scale * predictor.LayerSumMs(m.Subnet)).ToArray();
        if (residuals.Length == 0) throw new LatencyException($"fitting the overhead of {table.Source} needs at least one whole-model measurement");
        return table with { OverheadMs = estimate == OverheadEstimate.Median ? Median(residuals) : residuals.Average(), MsPerMParam = 0 };
    }

    /// <summary>Least-squares fit (of relative errors, <see cref="LeastSquares.FitRelative"/>) of <c>measured ≈ Scale · Σ entries + OverheadMs</c>.</summary>
    public static LatencyTable FitScaleAndOverhead(LatencyTable table, SearchSpace space, IEnumerable<ModelMeasurement> calibration)
    {
        var predictor = new LookupTablePredictor(table, space);
        var measured = calibration.ToArray();
        var sums = measured.Select(m => predictor.LayerSumMs(m.Subnet)).ToArray();
        LeastSquares.RequireTwoSizes(sums, $"the scale of {table.Source}");
        var w = LeastSquares.FitRelative(sums.Select(v => new[] { v, 1 }).ToArray(), measured.Select(m => m.LatencyMs).ToArray(), $"the scale of {table.Source}");
        var (scale, overhead) = (w[0], w[1]);
        if (scale <= 0) throw new LatencyException($"fitted scale {scale:G4} of {table.Source} is not positive; the calibration set does not fit the table");
        return table with { Scale = scale, OverheadMs = overhead, MsPerMParam = 0 };
    }

    /// <summary>
    /// Least-squares fit (of relative errors) of <c>measured ≈ Scale · Σ entries + MsPerMParam · params (M) + OverheadMs</c>: the weight term
    /// models what whole models pay that separately timed layers do not (their weights coming in from memory). Falls back
    /// to <see cref="FitScaleAndOverhead"/> when the weight term comes out negative or cannot be determined (e.g. every
    /// calibration subnet has the same size).
    /// </summary>
    public static LatencyTable FitWithWeights(LatencyTable table, SearchSpace space, IEnumerable<ModelMeasurement> calibration)
    {
        var predictor = new LookupTablePredictor(table, space);
        var measured = calibration.ToArray();
        double[] w;
        try
        {
            w = LeastSquares.FitRelative(measured.Select(m => predictor.LayerSums(m.Subnet)).Select(s => new[] { s.Ms, s.Params / 1e6, 1 }).ToArray(),
                measured.Select(m => m.LatencyMs).ToArray(), $"the constants of {table.Source}");
        }
        catch (LatencyException) { return FitScaleAndOverhead(table, space, measured); }
        if (w[0] <= 0 || w[1] < 0) return FitScaleAndOverhead(table, space, measured);
        return table with { Scale = w[0], MsPerMParam = w[1], OverheadMs = w[2] };
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
