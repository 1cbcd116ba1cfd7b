namespace ElasticVit.Spaces;

/// <summary>Multiply-accumulates and parameters of a subnet.</summary>
public readonly record struct Cost(long Macs, long Params)
{
    public double FlopsM => Macs / 1e6;
    public double ParamsM => Params / 1e6;
    public static Cost operator +(Cost a, Cost b) => new(a.Macs + b.Macs, a.Params + b.Params);
}

/// <summary>
/// Analytic FLOPs (MACs) and parameter counts with the official ElasticViT convention (METHOD.md §7):
/// norms, activations and additions are free; a strided 1×1 expansion is counted at stride × the output
/// side (which differs from the true input side only for odd maps); the reduction MBConv's SE and
/// shortcut are not counted as FLOPs. Parameters count every trainable tensor except the
/// relative-position tables.
/// </summary>
public static class Complexity
{
    public static Cost Of(SearchSpace space, Subnet subnet)
    {
        var total = new Cost(0, 0);
        foreach (var layer in LayerPlan.Of(space, subnet)) total += Of(layer);
        return total;
    }

    public static double FlopsM(SearchSpace space, Subnet subnet) => Of(space, subnet).FlopsM;

    public static Cost Of(LayerSpec l)
    {
        long ci = l.InChannels, co = l.OutChannels, k2 = (long)l.Kernel * l.Kernel;
        long outArea = (long)l.OutSize * l.OutSize;
        switch (l.Kind)
        {
            case LayerKind.Stem:
                return new Cost(ci * co * 9 * outArea, ci * co * 9 + 2 * co);
            case LayerKind.Stage0:
                // depthwise k×k + BN, pointwise C→C + BN
                return new Cost(ci * k2 * outArea + ci * ci * outArea, ci * k2 + 2 * ci + ci * ci + 2 * ci);
            case LayerKind.MbConv:
            case LayerKind.Reduction:
            {
                long mid = l.Mid, countedIn = (long)l.OutSize * l.Stride;
                var reduction = l.Kind == LayerKind.Reduction;
                long macs = ci * mid * countedIn * countedIn + mid * k2 * outArea + mid * co * outArea;
                long parameters = ci * mid + 2 * mid + mid * k2 + 2 * mid + mid * co + 2 * co;
                if (l.Se)
                {
                    long q = mid / 4;
                    if (!reduction) macs += 2 * mid * q;
                    parameters += 2 * mid * q + q + mid;
                }
                if (l.HasShortcutConv)
                {
                    if (!reduction) macs += ci * co * outArea;
                    parameters += ci * co + co;
                }
                return new Cost(macs, parameters);
            }
            case LayerKind.Transformer:
            {
                long c = ci, n = outArea, h = l.Heads, q = l.HeadDim, v = (long)l.HeadDim * l.VScale, r = l.MlpRatio;
                long macs = h * n * n * q + h * n * n + h * n * n * v
                    + n * c * (2 * q * h + v * h) + n * v * h * c + n * v * h + n * 2 * c * r * c;
                long parameters = 2 * c + 2 * c * q * h + c * v * h + v * h * 9 + v * h * c + c
                    + 2 * c + c * r * c + r * c + r * c * c + c;
                return new Cost(macs, parameters);
            }
            case LayerKind.Head:
            {
                long c = ci, wide = c * l.Expansion, n = (long)l.InSize * l.InSize, hidden = l.Hidden, classes = l.Classes;
                long macs = c * wide * n + wide * hidden + hidden * classes;
                long parameters = c * wide + 2 * wide + wide * hidden + hidden + hidden * classes + classes;
                return new Cost(macs, parameters);
            }
            default:
                throw new InvalidOperationException(l.Kind.ToString());
        }
    }
}
