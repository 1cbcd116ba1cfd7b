using System.Diagnostics;
using System.Text.Json.Nodes;

namespace ElasticVit.Training;

/// <summary>
/// Wall-clock split of one training step by phase (milliseconds, summed over repeats of a phase), written to
/// metrics.jsonl as <c>phase_ms</c> so where a step's time goes can be read from any run. On CPU every libtorch call
/// returns when its work is done, so a lap measures the phase's own compute.
/// </summary>
public sealed class StepPhases
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<string, double> _ms = new(StringComparer.Ordinal);

    /// <summary>Charges the time since the previous lap (or the start) to <paramref name="phase"/>.</summary>
    public void Lap(string phase)
    {
        _ms[phase] = _ms.GetValueOrDefault(phase) + _clock.Elapsed.TotalMilliseconds;
        _clock.Restart();
    }

    /// <summary>
    /// Moves the phases of <paramref name="inner"/>, a part of <paramref name="phase"/> timed on its own, out of it:
    /// their times are added under their names and subtracted from <paramref name="phase"/>.
    /// </summary>
    public void Absorb(string phase, StepPhases inner)
    {
        foreach (var (name, ms) in inner._ms)
        {
            _ms[name] = _ms.GetValueOrDefault(name) + ms;
            _ms[phase] = _ms.GetValueOrDefault(phase) - ms;
        }
    }

    public JsonObject ToJson() => new(_ms.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Math.Round(kv.Value, 2))));
}
