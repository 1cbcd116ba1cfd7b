using ElasticVit.Data;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Training;

/// <summary>
/// Evaluates subnets of a supernet: BN recalibration (reset the statistics, then re-estimate them as a cumulative average over
/// a fixed set of calibration batches with the subnet active), then top-1 accuracy. Calibration and evaluation batches are
/// prepared once and reused, so every subnet sees exactly the same images.
/// </summary>
public sealed class SubnetEvaluator : IDisposable
{
    private readonly ElasticSupernet _net;
    private readonly List<(Tensor X, Tensor Y)> _calibration = new();
    private readonly Dictionary<string, List<(Tensor X, Tensor Y)>> _evalSets = new();
    private readonly Device _device;

    public SubnetEvaluator(ElasticSupernet net, LabeledImages calibrationImages, Normalization normalization, int calibrationBatches, int batchSize = 64, int seed = 0)
    {
        _net = net;
        _device = net.stem.conv.Weight.device;
        var loader = new BatchLoader(calibrationImages, normalization, LoaderOptions.Calibration(batchSize, seed));
        foreach (var batch in loader.HostBatches(0).Take(calibrationBatches)) _calibration.Add(Keep(batch));
        if (_calibration.Count == 0) throw new ArgumentException("no calibration batches: the calibration set is smaller than one batch");
    }

    /// <summary>The supernet evaluated (its active subnet is the last one recalibrated).</summary>
    public ElasticSupernet Supernet => _net;

    public int CalibrationImages => _calibration.Sum(b => (int)b.X.shape[0]);

    /// <summary>Registers an evaluation set (e.g. "heldout", "test"), prepared once.</summary>
    public void AddEvalSet(string name, LabeledImages images, Normalization normalization, int batchSize = 250)
    {
        var loader = new BatchLoader(images, normalization, LoaderOptions.Evaluation(batchSize));
        _evalSets[name] = loader.HostBatches(0).Select(Keep).ToList();
    }

    private (Tensor, Tensor) Keep(HostBatch batch)
    {
        var (x, y) = batch.ToTensors();
        return (x.to(_device).DetachFromDisposeScope(), y.to(_device).DetachFromDisposeScope());
    }

    /// <summary>Activates <paramref name="subnet"/> and re-estimates its BN statistics.</summary>
    public void Recalibrate(Subnet subnet)
    {
        _net.SetActive(subnet);
        var norms = _net.BatchNorms().ToArray();
        foreach (var bn in norms) bn.ResetRunningStats(bn.RunningMean.shape[0]);
        var wasTraining = _net.training;
        _net.train();
        using (no_grad())
        {
            for (var i = 0; i < _calibration.Count; i++)
            {
                foreach (var bn in norms) bn.Momentum = 1.0 / (i + 1);   // cumulative average of the batch statistics
                using var scope = NewDisposeScope();
                _net.forward(_calibration[i].X);
            }
        }
        foreach (var bn in norms) bn.Momentum = 0.1;
        _net.train(wasTraining);
    }

    /// <summary>Top-1 accuracy of the active subnet on a registered set (eval mode, no grad).</summary>
    public double Accuracy(string set)
    {
        var (correct, total) = Count(set);
        return (double)correct / total;
    }

    /// <summary>
    /// Correct top-1 predictions of the active subnet and images scored, over the batches <c>part</c>, <c>part + parts</c>,
    /// … of a registered set: several evaluators holding the same subnet can share a large set this way.
    /// </summary>
    public (long Correct, long Total) Count(string set, int part = 0, int parts = 1)
    {
        if (!_evalSets.TryGetValue(set, out var batches)) throw new ArgumentException($"unknown evaluation set '{set}'");
        var wasTraining = _net.training;
        _net.eval();
        long correct = 0, total = 0;
        using (no_grad())
            for (var i = part; i < batches.Count; i += parts)
            {
                var (x, y) = batches[i];
                using var scope = NewDisposeScope();
                correct += _net.forward(x).argmax(1).eq(y).sum().item<long>();
                total += y.shape[0];
            }
        _net.train(wasTraining);
        return (correct, total);
    }

    /// <summary>Recalibrates and measures every requested set.</summary>
    public Dictionary<string, double> Evaluate(Subnet subnet, params string[] sets)
    {
        Recalibrate(subnet);
        return sets.ToDictionary(s => s, Accuracy);
    }

    public void Dispose()
    {
        foreach (var (x, y) in _calibration.Concat(_evalSets.Values.SelectMany(v => v)))
        {
            x.Dispose();
            y.Dispose();
        }
    }
}
