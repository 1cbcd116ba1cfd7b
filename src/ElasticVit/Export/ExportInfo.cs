using System.Globalization;
using System.Reflection;
using ElasticVit.Spaces;

namespace ElasticVit.Export;

/// <summary>
/// What a deployed model carries besides its weights: class names and the per-channel normalisation used in
/// training, <c>(x − Mean[c]) / Std[c]</c> on pixels scaled to [0, 1]. The exported graph applies it itself.
/// </summary>
public sealed record ExportInfo(IReadOnlyList<string> ClassNames, IReadOnlyList<float> Mean, IReadOnlyList<float> Std)
{
    public const string ProducerName = "elasticvit-dotnet";

    /// <summary>This library's version (the assembly's informational version).</summary>
    public static string CurrentVersion { get; } =
        typeof(ExportInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>Version of the program that wrote the file; <see cref="CurrentVersion"/> for new exports.</summary>
    public string ProducerVersion { get; init; } = CurrentVersion;

    /// <summary>Classes named "0", "1", … and no normalisation (mean 0, std 1).</summary>
    public static ExportInfo Plain(SearchSpace space) => new(
        Enumerable.Range(0, space.Classes).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray(),
        new float[space.Input.Channels],
        Enumerable.Repeat(1f, space.Input.Channels).ToArray());

    /// <summary>Throws <see cref="ArgumentException"/> unless there is one class name per class and one finite mean and positive std per channel.</summary>
    public void Validate(SearchSpace space)
    {
        if (ClassNames.Count != space.Classes)
            throw new ArgumentException($"{ClassNames.Count} class names given, {space.Name} has {space.Classes} classes");
        if (Mean.Count != space.Input.Channels || Std.Count != space.Input.Channels)
            throw new ArgumentException($"normalisation has {Mean.Count} means and {Std.Count} stds, {space.Name} has {space.Input.Channels} input channels");
        if (Mean.Any(m => !float.IsFinite(m)) || Std.Any(s => !(s > 0) || !float.IsFinite(s)))
            throw new ArgumentException("normalisation means must be finite and stds positive");
    }
}
