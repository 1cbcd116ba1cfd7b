using System.Diagnostics;
using System.Runtime.ExceptionServices;
using ElasticVit.Data;
using ElasticVit.Export;
using ElasticVit.Search;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using TorchSharp;

namespace ElasticVit.Training;

/// <summary>How <see cref="SupernetFitness"/> scores a subnet.</summary>
public sealed record FitnessOptions
{
    /// <summary>Held-out images per class scored (the official search: 100); 0 scores the whole held-out split.</summary>
    public int ImagesPerClass { get; init; } = 100;

    /// <summary>Training batches the BN statistics are re-estimated on, the same ones for every subnet.</summary>
    public int CalibrationBatches { get; init; } = 4;

    public int CalibrationBatchSize { get; init; } = 64;

    /// <summary>
    /// Images per forward pass when scoring (eval mode, so the batch size does not change the result). With two workers
    /// sharing the caches 50 measured 4–8 % faster than 100 in two back-to-back runs and 4 % slower in a third (run-to-run
    /// noise here is about ±5 %), far faster than 500; 20 is slower again (bench/results/search.md).
    /// </summary>
    public int EvalBatchSize { get; init; } = 50;

    /// <summary>
    /// What scores each recalibrated subnet: <see cref="FitnessEngine.Auto"/> is ONNX Runtime on CPU (the subnet is extracted
    /// and exported in memory; scoring runs about 2× faster than TorchSharp's eval forward, bench/results/search.md) and the
    /// supernet itself on a GPU. Both give the same top-1 up to float rounding. BN recalibration is TorchSharp's either way
    /// (measured faster than a training-mode graph in ONNX Runtime, whose export and session cost more than they save).
    /// </summary>
    public FitnessEngine Engine { get; init; } = FitnessEngine.Auto;

    /// <summary>
    /// Subnets evaluated at once, each on its own copy of the supernet. Meant for single-threaded torch ops
    /// (<c>torch.set_num_threads(1)</c>) with one worker per core: small CPU ops scale far better this way than with
    /// intra-op threads.
    /// </summary>
    public int Workers { get; init; } = 1;

    internal void Validate()
    {
        if (ImagesPerClass < 0) throw new SearchException($"fitness images per class must be ≥ 0 (0: the whole held-out split), got {ImagesPerClass}");
        if (CalibrationBatches < 1 || CalibrationBatchSize < 2 || EvalBatchSize < 1 || Workers < 1)
            throw new SearchException($"fitness needs ≥ 1 calibration batch of ≥ 2 images, an eval batch ≥ 1 and ≥ 1 worker (got {CalibrationBatches}×{CalibrationBatchSize}, {EvalBatchSize}, {Workers})");
    }
}

/// <summary>How a fitness evaluation scores the recalibrated subnet on the held-out images.</summary>
public enum FitnessEngine
{
    /// <summary>ONNX Runtime when the supernet is on the CPU, TorchSharp otherwise.</summary>
    Auto,

    /// <summary>The supernet's own eval forward (TorchSharp).</summary>
    Torch,

    /// <summary>The extracted static subnet exported to ONNX in memory and scored by ONNX Runtime, one thread per worker.</summary>
    OnnxRuntime,
}

/// <summary>
/// Search fitness from a trained supernet (METHOD.md §8): top-1 after BN recalibration on a fixed, class-balanced subset of
/// the held-out split. Calibration and scoring batches are prepared once, so a subnet's fitness is deterministic; with
/// several <see cref="FitnessOptions.Workers"/> the subnets of a batch are spread over identical supernet copies.
/// The test set is never used for fitness: <see cref="Report"/> scores it for the winners only.
/// </summary>
public sealed class SupernetFitness : ISubnetEvaluator, IDisposable
{
    private const string FitnessSet = "fitness", HeldOutSet = "heldout", TestSet = "test";
    private readonly SubnetEvaluator[] _workers;
    private readonly List<ElasticSupernet> _replicas = [];
    private readonly RunData _data;
    private readonly LabeledImages _fitnessImages;
    private readonly ExportInfo _exportInfo;
    private readonly Stopwatch _clock = new();
    private bool _reportSetsAdded;

    public SupernetFitness(ElasticSupernet net, RunData data, FitnessOptions? options = null, int seed = 0)
    {
        Options = options ?? new FitnessOptions();
        Options.Validate();
        _data = data;
        _fitnessImages = Options.ImagesPerClass == 0 ? data.HeldOut : FirstPerClass(data.HeldOut, Options.ImagesPerClass);
        FitnessImages = _fitnessImages.Count;
        UsesOnnxRuntime = Options.Engine == FitnessEngine.OnnxRuntime || (Options.Engine == FitnessEngine.Auto && net.stem.conv.Weight.device.type == DeviceType.CPU);
        _exportInfo = new ExportInfo(data.Train.ClassNames, data.Normalization.Mean, data.Normalization.Std);
        _workers = new SubnetEvaluator[Options.Workers];
        for (var w = 0; w < _workers.Length; w++)
        {
            var model = w == 0 ? net : Replica(net);
            _workers[w] = new SubnetEvaluator(model, data.Train, data.Normalization, Options.CalibrationBatches, Options.CalibrationBatchSize, seed);
            if (!UsesOnnxRuntime) _workers[w].AddEvalSet(FitnessSet, _fitnessImages, data.Normalization, Options.EvalBatchSize);
        }
    }

    /// <summary>Whether fitness is scored by ONNX Runtime (see <see cref="FitnessOptions.Engine"/>).</summary>
    public bool UsesOnnxRuntime { get; }

    /// <summary>Fitness of subnets of a trained run's supernet (its EMA weights, as opened), with the run's seed.</summary>
    public SupernetFitness(TrainedRun run, FitnessOptions? options = null) : this(run.Supernet, run.Data, options, run.Options.Seed) { }

    public FitnessOptions Options { get; }

    /// <summary>Held-out images each subnet is scored on.</summary>
    public int FitnessImages { get; }

    public int CalibrationImages => _workers[0].CalibrationImages;

    /// <summary>Subnets scored so far (fitness only, not <see cref="Report"/>), and the wall time spent on them.</summary>
    public int Evaluations { get; private set; }

    public TimeSpan Elapsed => _clock.Elapsed;
    public double EvaluationsPerMinute => Evaluations == 0 ? 0 : Evaluations / Elapsed.TotalMinutes;

    /// <summary>Held-out top-1 of each subnet (in [0, 1]) after recalibrating its BN statistics.</summary>
    public double[] Evaluate(IReadOnlyList<Subnet> subnets)
    {
        var scores = new double[subnets.Count];
        var next = -1;
        _clock.Start();
        try
        {
            Parallel(Math.Min(_workers.Length, scores.Length), w =>
            {
                for (int i; (i = Interlocked.Increment(ref next)) < scores.Length;)
                {
                    _workers[w].Recalibrate(subnets[i]);
                    scores[i] = UsesOnnxRuntime ? OnnxRuntimeTop1(_workers[w].Supernet, subnets[i]) : _workers[w].Accuracy(FitnessSet);
                }
            });
        }
        finally { _clock.Stop(); }
        Evaluations += scores.Length;
        return scores;
    }

    /// <summary>
    /// For reporting a winner: top-1 on the whole held-out split and on the test set, after the same recalibration; the
    /// batches are shared out between the workers.
    /// </summary>
    public (double HeldOut, double Test) Report(Subnet subnet)
    {
        if (!_reportSetsAdded)
        {
            foreach (var w in _workers)
            {
                w.AddEvalSet(HeldOutSet, _data.HeldOut, _data.Normalization, Options.EvalBatchSize);
                w.AddEvalSet(TestSet, _data.Test, _data.Normalization, Options.EvalBatchSize);
            }
            _reportSetsAdded = true;
        }
        var counts = new (long Correct, long Total)[_workers.Length, 2];
        Parallel(_workers.Length, w =>
        {
            _workers[w].Recalibrate(subnet);
            counts[w, 0] = _workers[w].Count(HeldOutSet, w, _workers.Length);
            counts[w, 1] = _workers[w].Count(TestSet, w, _workers.Length);
        });
        double Top1(int set) => Enumerable.Range(0, _workers.Length).Sum(w => counts[w, set].Correct) / (double)Enumerable.Range(0, _workers.Length).Sum(w => counts[w, set].Total);
        return (Top1(0), Top1(1));
    }

    /// <summary>Top-1 on the fitness images of the active, recalibrated subnet of <paramref name="net"/>, extracted and scored in ONNX Runtime (one thread).</summary>
    private double OnnxRuntimeTop1(ElasticSupernet net, Subnet subnet)
    {
        byte[] onnx;
        using (var model = StaticModel.Extract(net, subnet))
        {
            model.eval();
            onnx = OnnxExporter.Export(model, _exportInfo);
        }
        using var session = OnnxClassifier.Load(onnx, threads: 1, source: subnet.Key);
        return OnnxAccuracy.Measure(session, _fitnessImages, Options.EvalBatchSize);
    }

    /// <summary>Runs <paramref name="work"/>(0 … n − 1) on n threads (inline when n is 1), rethrowing the first failure.</summary>
    private static void Parallel(int n, Action<int> work)
    {
        if (n == 1)
        {
            work(0);
            return;
        }
        var tasks = Enumerable.Range(0, n).Select(i => Task.Factory.StartNew(() => work(i), TaskCreationOptions.LongRunning)).ToArray();
        try { Task.WaitAll(tasks); }
        catch (AggregateException e) { ExceptionDispatchInfo.Throw(e.Flatten().InnerExceptions[0]); }
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

    /// <summary>An identical copy of the supernet (weights and BN buffers) on the same device, for another worker.</summary>
    private ElasticSupernet Replica(ElasticSupernet net)
    {
        var copy = new ElasticSupernet(net.Space);
        copy.to(net.stem.conv.Weight.device);
        copy.load_state_dict(net.state_dict());
        copy.eval();
        _replicas.Add(copy);
        return copy;
    }

    public void Dispose()
    {
        foreach (var w in _workers) w.Dispose();
        foreach (var r in _replicas) r.Dispose();
    }
}
