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

    /// <summary>Scale, terms per million parameters and per million FLOPs, and overhead.</summary>
    Flops,

    /// <summary>Scale, terms per million parameters, per million FLOPs and per layer, and overhead.</summary>
    Layers,

    /// <summary>As <see cref="Layers"/>, and the scale growing with the model's parameters (<see cref="LatencyTable.ScalePerMParam"/>; the default).</summary>
    Footprint,
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

    /// <summary><see cref="LatencyTable.MsPerLayer"/> · layers.</summary>
    Layers = 4,

    /// <summary><see cref="LatencyTable.ScalePerMParam"/> · params (M) · Σ entries.</summary>
    SumByParams = 8,
}

/// <summary>
/// Fits the per-model constants of a <see cref="LatencyTable"/> from whole-model measurements (a calibration set),
/// since a model is slower or faster than the sum of its separately timed layers.
/// </summary>
public static class LatencyCalibration
{
    /// <summary>What a profile fits unless told otherwise, and what validation refits leave-one-out (latency.md, session 17).</summary>
    public const CalibrationFit DefaultFit = CalibrationFit.Footprint;

    /// <summary>
    /// Sets <c>OverheadMs</c> to the median (or mean) of <c>measured − Scale · Σ entries</c>; the scale is kept (1 if it was 0:
    /// without the cost terms, which this clears, the layer sum is all there is).
    /// </summary>
    public static LatencyTable FitOverhead(LatencyTable table, SearchSpace space, IEnumerable<ModelMeasurement> calibration,
        OverheadEstimate estimate = OverheadEstimate.Median)
    {
        var predictor = new LookupTablePredictor(table, space);
        if (table.Scale == 0) table = table with { Scale = 1 };
        var residuals = calibration.Select(m => m.LatencyMs - table.Scale * predictor.LayerSumMs(m.Subnet)).ToArray();
        if (residuals.Length == 0) throw new LatencyException($"fitting the overhead of {table.Source} needs at least one whole-model measurement");
        return table with { OverheadMs = estimate == OverheadEstimate.Median ? Statistics.Median(residuals) : residuals.Average(), MsPerMParam = 0, MsPerMflop = 0, MsPerLayer = 0, ScalePerMParam = 0 };
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
    /// that a scale of layer sums cannot follow (bench/results/latency.md, session 13); the layer term what every layer
    /// costs in sequence whatever it computes (session 16: TorchSharp's eager dispatch above all); the layer sum times the
    /// parameters that every layer runs slower in a model whose working set outgrows the caches (session 17). Every subset of the
    /// allowed terms is fitted — with the per-layer term also without the layer sum (scale 0), for a runtime whose layers
    /// timed alone say nothing the layer count and FLOPs do not. Of the fits with non-negative terms (and a positive scale
    /// where the sum is kept), the one with the most terms, and of two with as many, the smaller squared relative error,
    /// is kept — so a term the measurements cannot carry (negative, every calibration subnet of one size, or no more
    /// subnets than constants) falls away instead of distorting the others.
    /// </summary>
    public static LatencyTable FitTerms(LatencyTable table, SearchSpace space, IEnumerable<ModelMeasurement> calibration, CostTerms allowed)
    {
        var predictor = new LookupTablePredictor(table, space);
        var measured = calibration.ToArray();
        var sums = measured.Select(m => predictor.LayerSums(m.Subnet)).ToArray();
        var y = measured.Select(m => m.LatencyMs).ToArray();
        LeastSquares.RequireTwoSizes(sums.Select(s => s.Ms).ToArray(), $"the scale of {table.Source}");
        var subsets = Enumerable.Range(0, (int)allowed + 1).Select(i => (CostTerms)i).Where(t => (t & ~allowed) == 0);
        var candidates = subsets.Select(t => (Terms: t, Sum: true))
            .Concat(subsets.Where(t => t.HasFlag(CostTerms.Layers) && !t.HasFlag(CostTerms.SumByParams)).Select(t => (Terms: t, Sum: false)))
            .GroupBy(c => System.Numerics.BitOperations.PopCount((uint)c.Terms) + (c.Sum ? 1 : 0)).OrderByDescending(g => g.Key);
        foreach (var group in candidates)
        {
            var admissible = group.Select(c => Fit(c.Terms, c.Sum)).OfType<(LatencyTable Table, double Error)>().ToArray();
            if (admissible.Length > 0) return admissible.MinBy(f => f.Error).Table;
        }
        throw new LatencyException($"fitted scale of {table.Source} is not positive; the calibration set does not fit the table");

        (LatencyTable, double)? Fit(CostTerms terms, bool sum)
        {
            double[] Row((double Ms, Cost Cost, int Layers) s) =>
            [
                .. sum ? [s.Ms] : Array.Empty<double>(),
                .. terms.HasFlag(CostTerms.SumByParams) ? [s.Ms * s.Cost.ParamsM] : Array.Empty<double>(),
                .. terms.HasFlag(CostTerms.Params) ? [s.Cost.ParamsM] : Array.Empty<double>(),
                .. terms.HasFlag(CostTerms.Flops) ? [s.Cost.FlopsM] : Array.Empty<double>(),
                .. terms.HasFlag(CostTerms.Layers) ? [s.Layers] : Array.Empty<double>(),
                1,
            ];
            var x = sums.Select(Row).ToArray();
            var simplest = sum && terms == CostTerms.None;
            if (!simplest && x.Length <= x[0].Length) return null;   // an exact interpolation says nothing about a cost term
            double[] w;
            try { w = LeastSquares.FitRelative(x, y, $"the constants of {table.Source}"); }
            catch (LatencyException) when (!simplest) { return null; }
            if (!double.IsFinite(w[^1])) return null;
            // A weight that contributes under a billionth of the slowest model is zero (exact data puts unneeded terms at ±1e-16).
            for (var j = 0; j < w.Length - 1; j++)
                if (Math.Abs(w[j]) * x.Max(row => Math.Abs(row[j])) <= 1e-9 * y.Max()) w[j] = 0;
            if ((sum && !(w[0] > 0)) || w.SkipLast(1).Any(v => !(v >= 0))) return null;
            var i = 0;
            var fitted = table with { Scale = sum ? w[i++] : 0, MsPerMParam = 0, MsPerMflop = 0, MsPerLayer = 0, ScalePerMParam = 0, OverheadMs = w[^1] };
            if (terms.HasFlag(CostTerms.SumByParams)) fitted = fitted with { ScalePerMParam = w[i++] };
            if (terms.HasFlag(CostTerms.Params)) fitted = fitted with { MsPerMParam = w[i++] };
            if (terms.HasFlag(CostTerms.Flops)) fitted = fitted with { MsPerMflop = w[i++] };
            if (terms.HasFlag(CostTerms.Layers)) fitted = fitted with { MsPerLayer = w[i] };
            if (!sum && fitted.MsPerLayer <= 0) return null;   // a table must predict more for more layers
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
                var allowed = fit switch
                {
                    CalibrationFit.Weights => CostTerms.Params,
                    CalibrationFit.Flops => CostTerms.Params | CostTerms.Flops,
                    CalibrationFit.Layers => CostTerms.Params | CostTerms.Flops | CostTerms.Layers,
                    CalibrationFit.Footprint => CostTerms.Params | CostTerms.Flops | CostTerms.Layers | CostTerms.SumByParams,
                    _ => CostTerms.None,
                };
                var fitted = FitTerms(table, space, measured, allowed);
                var terms = new[] { (fitted.Scale > 0, "scale"), (fitted.ScalePerMParam > 0, "scale per M params"), (fitted.MsPerMParam > 0, "ms per M params"), (fitted.MsPerMflop > 0, "ms per MFLOP"), (fitted.MsPerLayer > 0, "ms per layer") }
                    .Where(t => t.Item1).Select(t => t.Item2).ToArray();
                return (fitted, $"{string.Join(", ", terms.Append("overhead"))} fitted by least squares of relative errors on {n} random subnets"
                    + (allowed != CostTerms.None && terms.Length == 1 ? " (no non-negative cost term)" : "")
                    + (fitted.Scale == 0 ? " (the layer sum dropped: its scale would not be positive)" : ""), null);
            }
            catch (LatencyException e)
            {
                return (FitOverhead(table, space, measured), $"overhead = median residual of {n} random subnets ({e.Message})", e.Message);
            }
        }
        return (FitOverhead(table, space, measured), $"overhead = median residual of {n} random subnets", null);
    }

    /// <summary>
    /// The table's constants refitted on every timing of its calibration subnets: the ones it keeps
    /// (<see cref="LatencyTable.CalibrationMs"/>, from the profile and earlier recalibrations) and <paramref name="now"/>, the same
    /// subnets timed again; the new timings are kept too. A shared host's speed drifts by tens of percent within minutes
    /// (bench/results/latency.md), so constants fitted on timings from several moments predict a later measurement better
    /// than any one moment's. With <paramref name="pool"/> false (timings taken on another machine) or a table that keeps no
    /// timings, the fit uses <paramref name="now"/> alone and the kept timings are replaced.
    /// </summary>
    public static (LatencyTable Table, string Description) Pool(LatencyTable table, SearchSpace space, IReadOnlyList<ModelMeasurement> now, bool pool = true)
    {
        var timed = now.GroupBy(m => m.Subnet.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().LatencyMs, StringComparer.Ordinal);
        if (table.CalibrationSubnets.Count == 0 || table.CalibrationSubnets.Any(k => !timed.ContainsKey(k)))
            throw new LatencyException($"{table.Source}: recalibration needs a timing of each of the table's {table.CalibrationSubnets.Count} calibration subnets");
        var keep = pool && table.CalibrationMs.Count == table.CalibrationSubnets.Count;
        var rows = table.CalibrationSubnets.Select((key, i) => (IReadOnlyList<double>)[.. keep ? table.CalibrationMs[i] : [], timed[key]]).ToArray();
        var measurements = table.CalibrationSubnets.SelectMany((key, i) => rows[i].Select(ms => new ModelMeasurement(Subnet.Parse(key, space), ms))).ToArray();
        var (fitted, description, _) = Fit(table, space, measurements, DefaultFit);
        return (fitted with { CalibrationMs = rows }, $"{description} ({rows[0].Count} timing(s) of each)");
    }
}
