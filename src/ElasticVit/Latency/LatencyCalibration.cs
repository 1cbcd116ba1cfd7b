using ElasticVit.Spaces;

namespace ElasticVit.Latency;

public enum OverheadEstimate { Median, Mean }

/// <summary>Which per-model constants a calibration fits (<see cref="LatencyCalibration.Fit"/>).</summary>
public enum CalibrationFit
{
    /// <summary>The overhead alone: the median residual.</summary>
    Overhead,

    /// <summary>Scale and overhead.</summary>
    Scale,

    /// <summary>Scale, a term per million parameters and overhead.</summary>
    Weights,
}

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

    /// <summary>
    /// Fits <paramref name="fit"/>'s constants, falling back to fewer constants where the measurements cannot carry them
    /// (too few subnets, all of one size, or noise that makes the scale come out ≤ 0): weights → scale → overhead alone.
    /// Never fails for one or more measurements, so a noisy machine degrades a fit instead of aborting a command.
    /// Returns the table, a sentence saying what was fitted and, when the requested fit fell back to the overhead, why.
    /// </summary>
    public static (LatencyTable Table, string Description, string? Fallback) Fit(LatencyTable table, SearchSpace space, IReadOnlyList<ModelMeasurement> measured, CalibrationFit fit)
    {
        var n = measured.Count;
        if (fit != CalibrationFit.Overhead && n >= 2)
        {
            try
            {
                if (fit == CalibrationFit.Weights)
                {
                    var fitted = FitWithWeights(table, space, measured);
                    return (fitted, fitted.MsPerMParam > 0
                        ? $"scale, ms per M params and overhead fitted by least squares of relative errors on {n} random subnets"
                        : $"scale and overhead fitted by least squares of relative errors on {n} random subnets (no positive weight term)", null);
                }
                return (FitScaleAndOverhead(table, space, measured), $"scale and overhead fitted by least squares of relative errors on {n} random subnets", null);
            }
            catch (LatencyException e)
            {
                return (FitOverhead(table, space, measured), $"overhead = median residual of {n} random subnets ({e.Message})", e.Message);
            }
        }
        return (FitOverhead(table, space, measured), $"overhead = median residual of {n} random subnets", null);
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
