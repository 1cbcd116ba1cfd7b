using System.Diagnostics;
using ElasticVit.Data;
using ElasticVit.Search;
using ElasticVit.Spaces;
using ElasticVit.Supernet;

namespace ElasticVit.Training;

/// <summary>How <see cref="SupernetFitness"/> scores a subnet.</summary>
public sealed record FitnessOptions
{
    /// <summary>Held-out images per class scored (the official search: 100); 0 scores the whole held-out split.</summary>
    public int ImagesPerClass { get; init; } = 100;

    /// <summary>Training batches the BN statistics are re-estimated on, the same ones for every subnet.</summary>
    public int CalibrationBatches { get; init; } = 8;

    public int CalibrationBatchSize { get; init; } = 64;

    /// <summary>Images per forward pass when scoring (eval mode, so the batch size does not change the result).</summary>
    public int EvalBatchSize { get; init; } = 500;

    internal void Validate()
    {
        if (ImagesPerClass < 0) throw new SearchException($"fitness images per class must be ≥ 0 (0: the whole held-out split), got {ImagesPerClass}");
        if (CalibrationBatches < 1 || CalibrationBatchSize < 2 || EvalBatchSize < 1)
            throw new SearchException($"fitness needs ≥ 1 calibration batch of ≥ 2 images and an eval batch ≥ 1 (got {CalibrationBatches}×{CalibrationBatchSize}, {EvalBatchSize})");
    }
}

/// <summary>
/// Search fitness from a trained supernet (METHOD.md §8): top-1 after BN recalibration on a fixed, class-balanced subset of
/// the held-out split. Calibration and scoring batches are prepared once, so a subnet's fitness is deterministic.
/// The test set is never used for fitness: <see cref="Report"/> scores it for the winners only.
/// </summary>
public sealed class SupernetFitness : ISubnetEvaluator, IDisposable
{
    private const string FitnessSet = "fitness", HeldOutSet = "heldout", TestSet = "test";
    private readonly SubnetEvaluator _evaluator;
    private readonly RunData _data;
    private readonly Stopwatch _clock = new();
    private readonly int _evalBatchSize;
    private bool _reportSetsAdded;

    public SupernetFitness(ElasticSupernet net, RunData data, FitnessOptions? options = null, int seed = 0)
    {
        Options = options ?? new FitnessOptions();
        Options.Validate();
        _data = data;
        _evalBatchSize = Options.EvalBatchSize;
        _evaluator = new SubnetEvaluator(net, data.Train, data.Normalization, Options.CalibrationBatches, Options.CalibrationBatchSize, seed);
        var subset = Options.ImagesPerClass == 0 ? data.HeldOut : FirstPerClass(data.HeldOut, Options.ImagesPerClass);
        FitnessImages = subset.Count;
        _evaluator.AddEvalSet(FitnessSet, subset, data.Normalization, _evalBatchSize);
    }

    /// <summary>Fitness of subnets of a trained run's supernet (its EMA weights, as opened), with the run's seed.</summary>
    public SupernetFitness(TrainedRun run, FitnessOptions? options = null) : this(run.Supernet, run.Data, options, run.Options.Seed) { }

    public FitnessOptions Options { get; }

    /// <summary>Held-out images each subnet is scored on.</summary>
    public int FitnessImages { get; }

    public int CalibrationImages => _evaluator.CalibrationImages;

    /// <summary>Subnets scored so far (fitness only, not <see cref="Report"/>), and the time spent on them.</summary>
    public int Evaluations { get; private set; }

    public TimeSpan Elapsed => _clock.Elapsed;
    public double EvaluationsPerMinute => Evaluations == 0 ? 0 : Evaluations / Elapsed.TotalMinutes;

    /// <summary>Held-out top-1 of each subnet (in [0, 1]) after recalibrating its BN statistics.</summary>
    public double[] Evaluate(IReadOnlyList<Subnet> subnets)
    {
        var scores = new double[subnets.Count];
        _clock.Start();
        try
        {
            for (var i = 0; i < scores.Length; i++)
            {
                _evaluator.Recalibrate(subnets[i]);
                scores[i] = _evaluator.Accuracy(FitnessSet);
                Evaluations++;
            }
        }
        finally { _clock.Stop(); }
        return scores;
    }

    /// <summary>For reporting a winner: top-1 on the whole held-out split and on the test set, after the same recalibration.</summary>
    public (double HeldOut, double Test) Report(Subnet subnet)
    {
        if (!_reportSetsAdded)
        {
            _evaluator.AddEvalSet(HeldOutSet, _data.HeldOut, _data.Normalization, _evalBatchSize);
            _evaluator.AddEvalSet(TestSet, _data.Test, _data.Normalization, _evalBatchSize);
            _reportSetsAdded = true;
        }
        _evaluator.Recalibrate(subnet);
        return (_evaluator.Accuracy(HeldOutSet), _evaluator.Accuracy(TestSet));
    }

    /// <summary>The first <paramref name="perClass"/> images of every class (all of a smaller class), in the split's order.</summary>
    public static LabeledImages FirstPerClass(LabeledImages images, int perClass)
    {
        var taken = new int[images.ClassCount];
        var indices = new List<int>();
        for (var i = 0; i < images.Count; i++)
            if (taken[images.Labels[i]]++ < perClass) indices.Add(i);
        return images.Subset(indices.ToArray());
    }

    public void Dispose() => _evaluator.Dispose();
}
