using System.Text.Json.Nodes;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Training;

/// <summary>A trained supernet loaded from a run directory (EMA weights by default), with the run's data, for evaluation, search and export.</summary>
public sealed class TrainedRun : IDisposable
{
    public RunDirectory Directory { get; }
    public TrainOptions Options { get; }
    public SearchSpace Space { get; }
    public RunData Data { get; }
    public ElasticSupernet Supernet { get; }

    /// <summary>The subnets in the sampler's memory banks at the checkpoint (cas-pas runs; empty otherwise), lowest level first.</summary>
    public IReadOnlyList<Subnet> MemoryBankSubnets { get; }

    private TrainedRun(RunDirectory dir, TrainOptions options, SearchSpace space, RunData data, ElasticSupernet net, IReadOnlyList<Subnet> banks) =>
        (Directory, Options, Space, Data, Supernet, MemoryBankSubnets) = (dir, options, space, data, net, banks);

    public static TrainedRun Open(string path, bool ema = true, int? threads = null)
    {
        var dir = new RunDirectory(path);
        var options = dir.LoadOptions();
        if (!dir.HasCheckpoint) throw new TrainingException($"{path}: the run has no checkpoint yet");
        torch.set_num_threads(threads ?? options.Threads);
        var space = SpaceLoader.Load(options.Space);
        var data = RunData.Load(options.Dataset, options.DataDir, options.HeldOutPerClass, options.Seed, options.TrainLimit);
        var (header, payload) = CheckpointFile.Read(dir.CheckpointPath);
        using var reader = new BinaryReader(new MemoryStream(payload));
        var raw = TensorArchive.Read(reader);
        var averaged = TensorArchive.Read(reader);
        var net = new ElasticSupernet(space);
        TensorArchive.LoadInto(net, ema ? averaged : raw, dir.CheckpointPath);
        foreach (var t in raw.Values.Concat(averaged.Values)) t.Dispose();
        net.to(RunDirectory.ParseDevice(options.Device));
        net.eval();
        return new TrainedRun(dir, options, space, data, net, BankSubnets(header, space, dir.CheckpointPath));
    }

    /// <summary>
    /// The memory-bank subnets in a checkpoint header (<c>sampler_state.banks[].entries[]</c>, as written by the cas-pas
    /// sampler's GetState), distinct, taken round-robin over the levels with each bank's best score first, so any prefix
    /// covers every level.
    /// </summary>
    public static IReadOnlyList<Subnet> BankSubnets(JsonObject header, SearchSpace space, string source)
    {
        if (header["sampler_state"] is not JsonObject state || state["banks"] is not JsonArray banks) return [];
        try
        {
            var levels = banks.OfType<JsonObject>()
                .Select(b => (b["entries"] as JsonArray ?? []).OfType<JsonObject>()
                    .OrderByDescending(e => (double?)e["score"] ?? double.NegativeInfinity)
                    .Select(e => (string?)e["key"] ?? throw new CheckpointException($"{source}: a memory-bank entry has no key"))
                    .ToList())
                .ToList();
            var order = Enumerable.Range(0, levels.Count == 0 ? 0 : levels.Max(l => l.Count)).SelectMany(i => levels.Where(l => i < l.Count).Select(l => l[i]));
            return order.Distinct(StringComparer.Ordinal).Select(key => Subnet.Parse(key, space)).ToList();
        }
        catch (SpaceException e) { throw new CheckpointException($"{source}: memory bank: {e.Message}"); }
    }

    /// <summary>An evaluator with BN recalibration on un-augmented training images and the held-out and test sets registered.</summary>
    /// <summary>
    /// The subnet as a standalone model with its inherited weights: BN recalibrated for it in the supernet, then its slices
    /// copied into a static model (eval mode), with what an export needs to know about the data.
    /// </summary>
    public (StaticModel Model, Export.ExportInfo Info) Extract(Subnet subnet, int calibrationBatches)
    {
        using (var evaluator = Evaluator(calibrationBatches)) evaluator.Recalibrate(subnet);
        var model = StaticModel.Extract(Supernet, subnet);
        model.eval();
        var norm = Data.Normalization;
        return (model, new Export.ExportInfo(Data.Train.ClassNames, norm.Mean, norm.Std));
    }

    public SubnetEvaluator Evaluator(int calibrationBatches = 32)
    {
        var evaluator = new SubnetEvaluator(Supernet, Data.Train, Data.Normalization, calibrationBatches, 64, Options.Seed);
        evaluator.AddEvalSet("heldout", Data.HeldOut, Data.Normalization);
        evaluator.AddEvalSet("test", Data.Test, Data.Normalization);
        return evaluator;
    }

    public void Dispose() => Supernet.Dispose();
}

