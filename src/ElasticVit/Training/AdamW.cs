using ElasticVit.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Training;

/// <summary>
/// AdamW with per-parameter weight-decay flags and a state that checkpoints can save and restore exactly.
/// Parameters without a gradient in a step are skipped (as in PyTorch); sliced-out entries have zero gradient.
/// </summary>
public sealed class AdamW
{
    private readonly (string Name, Parameter Param, bool Decay)[] _params;
    private readonly Tensor?[] _m, _v;   // moments, created at a parameter's first step
    private readonly long[] _steps;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Eps { get; init; } = 1e-8;
    public double WeightDecay { get; init; } = 0.05;

    public AdamW(IEnumerable<(string Name, Parameter Param, bool Decay)> parameters)
    {
        _params = parameters.ToArray();
        _m = new Tensor?[_params.Length];
        _v = new Tensor?[_params.Length];
        _steps = new long[_params.Length];
    }

    public IReadOnlyList<(string Name, Parameter Param, bool Decay)> Parameters => _params;

    /// <summary>
    /// One step for the parameters of part <paramref name="part"/> of <paramref name="parts"/> (every parts-th one from
    /// index part); parts touch disjoint state, so they may run on different threads at once.
    /// </summary>
    public void Step(double lr, int part = 0, int parts = 1)
    {
        using var _ = no_grad();
        using var beta1 = Beta1.ToScalar();
        using var gradWeight = (1 - Beta1).ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var squareWeight = (1 - Beta2).ToScalar();
        using var eps = Eps.ToScalar();
        using var decayFactor = (1 - lr * WeightDecay).ToScalar();
        for (var i = part; i < _params.Length; i += parts)
        {
            var (_, p, decay) = _params[i];
            var g = p.grad;
            if (g is null) continue;
            var m = _m[i] ??= zeros_like(p).DetachFromDisposeScope();
            var v = _v[i] ??= zeros_like(p).DetachFromDisposeScope();
            var t = ++_steps[i];
            m.mul_(beta1).add_(g, alpha: gradWeight);
            v.mul_(beta2).addcmul_(g, g, value: squareWeight);
            if (decay) p.mul_(decayFactor);
            using var biasCorrection2 = (1 - Math.Pow(Beta2, t)).ToScalar();
            using var stepSize = (-lr / (1 - Math.Pow(Beta1, t))).ToScalar();
            using var denom = v.div(biasCorrection2).sqrt_().add_(eps, ScalarOps.One);
            p.addcdiv_(m, denom, value: stepSize);
        }
    }

    /// <summary>Drops the gradients (like PyTorch's set_to_none), so parameters a step does not use are skipped by it.</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p, _) in _params) p.grad = null;
    }

    /// <summary>Moments as named tensors plus step counts, for checkpoints.</summary>
    public (Dictionary<string, Tensor> Tensors, Dictionary<string, long> Steps) State()
    {
        var tensors = new Dictionary<string, Tensor>();
        var steps = new Dictionary<string, long>();
        for (var i = 0; i < _params.Length; i++)
        {
            if (_m[i] is not { } m || _v[i] is not { } v) continue;
            tensors[_params[i].Name + ".m"] = m;
            tensors[_params[i].Name + ".v"] = v;
            steps[_params[i].Name] = _steps[i];
        }
        return (tensors, steps);
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, long> steps)
    {
        for (var i = 0; i < _params.Length; i++)
        {
            _m[i]?.Dispose();
            _v[i]?.Dispose();
            (_m[i], _v[i], _steps[i]) = (null, null, 0);
            var (name, p, _) = _params[i];
            if (!steps.TryGetValue(name, out var t)) continue;
            if (!tensors.TryGetValue(name + ".m", out var savedM) || !tensors.TryGetValue(name + ".v", out var savedV) || !savedM.shape.SequenceEqual(p.shape) || !savedV.shape.SequenceEqual(p.shape))
                throw new CheckpointException($"optimizer state of '{name}' is missing or has the wrong shape");
            var m = zeros_like(p).DetachFromDisposeScope();
            var v = zeros_like(p).DetachFromDisposeScope();
            using (no_grad())
            {
                m.copy_(savedM);
                v.copy_(savedV);
            }
            (_m[i], _v[i], _steps[i]) = (m, v, t);
        }
    }
}

/// <summary>Learning rate as a pure function of the step: linear warm-up from 1e-6, then cosine down to the floor.</summary>
public sealed record CosineSchedule(double PeakLr, long TotalSteps, long WarmupSteps, double StartLr = 1e-6, double FinalLr = 5e-6)
{
    public double At(long step)
    {
        if (step < WarmupSteps) return StartLr + (PeakLr - StartLr) * step / Math.Max(1, WarmupSteps);
        var progress = Math.Min(1.0, (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps));
        return FinalLr + 0.5 * (PeakLr - FinalLr) * (1 + Math.Cos(Math.PI * progress));
    }
}

/// <summary>Adaptive gradient clipping (NFNets): each output unit's gradient norm is capped at factor · its weight norm.</summary>
public static class AdaptiveGradientClipping
{
    /// <summary>Clips every gradient in place; returns false if any gradient holds a non-finite value (left as it is).</summary>
    public static bool Apply(IEnumerable<Parameter> parameters, double factor = 0.1, double eps = 1e-3)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var normSums = new List<Tensor>();   // a non-finite entry makes its unit's norm, and so the total, non-finite
        foreach (var p in parameters)
        {
            var g = p.grad;
            if (g is null) continue;
            var dims = p.dim() <= 1 ? null : Enumerable.Range(1, (int)p.dim() - 1).Select(i => (long)i).ToArray();
            var wNorm = (dims is null ? p.norm() : p.Squared().sum(dims, keepdim: true).sqrt()).ClampMin(eps);
            var gNorm = dims is null ? g.norm() : g.Squared().sum(dims, keepdim: true).sqrt();
            var maxNorm = wNorm.Times(factor);
            // A unit whose norm is infinite keeps its gradient as it is (scaling by 0 would turn inf into NaN).
            var scale = where((gNorm > maxNorm).logical_and(gNorm.isfinite()), maxNorm / gNorm.ClampMin(1e-6), ones_like(gNorm));
            g.mul_(scale);
            normSums.Add(gNorm.sum());
        }
        return normSums.Count == 0 || float.IsFinite(stack(normSums).sum().item<float>());
    }
}

/// <summary>Exponential moving average of a module's parameters; buffers (BN statistics) are copied.</summary>
public sealed class Ema
{
    private readonly (Tensor Target, Tensor Source, bool Average)[] _pairs;
    public double Decay { get; set; }

    public Ema(nn.Module target, nn.Module source, double decay)
    {
        Decay = decay;
        var parameterNames = source.named_parameters().Select(p => p.name).ToHashSet();
        var src = source.state_dict();
        _pairs = target.state_dict().Select(kv => (kv.Value, src[kv.Key], parameterNames.Contains(kv.Key))).ToArray();
    }

    /// <summary>Decay whose averaging window is about 5% of the run (the paper's 0.99985 at 600 ImageNet epochs is far too slow for short runs).</summary>
    public static double ForRun(long totalSteps) => Math.Clamp(1 - 1.0 / Math.Max(1.0, 0.05 * totalSteps), 0.9, 0.99985);

    /// <summary>Updates part <paramref name="part"/> of <paramref name="parts"/> of the tensors (every parts-th one); parts may run on different threads.</summary>
    public void Update(int part = 0, int parts = 1)
    {
        using var _ = no_grad();
        using var decay = Decay.ToScalar();
        using var sourceWeight = (1 - Decay).ToScalar();
        for (var i = part; i < _pairs.Length; i += parts)
        {
            var (t, s, average) = _pairs[i];
            if (average) t.mul_(decay).add_(s, alpha: sourceWeight);
            else t.copy_(s);
        }
    }

    public void CopyFromSource()
    {
        using var _ = no_grad();
        foreach (var (t, s, _) in _pairs) t.copy_(s);
    }
}
