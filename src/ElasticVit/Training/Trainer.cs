using System.Diagnostics;
using System.Text.Json.Nodes;
using ElasticVit.Data;
using ElasticVit.Distributed;
using ElasticVit.Sampling;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Training;

/// <summary>What the trainer reports after each step (for progress bars).</summary>
public readonly record struct TrainProgress(long Step, long TotalSteps, int Epoch, double Loss, double LevelFlopsM, double ImagesPerSecond, TimeSpan Elapsed);

/// <summary>
/// Conflict-aware supernet training (METHOD.md §4): per step the sampler's subnets are trained in turn with gradient
/// accumulation — level/max subnets on label-smoothed cross-entropy (or a teacher's soft targets), min subnets by in-place
/// adaptive α-divergence distillation towards them — then adaptive gradient clipping, one AdamW step and an EMA update.
/// Checkpoints are atomic and hold everything needed for an exact resume.
/// Data parallelism at two levels, both averaging gradients over the whole batch: the ranks of a job
/// (<see cref="ICommunicator"/>, e.g. Open MPI) each take a contiguous part of the batch, cut it into
/// <see cref="TrainOptions.Accumulate"/> micro-batches in turn, and those into shards trained by threads
/// (<see cref="ShardedSupernet"/>). Every rank samples the same subnets and applies the same update; rank 0 alone writes
/// the run directory.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly TrainOptions _o;
    private readonly RunDirectory _run;
    private readonly SearchSpace _space;
    private readonly RunData _data;
    private readonly ElasticSupernet _net;
    private readonly ElasticSupernet _ema;
    private readonly Ema _emaUpdater;
    private readonly AdamW _optimizer;
    private readonly ITrainingSampler _sampler;
    private readonly SeededRandom _probeRng;
    private readonly BatchLoader _loader;
    private readonly BatchLoader _plainLoader;
    private readonly TimeBudget? _budget;
    private bool _samplerStarted;   // the max-first phase is over for good, even if a re-planned step count moves its end
    private readonly Device _device;
    private readonly StaticModel? _teacher;
    private readonly ShardedSupernet _shards;
    // Without augmentation the training batch is the un-augmented batch PAS scores on, so the scoring forward of an explored
    // subnet is also its training forward: kept here per shard (logits and their graph) until the subnet trains.
    private readonly Dictionary<string, Tensor>[] _scoringForwards;
    private readonly ICommunicator _comm;
    private long _step;
    private readonly List<JsonObject> _nonFiniteScores = [];   // this step's, for its metrics record
    private int _skippedInARow;   // steps skipped for a non-finite loss or gradient, since the last applied one
    private const int MaxSkippedInARow = 5;

    /// <summary>The run's steps; with a time budget re-planned from the run's pace until the plan freezes (<see cref="TimeBudget"/>).</summary>
    public long TotalSteps { get; private set; }

    /// <summary>The time budget of a run trained with <see cref="TrainOptions.Minutes"/>, else null.</summary>
    public TimeBudget? Budget => _budget;
    public int BatchesPerEpoch { get; }

    /// <param name="comm">The job's processes (default: this one alone); every rank constructs the trainer with the same options.</param>
    public Trainer(TrainOptions options, RunDirectory run, bool resume, ICommunicator? comm = null)
    {
        _o = options;
        _run = run;
        _comm = comm ?? SingleProcess.Instance;
        torch.set_num_threads(options.Threads);
        _device = RunDirectory.ParseDevice(options.Device);
        _space = SpaceLoader.Load(options.Space);
        _data = RunData.Load(options.Dataset, options.DataDir, options.HeldOutPerClass, options.Seed, options.TrainLimit);
        if (_space.DataMismatch(_data.Train.Channels, _data.Train.ClassCount) is string mismatch) throw new TrainingException(mismatch);
        if (_data.Train.Count < options.BatchSize)
            throw new TrainingException($"training set ({_data.Train.Count} images) is smaller than one batch of {options.BatchSize}");
        _loader = new BatchLoader(_data.Train, _data.Normalization, LoaderOptions.Training(options.BatchSize, options.Seed, options.Augment ? _data.Augmentation : Augmentation.None));
        _plainLoader = new BatchLoader(_data.Train, _data.Normalization, LoaderOptions.Training(options.BatchSize, options.Seed, Augmentation.None));
        BatchesPerEpoch = _loader.BatchesPerEpoch;
        TotalSteps = options.Steps ?? (long)Math.Ceiling((options.Epochs ?? 1) * BatchesPerEpoch);
        if (TotalSteps < 1) throw new TrainingException("the run has no steps: give --epochs > 0 or --steps ≥ 1");
        if (options.Minutes is { } minutes && options.Steps is null) _budget = new TimeBudget(minutes * 60, TotalSteps);

        random.manual_seed(options.Seed);
        _net = new ElasticSupernet(_space);
        _ema = new ElasticSupernet(_space);
        if (options.ZeroInitResiduals) _net.ZeroInitResidualBranches();
        _net.to(_device);
        _ema.to(_device);
        _emaUpdater = new Ema(_ema, _net, options.EmaDecay ?? Ema.ForRun(TotalSteps));
        _emaUpdater.CopyFromSource();
        var shards = options.EffectiveShards;
        var parts = (long)_comm.Size * options.Accumulate * shards;
        if (options.BatchSize / parts < 2)
            throw new TrainingException($"a batch of {options.BatchSize} cut into {_comm.Size} rank(s) × {options.Accumulate} micro-batch(es) × {shards} shard(s) leaves fewer than 2 images per shard for BatchNorm; use a larger --batch-size or fewer parts");
        _shards = new ShardedSupernet(_net, shards, Math.Max(1, options.Threads / shards));
        _scoringForwards = Enumerable.Range(0, shards).Select(_ => new Dictionary<string, Tensor>(StringComparer.Ordinal)).ToArray();
        _optimizer = new AdamW(ParameterGroups(_net))
        {
            WeightDecay = options.WeightDecay,
        };
        _sampler = TrainingSamplers.Create(options.Sampler, _space, new SeededRandom(options.Seed), options.SamplerOptions());
        _probeRng = new SeededRandom(options.Seed + 7919L);

        if (options.Teacher is not null)
        {
            var (teacher, info) = Export.SubnetCheckpoint.Load(options.Teacher);
            if (info.ClassNames.Count != _space.Classes)
                throw new TrainingException($"teacher {options.Teacher} predicts {info.ClassNames.Count} classes; the space has {_space.Classes}");
            _teacher = teacher;
            _teacher.to(_device);
            _teacher.eval();
        }
        if (resume) LoadCheckpoint();
        else
        {
            if (_comm.IsRoot) run.Initialise(options);
            if (_comm.Size > 1) ShareInitialWeights();
        }
    }

    /// <summary>
    /// No weight decay on the stem, MBConv layers (incl. reductions), relative-position tables, biases and 1-D parameters
    /// (METHOD.md §4), for the supernet and for a subnet trained alone as a static model alike.
    /// </summary>
    public static IEnumerable<(string Name, TorchSharp.Modules.Parameter Param, bool Decay)> ParameterGroups(nn.Module net)
    {
        var noDecay = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, module) in net.named_modules())
            if (module is ElasticStem or ElasticStage0Layer or ElasticMbConvLayer or StemLayer or Stage0Layer or MbConvLayer)
                foreach (var (local, _) in module.named_parameters()) noDecay.Add($"{name}.{local}");
        foreach (var (name, p) in net.named_parameters())
            yield return (name, p, p.dim() > 1 && !noDecay.Contains(name) && !name.EndsWith("rel_pos", StringComparison.Ordinal));
    }

    public ElasticSupernet EmaNet => _ema;
    public ElasticSupernet Net => _net;
    public RunData Data => _data;
    public SearchSpace Space => _space;
    public long Step => _step;

    /// <summary>Trains until the end of the run or until <paramref name="stopAfterStep"/> (for tests); checkpoints on the way.</summary>
    public void Run(Action<TrainProgress>? progress = null, long? stopAfterStep = null, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        var startStep = _step;
        using var metrics = _comm.IsRoot ? _run.OpenMetrics(_step) : null;
        void Checkpoint()
        {
            metrics!.Flush();   // the metrics file never runs behind the checkpoint a resume starts from
            SaveCheckpoint();
        }
        var stop = false;
        while (_step < TotalSteps && (stopAfterStep is null || _step < stopAfterStep))
        {
            var epoch = (int)(_step / BatchesPerEpoch);
            foreach (var batch in _loader.HostBatches(epoch, (int)(_step % BatchesPerEpoch)))
            {
                if (_step >= TotalSteps || (stopAfterStep is not null && _step >= stopAfterStep)) break;
                if (stop || (_comm.Size == 1 && cancel.IsCancellationRequested))
                {
                    // Interrupted (Ctrl-C): keep every finished step, not only those up to the last periodic checkpoint.
                    if (_comm.IsRoot && _step > startStep && _step % _o.CheckpointEvery != 0) Checkpoint();
                    throw new OperationCanceledException(cancel);
                }
                var stepClock = Stopwatch.StartNew();
                var totalEpochs = (int)((TotalSteps + BatchesPerEpoch - 1) / BatchesPerEpoch);
                var record = TrainStep(batch, new TrainingProgress(epoch, batch.Index, BatchesPerEpoch, totalEpochs));
                _step++;
                var seconds = stepClock.Elapsed.TotalSeconds;
                if (_comm.Size > 1)
                {
                    // Ranks agree on the step's time (the time budget re-plans from it) and on stopping.
                    Span<double> shared = [seconds, cancel.IsCancellationRequested ? 1 : 0];
                    _comm.AllReduceMax(shared);
                    (seconds, stop) = (shared[0], shared[1] > 0);
                }
                if (_budget is not null) Replan(_budget.AfterStep(_step, seconds));
                record["images_per_s"] = Math.Round(batch.Size / seconds, 1);
                record["step_seconds"] = Math.Round(seconds, 4);
                metrics?.Write(record);
                progress?.Invoke(new TrainProgress(_step, TotalSteps, epoch, (double?)record["loss_total"] ?? double.NaN, (double?)record["level_flops_m"] ?? double.NaN,
                    (_step - startStep) * (double)_o.BatchSize / clock.Elapsed.TotalSeconds, clock.Elapsed));
                if (_comm.IsRoot && (_step % _o.CheckpointEvery == 0 || _step == TotalSteps)) Checkpoint();
            }
        }
        if (_step == TotalSteps && _comm.IsRoot) _run.WriteSummary(_step, clock.Elapsed, _budget);
    }

    /// <summary>Adopts a re-planned step count: the schedule follows it, and so does the EMA's window unless one was given.</summary>
    private void Replan(long totalSteps)
    {
        TotalSteps = totalSteps;
        if (_o.EmaDecay is null) _emaUpdater.Decay = Ema.ForRun(TotalSteps);
    }

    private JsonObject TrainStep(HostBatch batch, TrainingProgress progress)
    {
        using var scope = NewDisposeScope();
        var phases = new StepPhases();
        var (x, y) = batch.ToTensors();
        (x, y) = (x.to(_device), y.to(_device));
        phases.Lap("batch");
        Tensor? plainX = null;
        SamplerStep plan;
        if (!_samplerStarted && _step < _o.MaxFirstFraction * TotalSteps) plan = new SamplerStep([new SampledSubnet(_space.MaxSubnet, SubnetRole.Level)]);
        else
        {
            _samplerStarted = true;
            // The sampler starts when the max-first phase ends, so its state depends on the steps it has served only.
            var exploring = false;   // rescoring banks happens in OnBatch, scoring explored subnets in NextStep
            _sampler.OnBatch(progress, subnets =>
            {
                if (!_o.Augment) return Score(subnets, x, y, keepForTraining: exploring);
                plainX ??= _plainLoader.PrepareBatch(progress.Epoch, progress.BatchInEpoch).ToTensors().Images.to(_device);
                return Score(subnets, plainX, y, keepForTraining: false);
            });
            exploring = true;
            plan = _sampler.NextStep();
        }
        phases.Lap("sampler");
        var record = new JsonObject
        {
            ["step"] = _step, ["epoch"] = progress.Epoch, ["batch"] = progress.BatchInEpoch,
            ["level_index"] = plan.LevelIndex, ["level_flops_m"] = double.IsNaN(plan.LevelFlopsM) ? null : plan.LevelFlopsM,
        };
        // A probe compares the step's subnets: none to compare while the max subnet trains alone.
        // The probe is a diagnostic of the metrics file: rank 0 takes it on its part of the batch.
        if (_comm.IsRoot && _o.ProbeEvery > 0 && _step % _o.ProbeEvery == 0 && plan.Subnets.Count > 1)
        {
            var (start, length) = RankPart(x.shape[0]);
            record["grad_cosine"] = Probe(plan, x.narrow(0, start, length), y.narrow(0, start, length));
        }
        phases.Lap("probe");

        var lr = new CosineSchedule(_o.PeakLr, TotalSteps, (long)Math.Round(_o.WarmupFraction * TotalSteps)).At(_step);
        _optimizer.ZeroGrad();
        // Each subnet's loss on the whole batch: the shards' losses weighted by their share of it, summed over the ranks.
        var losses = new double[plan.Subnets.Count];
        var microBatches = MicroBatches(x.shape[0]);
        var shareGradients = microBatches.Count > 1 || _comm.Size > 1;
        Tensor? flatGradients = null;
        foreach (var (microStart, microLength) in microBatches)
        {
            _shards.ZeroGrad();
            var split = ShardedSupernet.Split(microLength, _shards.Count);
            var shardLosses = new double[_shards.Count][];
            var shardPhases = new StepPhases[_shards.Count];
            _shards.Run(s =>
            {
                using var shardScope = NewDisposeScope();
                shardPhases[s] = new StepPhases();
                var (start, length) = split[s];
                shardLosses[s] = TrainShard(s, plan, x.narrow(0, microStart + start, length), y.narrow(0, microStart + start, length), shardPhases[s]);
            });
            phases.Lap("shards");
            phases.Absorb("shards", shardPhases[0]);   // what is left of "shards" is the wait for the other shards
            var weights = split.Select(part => part.Length / (double)x.shape[0]).ToArray();
            _shards.ReduceGradients(weights);
            for (var i = 0; i < losses.Length; i++)
                for (var sh = 0; sh < _shards.Count; sh++) losses[i] += weights[sh] * shardLosses[sh][i];
            if (shareGradients) flatGradients = _shards.AddGradientsTo(flatGradients);
            phases.Lap("reduce");
        }
        if (shareGradients)
        {
            // One fused allreduce of all gradients per step (Horovod's tensor fusion); the micro-batches' sum is already in it.
            // MPI reads host memory: a GPU's buffer travels through a CPU copy.
            var host = flatGradients!.device_type == DeviceType.CPU ? flatGradients : flatGradients.cpu();
            _comm.AllReduceSum(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(host.bytes));
            _shards.LoadGradients(host.to(_device));
            _comm.AllReduceSum(losses);
            phases.Lap("allreduce");
        }
        // Clipping, the optimizer and the EMA act on each parameter alone: every shard's thread takes its share of them.
        // A step whose loss or gradient is not finite is skipped: one bad batch must not spoil the weights for good.
        var gradientsFinite = new bool[_shards.Count];
        _shards.Run(s =>
        {
            using var shardScope = NewDisposeScope();
            gradientsFinite[s] = AdaptiveGradientClipping.Apply(_shards.Parameters.Where((_, i) => i % _shards.Count == s), _o.ClipFactor);
        });
        phases.Lap("clip");
        var lossesFinite = losses.All(double.IsFinite);
        if (lossesFinite && gradientsFinite.All(f => f))
        {
            _skippedInARow = 0;
            _shards.Run(s =>
            {
                using var shardScope = NewDisposeScope();
                _optimizer.Step(lr, s, _shards.Count);
            });
            phases.Lap("optimizer");
            // Only once every part is updated: the EMA's parts do not split the parameters as the optimizer's do.
            _shards.Run(s =>
            {
                using var shardScope = NewDisposeScope();
                _emaUpdater.Update(s, _shards.Count);
            });
            phases.Lap("ema");
        }
        else
        {
            record["skipped"] = lossesFinite ? "non-finite gradient" : "non-finite loss";
            record["non_finite_gradients"] = NonFiniteGradients();
            _optimizer.ZeroGrad();
            if (++_skippedInARow >= MaxSkippedInARow)
                throw new TrainingException($"training diverged: {MaxSkippedInARow} steps in a row up to step {_step} had a non-finite loss or gradient; "
                    + $"the last checkpoint in {_run.Path} is intact: resume from it, or start again with a lower --lr");
        }

        var lossValues = new JsonArray();
        var byRole = new Dictionary<string, List<double>>();
        double total = 0;
        for (var i = 0; i < plan.Subnets.Count; i++)
        {
            var value = losses[i];
            total += value;
            lossValues.Add(Rounded(value));
            var role = RoleName(plan.Subnets[i].Role);
            if (!byRole.TryGetValue(role, out var list)) byRole[role] = list = [];
            list.Add(value);
        }
        record["lr"] = lr;
        record["loss"] = new JsonObject(byRole.Select(kv => KeyValuePair.Create(kv.Key, Rounded(kv.Value.Average()))));
        record["loss_total"] = Rounded(total);
        record["subnet_losses"] = lossValues;
        record["subnet_roles"] = new JsonArray(plan.Subnets.Select(s => (JsonNode?)RoleName(s.Role)).ToArray());
        record["subnet_keys"] = new JsonArray(plan.Subnets.Select(s => (JsonNode?)s.Subnet.Key).ToArray());
        record["subnet_flops_m"] = new JsonArray(plan.Subnets.Select(s => (JsonNode?)Math.Round(Complexity.FlopsM(_space, s.Subnet), 3)).ToArray());
        record["from_bank"] = plan.Subnets.Count(s => s.FromBank);
        record["phase_ms"] = phases.ToJson();
        if (_nonFiniteScores.Count > 0) record["non_finite_scores"] = new JsonArray([.. _nonFiniteScores]);
        _nonFiniteScores.Clear();
        return record;
    }

    /// <summary>
    /// Forward and backward of every subnet of the step on one shard of the batch, in the plan's order, gradients
    /// accumulating in the shard's replica: subnets learn from the labels (or the teacher), except that with in-place
    /// distillation on, min subnets learn from the mean prediction of the step's teachers on the same images. A forward
    /// kept from PAS scoring is used instead of a new one. Returns each subnet's loss.
    /// </summary>
    private double[] TrainShard(int shard, SamplerStep plan, Tensor x, Tensor y, StepPhases phases)
    {
        var net = _shards[shard];
        var hasMax = plan.Subnets.Any(s => s.Role == SubnetRole.Max);
        var teacherProbs = new List<Tensor>();
        var losses = new double[plan.Subnets.Count];
        net.train();
        for (var i = 0; i < plan.Subnets.Count; i++)
        {
            var sampled = plan.Subnets[i];
            net.SetActive(sampled.Subnet);
            _scoringForwards[shard].Remove(sampled.Subnet.Key, out var scored);
            var logits = scored ?? net.forward(x);
            phases.Lap("forward");
            var isTeacher = hasMax ? sampled.Role == SubnetRole.Max : sampled.Role == SubnetRole.Level;
            var distills = _o.InplaceDistillation && (sampled.Role == SubnetRole.LevelMin || (hasMax && sampled.Role is SubnetRole.Min or SubnetRole.Random));
            Tensor loss;
            if (distills && teacherProbs.Count > 0)
                loss = Losses.AdaptiveAlphaDivergence(logits, stack(teacherProbs).mean([0]));
            else if (_teacher is not null)
                loss = Losses.SoftCrossEntropy(logits, TeacherProbs(x));
            else
                loss = Losses.LabelSmoothedCrossEntropy(logits, y);
            phases.Lap("loss");
            loss.backward();
            phases.Lap("backward");
            if (isTeacher && _o.InplaceDistillation) teacherProbs.Add(logits.detach().softmax(-1));
            losses[i] = loss.item<float>();
            scored?.Dispose();
        }
        DropScoringForwards(shard);
        return losses;
    }

    /// <summary>Frees scoring forwards kept for subnets the step did not train.</summary>
    private void DropScoringForwards(int shard)
    {
        foreach (var logits in _scoringForwards[shard].Values) logits.Dispose();
        _scoringForwards[shard].Clear();
    }

    /// <summary>The teacher's soft targets for the (normalised) batch; a standalone model trained on the same data and normalisation.</summary>
    private Tensor TeacherProbs(Tensor x)
    {
        using var _ = no_grad();
        return _teacher!.forward(x).softmax(-1);
    }

    public static string RoleName(SubnetRole role) => role switch
    {
        SubnetRole.Max => "max", SubnetRole.Min => "min", SubnetRole.Random => "random", SubnetRole.Level => "level", SubnetRole.LevelMin => "level_min",
        _ => role.ToString(),
    };

    /// <summary>
    /// −cross-entropy of each subnet on the un-augmented batch, every shard scoring its part; BN uses batch statistics but
    /// its running statistics are left alone. With <paramref name="keepForTraining"/> the forward passes are training
    /// forwards (running statistics updated, graph kept) that <see cref="TrainShard"/> reuses.
    /// </summary>
    private double[] Score(IReadOnlyList<Subnet> subnets, Tensor x, Tensor y, bool keepForTraining)
    {
        var microBatches = MicroBatches(x.shape[0]);
        keepForTraining &= microBatches.Count == 1;   // a kept forward is per shard and subnet: one micro-batch only
        var total = new double[subnets.Count];
        foreach (var (microStart, microLength) in microBatches)
        {
            var split = ShardedSupernet.Split(microLength, _shards.Count);
            var sums = new double[_shards.Count, subnets.Count];
            _shards.Run(s =>
            {
                var net = _shards[s];
                var norms = net.BatchNorms().ToArray();
                if (!keepForTraining) foreach (var bn in norms) bn.Momentum = 0;
                net.train();
                var (start, length) = split[s];
                using (keepForTraining ? null : no_grad())
                    for (var i = 0; i < subnets.Count; i++)
                    {
                        using var scope = NewDisposeScope();
                        net.SetActive(subnets[i]);
                        var logits = net.forward(x.narrow(0, microStart + start, length));
                        using (no_grad()) sums[s, i] = nn.functional.cross_entropy(logits, y.narrow(0, microStart + start, length), reduction: nn.Reduction.Sum).item<float>();
                        if (keepForTraining) _scoringForwards[s][subnets[i].Key] = logits.DetachFromDisposeScope();
                    }
                foreach (var bn in norms) bn.Momentum = 0.1;
            });
            for (var i = 0; i < subnets.Count; i++) total[i] += Enumerable.Range(0, _shards.Count).Sum(s => sums[s, i]);
        }
        // Every rank's banks must stay identical: the scores are those of the whole batch.
        _comm.AllReduceSum(total);
        var scores = total.Select(sum => -sum / x.shape[0]).ToArray();
        for (var i = 0; i < scores.Length; i++)
        {
            if (double.IsFinite(scores[i])) continue;
            // Such a subnet ranks last instead of stopping the run; if it trains, its step is skipped (non-finite loss).
            _nonFiniteScores.Add(new JsonObject { ["subnet"] = subnets[i].Key, ["scored_again"] = ScoresFiniteAgain(subnets[i], x, y) ? "finite" : "non-finite" });
            scores[i] = NonFiniteScore;
        }
        return scores;
    }

    /// <summary>The parameters whose gradient holds a non-finite value, with how many of each (NaN, infinite).</summary>
    private JsonArray NonFiniteGradients()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var found = new JsonArray();
        foreach (var (name, p, _) in _optimizer.Parameters)
        {
            if (p.grad is not { } g) continue;
            var (nan, inf) = (g.isnan().sum().item<long>(), g.isinf().sum().item<long>());
            if (nan + inf > 0) found.Add(new JsonObject { ["parameter"] = name, ["nan"] = nan, ["inf"] = inf, ["of"] = g.numel() });
        }
        return found;
    }

    /// <summary>A loss for the metrics file: JSON has no NaN or infinity, so a non-finite one is null.</summary>
    private static JsonNode? Rounded(double loss) => double.IsFinite(loss) ? Math.Round(loss, 5) : null;

    /// <summary>The score of a subnet whose loss is not finite: twice the cross-entropy of a uniform guess.</summary>
    private double NonFiniteScore => -2 * Math.Log(_space.Classes);

    /// <summary>
    /// Whether <paramref name="subnet"/>'s loss on the batch is finite when computed again on the supernet itself, on
    /// this thread: tells a transient fault (finite now) from weights or inputs that give it (non-finite again).
    /// </summary>
    private bool ScoresFiniteAgain(Subnet subnet, Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var norms = _net.BatchNorms().ToArray();
        foreach (var bn in norms) bn.Momentum = 0;
        _net.SetActive(subnet);
        var loss = nn.functional.cross_entropy(_net.forward(x), y).item<float>();
        foreach (var bn in norms) bn.Momentum = 0.1;
        return float.IsFinite(loss);
    }

    /// <summary>This rank's contiguous part of a batch of <paramref name="batch"/> images.</summary>
    private (long Start, long Length) RankPart(long batch) => ShardedSupernet.Split(batch, _comm.Size)[_comm.Rank];

    /// <summary>The micro-batches this rank trains in turn: its part of the batch cut into <see cref="TrainOptions.Accumulate"/>, in batch coordinates.</summary>
    private List<(long Start, long Length)> MicroBatches(long batch)
    {
        var (start, length) = RankPart(batch);
        return ShardedSupernet.Split(length, _o.Accumulate).Select(m => (start + m.Start, m.Length)).ToList();
    }

    /// <summary>Cosine similarity between the gradients of the step's subnets, and between the level's min subnet and a subnet two levels up.</summary>
    private JsonObject Probe(SamplerStep plan, Tensor x, Tensor y)
    {
        var grads = plan.Subnets.Select(s => GradientProbe.Gradient(_net, s.Subnet, x, y)).ToArray();
        var pairs = new JsonArray();
        var cosines = new List<double>();
        for (var i = 0; i < grads.Length; i++)
        for (var j = i + 1; j < grads.Length; j++)
        {
            var c = GradientProbe.Cosine(grads[i], grads[j]);
            cosines.Add(c);
            pairs.Add(Math.Round(c, 5));
        }
        var result = new JsonObject { ["pairs"] = pairs, ["mean"] = Math.Round(cosines.Average(), 5) };
        if (plan.LevelIndex >= 0)
        {
            var up = Math.Min(plan.LevelIndex + 2, _space.Levels.Count - 1);
            if (up > plan.LevelIndex)
            {
                var level = _space.Levels[up];
                var far = new LevelSampler(_space, level.FlopsM, level.MinSubnet).Draw(_probeRng);
                var min = plan.Subnets.Last(s => s.Role == SubnetRole.LevelMin).Subnet;
                result["min_vs_two_levels_up"] = Math.Round(GradientProbe.Cosine(GradientProbe.Gradient(_net, min, x, y), GradientProbe.Gradient(_net, far, x, y)), 5);
            }
        }
        return result;
    }

    /// <summary>Every rank starts from rank 0's weights (Horovod's broadcast of the initial state): seeds need not agree across machines.</summary>
    private void ShareInitialWeights()
    {
        var bytes = _comm.FromRoot(() =>
        {
            using var ms = new MemoryStream();
            using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                TensorArchive.Write(w, _net.state_dict());
                TensorArchive.Write(w, _ema.state_dict());
            }
            return ms.ToArray();
        });
        if (_comm.IsRoot) return;
        using var r = new BinaryReader(new MemoryStream(bytes));
        var (model, ema) = (TensorArchive.Read(r), TensorArchive.Read(r));
        TensorArchive.LoadInto(_net, model, "rank 0's initial weights");
        TensorArchive.LoadInto(_ema, ema, "rank 0's initial weights");
        foreach (var t in model.Values.Concat(ema.Values)) t.Dispose();
    }

    private void SaveCheckpoint()
    {
        var optimizerState = _optimizer.State();
        var header = new JsonObject
        {
            ["format"] = TrainCheckpointHeader.Format,
            ["step"] = _step,
            ["total_steps"] = TotalSteps,
            ["space"] = _space.Name,
            ["sampler_state"] = _sampler.GetState(),
            ["probe_rng"] = _probeRng.State,
            ["sampler_started"] = _samplerStarted,
            ["time_budget"] = _budget is null ? null : new JsonObject { ["elapsed_seconds"] = _budget.ElapsedSeconds, ["frozen"] = _budget.Frozen },
            ["adam_steps"] = new JsonObject(optimizerState.Steps.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["saved_at"] = DateTime.UtcNow.ToString("O"),
        };
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            TensorArchive.Write(w, _net.state_dict());
            TensorArchive.Write(w, _ema.state_dict());
            TensorArchive.Write(w, optimizerState.Tensors);
        }
        CheckpointFile.Write(_run.CheckpointPath, header, ms.ToArray());
    }

    private void LoadCheckpoint()
    {
        var path = _run.CheckpointPath;
        var (header, payload) = CheckpointFile.Parse(_comm.FromRoot(() => CheckpointFile.ReadBytes(path)), path);
        var h = TrainCheckpointHeader.Parse(header, path);
        if (h.Space != _space.Name) throw new CheckpointException($"{path}: written for space {h.Space}, not {_space.Name}");
        using var r = new BinaryReader(new MemoryStream(payload));
        var model = TensorArchive.Read(r);
        var ema = TensorArchive.Read(r);
        var adam = TensorArchive.Read(r);
        TensorArchive.LoadInto(_net, model, path);
        TensorArchive.LoadInto(_ema, ema, path);
        try { _optimizer.LoadState(adam, h.AdamSteps); }
        catch (CheckpointException e) { throw new CheckpointException($"{path}: {e.Message}"); }
        foreach (var t in model.Values.Concat(ema.Values).Concat(adam.Values)) t.Dispose();
        try
        {
            _sampler.SetState(h.SamplerState);
            _probeRng.State = h.ProbeRng;
        }
        catch (FormatException e) { throw new CheckpointException($"{path}: {e.Message}"); }
        _step = h.Step;
        _samplerStarted = h.SamplerStarted;
        if (_budget is not null && h.TimeBudget is { } budget)
        {
            _budget.Restore(budget.ElapsedSeconds, h.TotalSteps, budget.Frozen);
            Replan(_budget.TotalSteps);
        }
    }

    public void Dispose()
    {
        for (var shard = 0; shard < _scoringForwards.Length; shard++) DropScoringForwards(shard);
        _shards.Dispose();
        _net.Dispose();
        _ema.Dispose();
        _teacher?.Dispose();
    }
}

/// <summary>A training run that cannot proceed (bad options, mismatched data). One-line message.</summary>
public sealed class TrainingException(string message) : UserError(message);
