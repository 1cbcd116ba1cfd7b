namespace ElasticVit.Spaces;

/// <summary>Checks a subnet against a space and names the first offending field.</summary>
internal static class SubnetValidator
{
    public static void Validate(SearchSpace space, Subnet subnet)
    {
        Check(space.Resolutions.Contains(subnet.Resolution), $"resolution {subnet.Resolution} is not one of {{{string.Join(", ", space.Resolutions)}}}", subnet, space);
        var stem = subnet.Stem;
        Check(space.Stem.Widths.Contains(stem.Width), $"stem.width {stem.Width} is not one of {{{string.Join(", ", space.Stem.Widths)}}}", subnet, space);
        Check(stem.Depth >= space.Stem.MinDepth && stem.Depth <= space.Stem.MaxDepth, $"stem.depth {stem.Depth} is outside {space.Stem.MinDepth}..{space.Stem.MaxDepth}", subnet, space);
        Check(space.Stem.Kernels.Contains(stem.Kernel), $"stem.kernel {stem.Kernel} is not one of {{{string.Join(", ", space.Stem.Kernels)}}}", subnet, space);
        Check(subnet.Stages.Count == space.Stages.Count, $"has {subnet.Stages.Count} stages, the space has {space.Stages.Count}", subnet, space);
        var previousWidth = stem.Width;
        for (var i = 0; i < space.Stages.Count; i++)
        {
            var (s, c) = (space.Stages[i], subnet.Stages[i]);
            var at = $"stage {s.Name}";
            Check(c.Name == s.Name, $"stage {i + 1} is named '{c.Name}', expected '{s.Name}'", subnet, space);
            Check(c.Kind == s.Kind, $"{at} is {c.Kind}, expected {s.Kind}", subnet, space);
            Check(s.Widths.Contains(c.Width), $"{at}.width {c.Width} is not one of {{{string.Join(", ", s.Widths)}}}", subnet, space);
            Check(c.Width >= previousWidth, $"{at}.width {c.Width} is smaller than the previous stage's width {previousWidth} (widths must not decrease)", subnet, space);
            Check(c.Depth >= s.MinDepth && c.Depth <= s.MaxDepth, $"{at}.depth {c.Depth} is outside {s.MinDepth}..{s.MaxDepth}", subnet, space);
            if (s.Kind == StageKind.MbConv)
            {
                Check(s.Expansions.Contains(c.Expansion), $"{at}.expansion {c.Expansion} is not one of {{{string.Join(", ", s.Expansions)}}}", subnet, space);
                Check(s.Kernels.Contains(c.Kernel), $"{at}.kernel {c.Kernel} is not one of {{{string.Join(", ", s.Kernels)}}}", subnet, space);
            }
            else
            {
                Check(s.MlpRatios.Contains(c.MlpRatio), $"{at}.mlp_ratio {c.MlpRatio} is not one of {{{string.Join(", ", s.MlpRatios)}}}", subnet, space);
                Check(s.VScales.Contains(c.VScale), $"{at}.v_scale {c.VScale} is not one of {{{string.Join(", ", s.VScales)}}}", subnet, space);
                Check(c.Heads == c.Width / space.HeadDim, $"{at}.heads {c.Heads} must equal width/{space.HeadDim} = {c.Width / space.HeadDim}", subnet, space);
            }
            previousWidth = c.Width;
        }
    }

    private static void Check(bool ok, string problem, Subnet subnet, SearchSpace space)
    {
        if (!ok) throw new SpaceException($"invalid subnet for {space.Name}: {problem}");
    }
}
