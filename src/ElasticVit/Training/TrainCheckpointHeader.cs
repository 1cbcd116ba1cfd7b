using System.Text.Json.Nodes;

namespace ElasticVit.Training;

/// <summary>
/// The header of a training checkpoint, read with every field's type and range checked, so that a damaged or
/// hand-edited header is a <see cref="CheckpointException"/> naming the field, never a half-restored run.
/// </summary>
public sealed record TrainCheckpointHeader(
    string Space, long Step, long TotalSteps, IReadOnlyDictionary<string, long> AdamSteps, JsonObject SamplerState,
    string ProbeRng, bool SamplerStarted, (double ElapsedSeconds, bool Frozen)? TimeBudget)
{
    public const string Format = "elasticvit-train-checkpoint";

    public static TrainCheckpointHeader Parse(JsonObject header, string path)
    {
        var format = CheckpointFile.Field<string>(header, "format", path);
        if (format != Format) throw new CheckpointException($"{path}: checkpoint format '{format}' is not '{Format}'");
        var step = CheckpointFile.Field<long>(header, "step", path);
        var totalSteps = CheckpointFile.Field<long>(header, "total_steps", path);
        if (totalSteps < 1 || step < 0 || step > totalSteps) throw new CheckpointException($"{path}: checkpoint header has step {step} of {totalSteps}");
        var adam = CheckpointFile.Object(header, "adam_steps", path);
        var adamSteps = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, _) in adam)
        {
            var t = CheckpointFile.Field<long>(adam, name, path);
            adamSteps[name] = t >= 1 && t <= step ? t : throw new CheckpointException($"{path}: optimizer step count {t} of '{name}' is outside 1…{step}");
        }
        (double, bool)? budget = null;
        if (header["time_budget"] is not null)
        {
            var b = CheckpointFile.Object(header, "time_budget", path);
            var elapsed = CheckpointFile.Field<double>(b, "elapsed_seconds", path);
            if (!double.IsFinite(elapsed) || elapsed < 0) throw new CheckpointException($"{path}: time budget's elapsed_seconds {elapsed} is not a finite number ≥ 0");
            budget = (elapsed, CheckpointFile.Field<bool>(b, "frozen", path));
        }
        return new TrainCheckpointHeader(
            CheckpointFile.Field<string>(header, "space", path), step, totalSteps, adamSteps,
            CheckpointFile.Object(header, "sampler_state", path), CheckpointFile.Field<string>(header, "probe_rng", path),
            header["sampler_started"] is null || CheckpointFile.Field<bool>(header, "sampler_started", path), budget);
    }
}
