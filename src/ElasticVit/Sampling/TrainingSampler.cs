using System.Text.Json.Nodes;
using ElasticVit.Spaces;

namespace ElasticVit.Sampling;

/// <summary>Common part of the training samplers: name, space, random generator and the state envelope.</summary>
public abstract class TrainingSampler(string name, SearchSpace space, SeededRandom rng) : ITrainingSampler
{
    public string Name => name;
    public SearchSpace Space => space;
    protected SeededRandom Rng => rng;

    public virtual void OnBatch(TrainingProgress progress, Func<IReadOnlyList<Subnet>, double[]> scorer)
    {
        progress.Validate();
        ArgumentNullException.ThrowIfNull(scorer);
    }

    public abstract SamplerStep NextStep();

    public JsonObject GetState()
    {
        var state = new JsonObject { ["sampler"] = Name, ["space"] = Space.Name, ["rng"] = Rng.State };
        WriteState(state);
        return state;
    }

    public void SetState(JsonObject state)
    {
        var (sampler, stateSpace) = (Read<string>(state, "sampler"), Read<string>(state, "space"));
        if (sampler != Name || stateSpace != Space.Name)
            throw new SamplingException($"cannot resume sampler {Name} on {Space.Name} from the state of sampler {sampler} on {stateSpace}");
        var rngState = Read<string>(state, "rng");
        ReadState(state);
        try { Rng.State = rngState; }
        catch (FormatException e) { throw new SamplingException($"sampler state: {e.Message}"); }
    }

    /// <summary>Adds the sampler's own fields to <paramref name="state"/>.</summary>
    protected virtual void WriteState(JsonObject state) { }

    /// <summary>Restores the sampler's own fields; throws <see cref="SamplingException"/> on missing or bad ones.</summary>
    protected virtual void ReadState(JsonObject state) { }

    protected static T Read<T>(JsonObject state, string field)
    {
        try
        {
            if (state[field] is JsonValue value) return value.GetValue<T>();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException) { }
        throw new SamplingException($"sampler state has no valid '{field}' ({typeof(T).Name})");
    }

    protected static JsonArray ReadArray(JsonObject state, string field) =>
        state[field] as JsonArray ?? throw new SamplingException($"sampler state has no '{field}' array");
}
