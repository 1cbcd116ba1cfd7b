using ElasticVit.Spaces;

namespace ElasticVit.Sampling;

/// <summary>Creates training samplers by name.</summary>
public static class TrainingSamplers
{
    public static IReadOnlyList<string> Names { get; } = ["uniform", "sandwich", "cas", "cas-pas", "random-level"];

    /// <summary>
    /// A sampler drawing from <paramref name="rng"/>, which it owns from now on (its state is part of the sampler's).
    /// Throws <see cref="SamplingException"/> for an unknown name or invalid options.
    /// </summary>
    public static ITrainingSampler Create(string name, SearchSpace space, SeededRandom rng, SamplerOptions? options = null)
    {
        options ??= new SamplerOptions();
        options.Validate();
        return name switch
        {
            "uniform" => new UniformSampler(space, rng),
            "sandwich" => new SandwichSampler(space, rng),
            "cas" => new CasSampler(space, rng, options),
            "cas-pas" => new PasSampler(space, rng, options),
            "random-level" => new CasSampler(space, rng, options, randomLevels: true),
            _ => throw new SamplingException($"unknown sampler '{name}' (choose one of: {string.Join(", ", Names)})"),
        };
    }
}
