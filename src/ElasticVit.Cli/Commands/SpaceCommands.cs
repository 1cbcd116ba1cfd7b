using ElasticVit.Spaces;
using Spectre.Console;

namespace ElasticVit.Cli.Commands;

/// <summary><c>space list</c> and <c>space show NAME</c>.</summary>
public static class SpaceCommands
{
    public static IEnumerable<CommandSpec> All =>
    [
        new("space list", "list the built-in search spaces", [], _ => List()),
        new("space show", "show a search space as a table (NAME is a built-in space or a space JSON file)", [], a => Show(a.Positionals[0]), ["NAME"]),
    ];

    private static int List()
    {
        var table = new Table().AddColumns("space", "input", "classes", "resolutions", "FLOPs range (M)", "levels");
        foreach (var name in SpaceLoader.BuiltInNames)
        {
            var s = SpaceLoader.Load(name);
            table.AddRow(name, $"{s.Input.Channels}x{s.Input.NativeSize}x{s.Input.NativeSize}", $"{s.Classes}",
                string.Join(",", s.Resolutions), $"{Complexity.FlopsM(s, s.MinSubnet):F1} – {Complexity.FlopsM(s, s.MaxSubnet):F1}", $"{s.Levels.Count}");
        }
        AnsiConsole.Write(table);
        return 0;
    }

    private static int Show(string name)
    {
        var s = SpaceLoader.Load(name);
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(s.Name)}[/]: {Markup.Escape(s.Description)}");
        AnsiConsole.MarkupLine($"input {s.Input.Channels}x{s.Input.NativeSize}x{s.Input.NativeSize} resized to {{{string.Join(", ", s.Resolutions)}}}, {s.Classes} classes, head dim {s.HeadDim}, classifier {s.ClassifierMul}·C → {s.ClassifierHidden} → {s.Classes}");
        var table = new Table().AddColumns("part", "type", "stride", "widths", "depth", "choices");
        table.AddRow("stem", "conv3x3 + stage-0 DW/PW", $"{s.Stem.Stride}", string.Join(",", s.Stem.Widths), $"{s.Stem.MinDepth}–{s.Stem.MaxDepth}", $"kernel {{{string.Join(",", s.Stem.Kernels)}}}");
        foreach (var st in s.Stages)
        {
            var choices = st.Kind == StageKind.MbConv
                ? $"expansion {{{string.Join(",", st.Expansions)}}}, kernel {{{string.Join(",", st.Kernels)}}}{(st.Se ? ", SE" : "")}"
                : $"MLP ratio {{{string.Join(",", st.MlpRatios)}}}, V scale {{{string.Join(",", st.VScales)}}}, heads = width/{s.HeadDim}";
            table.AddRow(st.Name, st.Kind == StageKind.MbConv ? "MBConv" : "transformer", $"{st.Stride}", string.Join(",", st.Widths), $"{st.MinDepth}–{st.MaxDepth}", choices);
        }
        AnsiConsole.Write(table);
        var levels = new Table().AddColumns("level (M FLOPs)", "range", "min subnet", "min FLOPs (M)");
        foreach (var l in s.Levels)
            levels.AddRow($"{l.FlopsM:G}", Markup.Escape($"[{l.FlopsM:G}, {l.FlopsM + 2 * s.FlopsBoundM:G}]"), Markup.Escape(l.MinSubnet.Key), $"{Complexity.FlopsM(s, l.MinSubnet):F2}");
        AnsiConsole.Write(levels);
        AnsiConsole.MarkupLine($"min subnet {Complexity.FlopsM(s, s.MinSubnet):F2}M FLOPs, max subnet {Complexity.FlopsM(s, s.MaxSubnet):F2}M FLOPs; named models: {Markup.Escape(string.Join(", ", s.NamedModels.Keys))}");
        return 0;
    }
}
