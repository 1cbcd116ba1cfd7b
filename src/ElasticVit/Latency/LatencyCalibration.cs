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

    /// <summary>Scale, terms per million parameters and per million FLOPs, and overhead (the default).</summary>
    Flops,
}

/// <summary>The per-model terms a least-squares calibration may add to <c>Scale · Σ entries + OverheadMs</c>.</summary>
[Flags]
public enum CostTerms
{
    None = 0,

    /// <summary><see cref="LatencyTable.MsPerMParam"/> · params (M).</summary>
    Params = 1,

    /// <summary><see cref="LatencyTable.MsPerMflop"/> · FLOPs (M).</summary>
    Flops = 2,
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
        return table with { OverheadMs = estimate == OverheadEstimate.Median ? Median(residuals) : residuals.Average(), MsPerMParam = 0, MsPerMflop = 0 };
    }

    /// <summary>Least-squares fit (of relative errors, <see cref="LeastSquares.FitRelative"/>) of <c>measured ≈ Scale · Σ entries + OverheadMs</c>.</summary>
    public static LatencyTable FitScaleAndOverhead(LatencyTable table, SearchSpace space, IEnumerable<ModelMeasurement> calibration) =>
        FitTerms(table, space, calibration, CostTerms.None);

    /// <summary><see cref="FitTerms"/> with the weight term: <c>measured ≈ Scale · Σ entries + MsPerMParam · params (M) + OverheadMs</c>.</summary>
    public static LatencyTable FitWithWeights(LatencyTable table, SearchSpace space, IEnumerable<ModelMeasurement> calibration) =>
        FitTerms(table, space, calibration, CostTerms.Params);

    /// <summary>
    /// Least-squares fit (of relative errors) of <c>measured ≈ Scale · Σ entries + OverheadMs</c> plus the
    /// <paramref name="allowed"/> cost terms: the weight term models what whole models pay for fetching their weights,
    /// which stay hot in the cache while a layer is timed alone; the FLOPs term that inside a whole model the
    /// compute-heavy layers cost more, relative to the light ones, than each timed alone — a share growing with the model
    /// that a scale of layer sums cannot follow (bench/results/latency.md, session 13). Every subset of the allowed terms
    /// is fitted; of those with a positive scale and non-negative terms, the one with the most terms, and of two with as
    /// many, the smaller squared relative error, is kept — so a term the measurements cannot carry (negative, every
    /// calibration subnet of one size, or no more subnets than constants) falls away instead of distorting the others.
    /// </summary>
    public static LatencyTable FitTerms(LatencyTable table, SearchSpace space, IEnumerable<ModelMeasurement> calibration, CostTerms allowed)
    {
        var predictor = new LookupTablePredictor(table, space);
        var measured = calibration.ToArray();
        var sums = measured.Select(m => predictor.LayerSums(m.Subnet)).ToArray();
        var y = measured.Select(m => m.LatencyMs).ToArray();
        LeastSquares.RequireTwoSizes(sums.Select(s => s.Ms).ToArray(), $"the scale of {table.Source}");
        var candidates = Enumerable.Range(0, (int)allowed + 1).Select(i => (CostTerms)i).Where(t => (t & ~allowed) == 0)
            .GroupBy(t => System.Numerics.BitOperations.PopCount((uint)t)).OrderByDescending(g => g.Key);
        foreach (var group in candidates)
        {
            var admissible = group.Select(terms => Fit(terms)).OfType<(LatencyTable Table, double Error)>().ToArray();
            if (admissible.Length > 0) return admissible.MinBy(f => f.Error).Table;
        }
        throw new LatencyException($"fitted scale of {table.Source} is not positive; the calibration set does not fit the table");

        (LatencyTable, double)? Fit(CostTerms terms)
        {
            double[] Row((double Ms, Cost Cost) s) =>
                [s.Ms, .. terms.HasFlag(CostTerms.Params) ? [s.Cost.ParamsM] : Array.Empty<double>(), .. terms.HasFlag(CostTerms.Flops) ? [s.Cost.FlopsM] : Array.Empty<double>(), 1];
            var x = sums.Select(Row).ToArray();
            if (terms != CostTerms.None && x.Length <= x[0].Length) return null;   // an exact interpolation says nothing about a cost term
            double[] w;
            try { w = LeastSquares.FitRelative(x, y, $"the constants of {table.Source}"); }
            catch (LatencyException) when (terms != CostTerms.None) { return null; }
            if (!(w[0] > 0) || w.Skip(1).SkipLast(1).Any(v => !(v >= 0)) || !double.IsFinite(w[^1])) return null;
            var (i, fitted) = (1, table with { Scale = w[0], MsPerMParam = 0, MsPerMflop = 0, OverheadMs = w[^1] });
            if (terms.HasFlag(CostTerms.Params)) fitted = fitted with { MsPerMParam = w[i++] };
            if (terms.HasFlag(CostTerms.Flops)) fitted = fitted with { MsPerMflop = w[i] };
            var error = x.Select((row, r) => Math.Pow((row.Zip(w, (a, b) => a * b).Sum() - y[r]) / y[r], 2)).Sum();
            return (fitted, error);
        }
    }

    /// <summary>
    /// Fits <paramref name="fit"/>'s constants, falling back to fewer constants where the measurements cannot carry them
    /// (too few subnets, all of one size, or noise that makes the scale come out ≤ 0): cost terms → scale → overhead alone.
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
                var allowed = fit switch { CalibrationFit.Weights => CostTerms.Params, CalibrationFit.Flops => CostTerms.Params | CostTerms.Flops, _ => CostTerms.None };
                var fitted = FitTerms(table, space, measured, allowed);
                var terms = new[] { (fitted.MsPerMParam > 0, "ms per M params"), (fitted.MsPerMflop > 0, "ms per MFLOP") }.Where(t => t.Item1).Select(t => t.Item2).ToArray();
                return (fitted, $"scale, {string.Join(", ", terms.Append("overhead"))} fitted by least squares of relative errors on {n} random subnets"
                    + (allowed != CostTerms.None && terms.Length == 0 ? " (no non-negative cost term)" : ""), null);
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
