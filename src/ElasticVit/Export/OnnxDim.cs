namespace ElasticVit.Export;

/// <summary>
/// One dimension of a declared input or output shape: a fixed size, or a symbolic name such as
/// <c>"batch"</c> for a size chosen at run time. Converts implicitly from <c>long</c> and <c>string</c>,
/// so a shape reads <c>["batch", 3, 224, 224]</c>.
/// </summary>
public readonly record struct OnnxDim
{
    private OnnxDim(long? size, string? symbol)
    {
        Size = size;
        Symbol = symbol;
    }

    /// <summary>The fixed size, or null for a symbolic dimension.</summary>
    public long? Size { get; }

    /// <summary>The symbolic name (ONNX <c>dim_param</c>), or null for a fixed dimension.</summary>
    public string? Symbol { get; }

    public static OnnxDim Fixed(long size) =>
        size >= 0 ? new(size, null) : throw new ArgumentOutOfRangeException(nameof(size), size, "dimension sizes are non-negative");

    public static OnnxDim Symbolic(string symbol) =>
        string.IsNullOrWhiteSpace(symbol) ? throw new ArgumentException("a symbolic dimension needs a name", nameof(symbol)) : new(null, symbol);

    public static implicit operator OnnxDim(long size) => Fixed(size);

    public static implicit operator OnnxDim(string symbol) => Symbolic(symbol);

    public override string ToString() => Symbol ?? Size!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
