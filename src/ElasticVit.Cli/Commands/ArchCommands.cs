using System.Text.Json.Nodes;
using ElasticVit.Sampling;
using ElasticVit.Spaces;
using Spectre.Console;

namespace ElasticVit.Cli.Commands;

/// <summary><c>arch stats</c> and <c>arch sample</c>.</summary>
public static class ArchCommands
{
    public static readonly OptionSpec Space = new("space", "search space: a built-in name or a space JSON file", "NAME", Required: true);
    public static readonly OptionSpec Arch = new("arch", "a named model (e.g. S1), a subnet key or a subnet JSON file", "ARCH", Required: true);
    public static readonly OptionSpec Json = new("json", "print machine-readable JSON", null);

    public static IEnumerable<CommandSpec> All =>
    [
        new("arch stats", "FLOPs, parameters and layer shapes of one subnet", [Space, Arch, Json], Stats),
        new("arch sample", "random valid subnets, optionally at a FLOPs level", [
            Space,
            new("level", "FLOPs level T in millions: sample with FLOPs in [T, T + 2·bound] above the level's min subnet", "FLOPS_M"),
            new("count", "how many subnets", "N", "5"),
            new("seed", "random seed", "S", "0"),
            Json,
        ], Sample),
    ];

    public static JsonObject StatsJson(SearchSpace space, Subnet subnet)
    {
        var cost = Complexity.Of(space, subnet);
        return new JsonObject
        {
            ["key"] = subnet.Key,
            ["resolution"] = subnet.Resolution,
            ["flops_m"] = Math.Round(cost.FlopsM, 4),
            ["params_m"] = Math.Round(cost.ParamsM, 5),
            ["arch"] = SubnetJson.ToJson(subnet),
        };
    }

    private static int Stats(ParsedArgs a)
    {
        var space = SpaceLoader.Load(a.RequiredString("space"));
        var subnet = space.Resolve(a.RequiredString("arch"));
        if (a.Flag("json"))
        {
            Console.WriteLine(StatsJson(space, subnet).ToJsonString());
            return 0;
        }
        var cost = Complexity.Of(space, subnet);
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(subnet.Key)}[/]");
        AnsiConsole.MarkupLine($"resolution {subnet.Resolution}, {cost.FlopsM:F2}M FLOPs (MACs), {cost.ParamsM:F3}M parameters");
        var table = new Table().AddColumns("layer", "in→out ch", "size", "details", "FLOPs (M)", "params (K)");
        foreach (var l in LayerPlan.Of(space, subnet))
        {
            var c = Complexity.Of(l);
            table.AddRow(l.Kind.ToString(), $"{l.InChannels}→{l.OutChannels}", $"{l.InSize}→{l.OutSize}", Markup.Escape(l.Key), $"{c.FlopsM:F3}", $"{c.Params / 1e3:F1}");
        }
        AnsiConsole.Write(table);
        return 0;
    }

    private static int Sample(ParsedArgs a)
    {
        var space = SpaceLoader.Load(a.RequiredString("space"));
        var count = a.Int("count", 1);
        var rng = new ElasticVit.Sampling.SeededRandom(a.Int("seed", 0));
        var level = a.Double("level");
        var sampler = level is null ? null : LevelSampler.ForLevel(space, level.Value);
        var json = a.Flag("json");
        var table = new Table().AddColumns("key", "FLOPs (M)", "params (M)");
        for (var i = 0; i < count; i++)
        {
            var subnet = sampler is null ? RandomSubnets.Draw(space, rng) : sampler.Draw(rng);
            if (json) Console.WriteLine(StatsJson(space, subnet).ToJsonString());
            else
            {
                var c = Complexity.Of(space, subnet);
                table.AddRow(Markup.Escape(subnet.Key), $"{c.FlopsM:F2}", $"{c.ParamsM:F3}");
            }
        }
        if (!json) AnsiConsole.Write(table);
        return 0;
    }
}
