using ElasticVit.IO;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ElasticVit.Spaces;

/// <summary>
/// JSON form of a subnet, the same shape as the reference's released models:
/// <c>{"resolution":…, "stem":{"width","depth","kernel"}, "stages":[{"name","type","width","depth",…}]}</c>.
/// </summary>
public static class SubnetJson
{
    /// <summary>The largest subnet file read (one is well under a kilobyte).</summary>
    public const long MaxFileBytes = 1L << 20;

    public static JsonObject ToJson(Subnet subnet)
    {
        var stages = new JsonArray();
        foreach (var s in subnet.Stages)
        {
            var o = new JsonObject { ["name"] = s.Name, ["type"] = s.Kind == StageKind.MbConv ? "mbconv" : "transformer", ["width"] = s.Width, ["depth"] = s.Depth };
            if (s.Kind == StageKind.MbConv)
            {
                o["expansion"] = s.Expansion;
                o["kernel"] = s.Kernel;
            }
            else
            {
                o["mlp_ratio"] = s.MlpRatio;
                o["v_scale"] = s.VScale;
                o["heads"] = s.Heads;
            }
            stages.Add(o);
        }
        return new JsonObject
        {
            ["resolution"] = subnet.Resolution,
            ["stem"] = new JsonObject { ["width"] = subnet.Stem.Width, ["depth"] = subnet.Stem.Depth, ["kernel"] = subnet.Stem.Kernel },
            ["stages"] = stages,
        };
    }

    public static string Serialize(Subnet subnet, bool indented = false) =>
        ToJson(subnet).ToJsonString(new JsonSerializerOptions { WriteIndented = indented });

    /// <summary>Parses and validates a subnet JSON object; extra keys such as flops_m are ignored.</summary>
    public static Subnet Parse(string json, SearchSpace space, string source = "subnet JSON")
    {
        var node = InputFile.Node(json, source, m => new SpaceException(m));
        if (node is not JsonObject o) throw new SpaceException($"{source}: expected a JSON object");
        try
        {
            var stem = o["stem"] as JsonObject ?? throw new SpaceException($"{source}: missing 'stem' object");
            var stagesNode = o["stages"] as JsonArray ?? throw new SpaceException($"{source}: missing 'stages' array");
            if (stagesNode.Count != space.Stages.Count)
                throw new SpaceException($"{source}: 'stages' has {stagesNode.Count} entries, {space.Name} has {space.Stages.Count}");
            var stages = new List<StageConfig>();
            for (var i = 0; i < stagesNode.Count; i++)
            {
                var s = stagesNode[i] as JsonObject ?? throw new SpaceException($"{source}: stages[{i}] is not an object");
                var name = (string?)s["name"] ?? space.Stages[i].Name;
                var type = (string?)s["type"] ?? (space.Stages[i].Kind == StageKind.MbConv ? "mbconv" : "transformer");
                stages.Add(type switch
                {
                    "mbconv" => StageConfig.MbConv(name, Int(s, "width", source, i), Int(s, "depth", source, i), Int(s, "expansion", source, i), Int(s, "kernel", source, i)),
                    "transformer" => StageConfig.Transformer(name, Int(s, "width", source, i), Int(s, "depth", source, i), Int(s, "mlp_ratio", source, i), Int(s, "v_scale", source, i), space.HeadDim),
                    _ => throw new SpaceException($"{source}: stages[{i}].type '{type}' is not mbconv or transformer"),
                });
                if (s["heads"] is not null && Int(s, "heads", source, i) != stages[^1].Heads)
                    throw new SpaceException($"{source}: stages[{i}].heads must equal width/{space.HeadDim} = {stages[^1].Heads}");
            }
            var subnet = new Subnet(Int(o, "resolution", source, null),
                new StemConfig(Int(stem, "width", source, null, "stem."), Int(stem, "depth", source, null, "stem."), Int(stem, "kernel", source, null, "stem.")),
                stages);
            space.Validate(subnet);
            return subnet;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new SpaceException($"{source}: {e.Message}");
        }
    }

    private static int Int(JsonObject o, string field, string source, int? stage, string prefix = "")
    {
        var where = stage is null ? prefix + field : $"stages[{stage}].{field}";
        var node = o[field] ?? throw new SpaceException($"{source}: missing '{where}'");
        try { return node.GetValue<int>(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new SpaceException($"{source}: '{where}' must be an integer, got {node.ToJsonString()}");
        }
    }
}
