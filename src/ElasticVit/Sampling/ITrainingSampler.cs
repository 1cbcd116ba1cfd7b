using System.Text.Json.Nodes;
using ElasticVit.Spaces;

namespace ElasticVit.Sampling;

/// <summary>Why a subnet is part of a training step; the trainer picks its loss by role (METHOD.md §4).</summary>
public enum SubnetRole
{
    /// <summary>The largest subnet (sandwich).</summary>
    Max,
    /// <summary>The smallest subnet of the space (sandwich).</summary>
    Min,
    /// <summary>Any subnet of the space (uniform, sandwich).</summary>
    Random,
    /// <summary>A subnet at the step's FLOPs level (cas, cas-pas, random-level).</summary>
    Level,
    /// <summary>The min subnet of the step's level; trained by in-place distillation towards the step's Level subnets.</summary>
    LevelMin,
}

/// <param name="FromBank">True when a performance-aware sampler took the subnet from its memory bank (exploit).</param>
public sealed record SampledSubnet(Subnet Subnet, SubnetRole Role, bool FromBank = false);

/// <summary>
/// The subnets of one training step, in training order. Level samplers list the three Level subnets
/// first and the LevelMin subnet last; others have <see cref="LevelIndex"/> −1 and <see cref="LevelFlopsM"/> NaN.
/// </summary>
public sealed record SamplerStep(IReadOnlyList<SampledSubnet> Subnets, int LevelIndex = -1, double LevelFlopsM = double.NaN);

/// <summary>Where training is when a batch starts. Epochs and batches count from 0.</summary>
public readonly record struct TrainingProgress(int Epoch, int BatchInEpoch, int BatchesPerEpoch, int TotalEpochs)
{
    /// <summary>Share of the run completed before this batch, in [0, 1).</summary>
    public double Fraction => (Epoch + (double)BatchInEpoch / BatchesPerEpoch) / TotalEpochs;

    internal void Validate()
    {
        if (TotalEpochs < 1 || BatchesPerEpoch < 1 || Epoch < 0 || Epoch >= TotalEpochs || BatchInEpoch < 0 || BatchInEpoch >= BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(TrainingProgress), this, "need 0 ≤ Epoch < TotalEpochs and 0 ≤ BatchInEpoch < BatchesPerEpoch");
    }
}

/// <summary>
/// Chooses the subnets of each supernet training step. Per training step the trainer calls, in this order:
/// <list type="number">
/// <item><see cref="OnBatch"/> with the step's position and a scorer bound to the step's mini-batch;</item>
/// <item><see cref="NextStep"/>, then trains the returned subnets in order.</item>
/// </list>
/// <see cref="GetState"/> and <see cref="SetState"/> capture everything needed to continue the exact same
/// sequence after a restart, including the random generator the sampler was created with (give each
/// sampler its own <see cref="SeededRandom"/>).
/// </summary>
public interface ITrainingSampler
{
    /// <summary>The name the sampler is created by: uniform, sandwich, cas, cas-pas or random-level.</summary>
    string Name { get; }

    /// <summary>
    /// Called once per training step, before <see cref="NextStep"/>. <paramref name="scorer"/> returns, for
    /// each given subnet, −cross-entropy of the supernet with that subnet active on the step's un-augmented
    /// mini-batch (higher is better); it stays in use until the next call. Performance-aware sampling uses
    /// it to rescore its banks (all at an epoch's first batch, the current level's at ¼, ½ and ¾ of an epoch)
    /// and to score the subnets it explores, and scales its exploit probability to the run's progress.
    /// Other samplers ignore the call.
    /// </summary>
    void OnBatch(TrainingProgress progress, Func<IReadOnlyList<Subnet>, double[]> scorer);

    /// <summary>The subnets of the next training step.</summary>
    SamplerStep NextStep();

    /// <summary>A JSON object holding the whole sampler state (random generator included).</summary>
    JsonObject GetState();

    /// <summary>Restores a state from <see cref="GetState"/> of a sampler of the same name and space; throws <see cref="SamplingException"/> otherwise.</summary>
    void SetState(JsonObject state);
}
