using System.Text.RegularExpressions;
using ElasticVit.Spaces;

namespace ElasticVit.Latency;

/// <summary>
/// Layer keys (<see cref="LayerSpec.Key"/>) and the file names of per-layer exports derived from them.
/// Keys use only lowercase letters, digits, ':' and '-'; a file name replaces every ':' with '_'
/// (safe on every filesystem), so <c>mbconv:c16-24:e3:k3:s2:i28:se0</c> ↔ <c>mbconv_c16-24_e3_k3_s2_i28_se0.onnx</c>.
/// </summary>
public static partial class LayerKeys
{
    /// <summary>The shapes <see cref="LayerSpec.Key"/> produces, one per <see cref="LayerKind"/>.</summary>
    [GeneratedRegex("""
        ^(stem:c\d+-\d+:s\d+:i\d+
        |stage0:c\d+:k\d+:i\d+
        |mbconv:c\d+-\d+:e\d+:k\d+:s\d+:i\d+:se[01]
        |reduction:c\d+-\d+:s\d+:i\d+
        |transformer:c\d+:n\d+:h\d+:m\d+:v\d+
        |head:c\d+:n\d+:f\d+:o\d+)$
        """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex KeyPattern();

    public static bool IsWellFormed(string key) => KeyPattern().IsMatch(key);

    /// <summary>The export file name of a layer, e.g. <c>stem_c1-8_s1_i24.onnx</c>.</summary>
    public static string LayerFileName(string key, string extension = ".onnx")
    {
        if (!IsWellFormed(key)) throw new LatencyException($"'{key}' is not a layer key");
        return key.Replace(':', '_') + extension;
    }

    /// <summary>The layer key of an export file name or path (any extension); inverse of <see cref="LayerFileName"/>.</summary>
    public static string KeyOfFileName(string fileName)
    {
        var key = Path.GetFileNameWithoutExtension(fileName).Replace('_', ':');
        return IsWellFormed(key) ? key : throw new LatencyException($"'{fileName}' is not a layer file name (expected e.g. stem_c1-8_s1_i24.onnx)");
    }
}
