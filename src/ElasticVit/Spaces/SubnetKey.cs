using System.Globalization;
using System.Text.RegularExpressions;

namespace ElasticVit.Spaces;

/// <summary>Parses the canonical key format written by <see cref="Subnet.Key"/>.</summary>
internal static partial class SubnetKey
{
    [GeneratedRegex(@"^r(\d+)$")] private static partial Regex ResolutionPart();
    [GeneratedRegex(@"^s(\d+)x(\d+)k(\d+)$")] private static partial Regex StemPart();
    [GeneratedRegex(@"^([A-Za-z0-9_.]+):(\d+)x(\d+)e(\d+)k(\d+)$")] private static partial Regex MbConvPart();
    [GeneratedRegex(@"^([A-Za-z0-9_.]+):(\d+)x(\d+)m(\d+)v(\d+)$")] private static partial Regex TransformerPart();

    public static Subnet Parse(string key, SearchSpace space)
    {
        var parts = key.Trim().Split('-');
        if (parts.Length != space.Stages.Count + 2)
            throw new SpaceException($"malformed subnet key '{key}': expected {space.Stages.Count + 2} '-'-separated parts (r…, s…, then one per stage of {space.Name}), got {parts.Length}");
        var r = ResolutionPart().Match(parts[0]);
        if (!r.Success) throw new SpaceException($"malformed subnet key '{key}': resolution part '{parts[0]}' must look like r192");
        var s = StemPart().Match(parts[1]);
        if (!s.Success) throw new SpaceException($"malformed subnet key '{key}': stem part '{parts[1]}' must look like s16x1k3");
        var stages = new StageConfig[space.Stages.Count];
        for (var i = 0; i < stages.Length; i++)
        {
            var part = parts[i + 2];
            var stage = space.Stages[i];
            var m = stage.Kind == StageKind.MbConv ? MbConvPart().Match(part) : TransformerPart().Match(part);
            if (!m.Success)
            {
                var shape = stage.Kind == StageKind.MbConv ? "NAME:WIDTHxDEPTHeEXPkKERNEL" : "NAME:WIDTHxDEPTHmMLPvVSCALE";
                throw new SpaceException($"malformed subnet key '{key}': stage part '{part}' must look like {shape} ({stage.Name} is a {stage.Kind} stage)");
            }
            if (m.Groups[1].Value != stage.Name)
                throw new SpaceException($"malformed subnet key '{key}': stage {i + 1} is named '{m.Groups[1].Value}', the space calls it '{stage.Name}'");
            stages[i] = stage.Kind == StageKind.MbConv
                ? StageConfig.MbConv(stage.Name, Int(m, 2), Int(m, 3), Int(m, 4), Int(m, 5))
                : StageConfig.Transformer(stage.Name, Int(m, 2), Int(m, 3), Int(m, 4), Int(m, 5), space.HeadDim);
        }
        return new Subnet(Int(r, 1), new StemConfig(Int(s, 1), Int(s, 2), Int(s, 3)), stages);
    }

    private static int Int(Match m, int group) =>
        int.TryParse(m.Groups[group].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new SpaceException($"number '{m.Groups[group].Value}' in subnet key is out of range");
}
