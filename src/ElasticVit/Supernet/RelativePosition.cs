using static TorchSharp.torch;

namespace ElasticVit.Supernet;

/// <summary>
/// Index maps for a relative-position bias table of (2·R−1)² rows: entry [i, j] is the row holding the offset between
/// tokens i and j of an r×r grid (r ≤ R). Tokens are numbered row-major.
/// </summary>
public static class RelativePosition
{
    public static long[] IndexMap(int grid, int tableGrid)
    {
        var n = grid * grid;
        var side = 2 * tableGrid - 1;
        var index = new long[n * n];
        for (var i = 0; i < n; i++)
        for (var j = 0; j < n; j++)
        {
            int dy = i / grid - j / grid, dx = i % grid - j % grid;
            index[i * n + j] = (dy + tableGrid - 1) * side + dx + tableGrid - 1;
        }
        return index;
    }

    /// <summary>Rows of a table built for <paramref name="fromGrid"/> that a table for <paramref name="toGrid"/> needs, in its order.</summary>
    public static long[] RowsFor(int toGrid, int fromGrid)
    {
        int toSide = 2 * toGrid - 1, fromSide = 2 * fromGrid - 1;
        var rows = new long[toSide * toSide];
        for (var dy = -(toGrid - 1); dy <= toGrid - 1; dy++)
        for (var dx = -(toGrid - 1); dx <= toGrid - 1; dx++)
            rows[(dy + toGrid - 1) * toSide + dx + toGrid - 1] = (dy + fromGrid - 1) * fromSide + dx + fromGrid - 1;
        return rows;
    }

    /// <summary>The bias [H, N, N] for an r×r grid from a table [(2R−1)², ≥H].</summary>
    public static Tensor Bias(Tensor table, Tensor indexMap, int heads, int tokens) =>
        table.index_select(0, indexMap).view(tokens, tokens, -1).narrow(2, 0, heads).permute(2, 0, 1);
}
