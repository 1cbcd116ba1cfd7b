using static ElasticVit.Export.OnnxAttribute;

namespace ElasticVit.Export;

/// <summary>
/// Builds an ONNX model (IR version 8, default-domain opset 17 unless another is given) one operator at a time. Every op
/// method returns the name of the value it produces, so graphs read like the forward pass they
/// export. Names are generated (<c>Conv_3</c>) unless one is passed; a name can be used only once,
/// and an op's inputs must already be defined (graph input, initializer or an earlier op's output).
/// Spatial ops are 2-D (NCHW) with symmetric strides and padding, as in PyTorch.
/// </summary>
public sealed class OnnxGraphBuilder
{
    public const long IrVersion = 8;
    public const long DefaultOpset = 17;

    /// <summary>The oldest opset the op methods are written for (Softmax over one axis, Resize with sizes alone).</summary>
    public const long MinOpset = 13;

    /// <summary>
    /// The default-domain opset the model declares (13–17: opset 18 turned ReduceMean's axes into an input). An operator
    /// the opset does not have yet is refused when it is added, so a graph never claims an opset its nodes do not keep to.
    /// </summary>
    public long Opset { get; }

    private readonly string _graphName;
    private readonly List<OnnxNode> _nodes = [];
    private readonly List<OnnxTensor> _initializers = [];
    private readonly List<OnnxValueInfo> _inputs = [];
    private readonly List<OnnxValueInfo> _outputs = [];
    private readonly List<OnnxValueInfo> _shapeHints = [];
    private readonly HashSet<string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<long>> _initializerDims = new(StringComparer.Ordinal);
    private int _autoNameCounter;

    public OnnxGraphBuilder(string graphName = "main", long opset = DefaultOpset)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(graphName);
        _graphName = graphName;
        if (opset is < MinOpset or > DefaultOpset)
            throw new OnnxException($"opset {opset} is not supported: the graph builder writes opsets {MinOpset} to {DefaultOpset}");
        Opset = opset;
    }

    // ---- graph interface ----------------------------------------------------------------------

    /// <summary>Declares a graph input, e.g. <c>Input("image", ["batch", 1, 28, 28])</c>.</summary>
    public string Input(string name, IReadOnlyList<OnnxDim> shape, OnnxElementType elementType = OnnxElementType.Float)
    {
        CheckShape(name, shape);
        name = Claim(name);
        _inputs.Add(new OnnxValueInfo(name, elementType, shape.ToArray()));
        return name;
    }

    /// <summary>Declares an existing value as a graph output; a null shape leaves the rank unspecified.</summary>
    public void Output(string value, IReadOnlyList<OnnxDim>? shape = null, OnnxElementType elementType = OnnxElementType.Float)
    {
        RequireDefined("Output", value);
        if (shape is not null) CheckShape(value, shape);
        if (_outputs.Any(o => o.Name == value)) throw new ArgumentException($"'{value}' is already a graph output", nameof(value));
        _outputs.Add(new OnnxValueInfo(value, elementType, shape?.ToArray()));
    }

    /// <summary>
    /// Declares the shape of an intermediate value (<c>value_info</c>). ONNX shape inference forgets a symbolic batch at a
    /// Resize by scales and at a Reshape whose target infers the batch (-1); ONNX Runtime then cannot show that the two
    /// inputs of a residual Add have the same shape, keeps the Add apart from the convolution before it and wraps it in
    /// three Reshapes (bench/results/export-latency.md, session 30). A hint restores the dimension for every later value.
    /// </summary>
    public void ShapeHint(string value, IReadOnlyList<OnnxDim> shape, OnnxElementType elementType = OnnxElementType.Float)
    {
        RequireDefined("ShapeHint", value);
        CheckShape(value, shape);
        if (_shapeHints.Any(h => h.Name == value)) throw new ArgumentException($"'{value}' already has a shape hint", nameof(value));
        _shapeHints.Add(new OnnxValueInfo(value, elementType, shape.ToArray()));
    }

    /// <summary>
    /// Put before every value name claimed from now on (inputs, initializers, node outputs), so that the same layer can
    /// be emitted into one graph twice (the latency profiler's in-context timing of a layer).
    /// </summary>
    public string NamePrefix { get; set; } = "";

    /// <summary>Adds a float32 weight tensor, e.g. a conv kernel with dims [out, in/group, kH, kW].</summary>
    public string Initializer(string name, float[] data, long[] dims)
    {
        name = Claim(name);
        AddInitializer(OnnxTensor.FromFloats(name, data, dims));
        return name;
    }

    /// <summary>Adds an int64 tensor (shapes, axes, indices).</summary>
    public string Int64Initializer(string name, long[] data, long[] dims)
    {
        name = Claim(name);
        AddInitializer(OnnxTensor.FromInt64s(name, data, dims));
        return name;
    }

    /// <summary>A <c>Constant</c> node holding a float32 tensor.</summary>
    public string Constant(float[] data, long[] dims, string? name = null)
    {
        string output = NewName(name, "Constant");
        return AddNode("Constant", output, [], [Tensor("value", OnnxTensor.FromFloats(output, data, dims))]);
    }

    /// <summary>A <c>Constant</c> node holding an int64 tensor.</summary>
    public string Int64Constant(long[] data, long[] dims, string? name = null)
    {
        string output = NewName(name, "Constant");
        return AddNode("Constant", output, [], [Tensor("value", OnnxTensor.FromInt64s(output, data, dims))]);
    }

    // ---- convolution and pooling --------------------------------------------------------------

    /// <summary>
    /// 2-D convolution like <c>torch.nn.functional.conv2d</c>: weight [out, in/group, kH, kW], optional bias [out].
    /// Depthwise when <paramref name="group"/> equals the channel count.
    /// </summary>
    public string Conv(string input, string weight, string? bias = null, int stride = 1, int padding = 0,
        int group = 1, int dilation = 1, string? name = null)
    {
        List<OnnxAttribute> attributes =
        [
            Ints("dilations", dilation, dilation),
            Int("group", group),
            Ints("pads", padding, padding, padding, padding),
            Ints("strides", stride, stride),
        ];
        if (_initializerDims.TryGetValue(weight, out var dims))
        {
            if (dims.Count != 4) throw new ArgumentException($"Conv weight '{weight}' has rank {dims.Count}, expected 4", nameof(weight));
            attributes.Add(Ints("kernel_shape", dims[2], dims[3]));
        }
        string[] inputs = bias is null ? [input, weight] : [input, weight, bias];
        return AddNode("Conv", NewName(name, "Conv"), inputs, attributes);
    }

    /// <summary>
    /// Square average pooling. <paramref name="countIncludePad"/> defaults to true like PyTorch's
    /// <c>AvgPool2d</c> (ONNX's own default is false).
    /// </summary>
    public string AveragePool(string input, int kernel, int stride, int padding = 0, bool countIncludePad = true,
        bool ceilMode = false, string? name = null) =>
        AddNode("AveragePool", NewName(name, "AveragePool"), [input],
        [
            Int("ceil_mode", ceilMode ? 1 : 0),
            Int("count_include_pad", countIncludePad ? 1 : 0),
            Ints("kernel_shape", kernel, kernel),
            Ints("pads", padding, padding, padding, padding),
            Ints("strides", stride, stride),
        ]);

    /// <summary>[N, C, H, W] → [N, C, 1, 1].</summary>
    public string GlobalAveragePool(string input, string? name = null) =>
        AddNode("GlobalAveragePool", NewName(name, "GlobalAveragePool"), [input], []);

    /// <summary>
    /// Bilinear resize of [N, C, <paramref name="fromHeight"/>, <paramref name="fromWidth"/>] to [N, C, height, width],
    /// matching <c>F.interpolate(mode: bilinear, align_corners: false, antialias: false)</c> called with a size:
    /// <c>half_pixel</c> coordinates, no antialiasing (opset 17 has none). The batch stays dynamic: the resize is given
    /// as constant scales [1, 1, height/H, width/W], from which ONNX shape inference knows the size of every later map
    /// (target sizes built from <c>Shape(input)</c> hid them, and took two more nodes).
    /// </summary>
    public string ResizeBilinear(string input, long fromHeight, long fromWidth, long height, long width, string? name = null) =>
        ResizeByScales(input, [1f, 1f, Scale(fromHeight, height), Scale(fromWidth, width)], ResizeAttributes, name);

    /// <summary>
    /// to/from in float32, as ONNX Runtime computes it from target sizes; one step up where the output size it implies (the
    /// product with <paramref name="from"/>, truncated) would fall short of <paramref name="to"/> (e.g. 7 → 31). Sampling
    /// moves by a relative 6·10⁻⁸, far below float32 rounding of the pixel values.
    /// </summary>
    internal static float Scale(long from, long to)
    {
        var scale = (float)to / from;
        return (long)(scale * from) == to ? scale : MathF.BitIncrement(scale);
    }

    /// <summary>
    /// Nearest-neighbour upsampling of [N, C, H, W] by an integer <paramref name="factor"/> in both spatial dimensions
    /// (asymmetric coordinates, floor rounding: each output pixel copies one input pixel). ONNX Runtime runs a Resize of
    /// this form in its blocked channel layout (NCHWc); a broadcasting product it runs only outside it.
    /// </summary>
    public string UpsampleNearest(string input, long factor, string? name = null)
    {
        if (factor < 1) throw new ArgumentOutOfRangeException(nameof(factor), factor, "an upsampling factor is at least 1");
        return ResizeByScales(input, [1f, 1f, factor, factor],
            [String("coordinate_transformation_mode", "asymmetric"), String("mode", "nearest"), String("nearest_mode", "floor")], name);
    }

    /// <summary>A Resize by constant per-dimension <paramref name="scales"/> (an initializer named after the output).</summary>
    private string ResizeByScales(string input, float[] scales, OnnxAttribute[] attributes, string? name)
    {
        string output = NewName(name, "Resize");
        return AddNode("Resize", output, [input, "", Initializer($"{output}_scales", scales, [scales.Length])], attributes);
    }

    /// <summary>The same resize to constant sizes [N, C, height, width] (a fixed batch; opset 13 and importers that need constant sizes).</summary>
    public string ResizeBilinear(string input, long[] sizes, string? name = null)
    {
        if (sizes.Length != 4) throw new ArgumentException($"Resize: sizes must be [N, C, H, W], got {sizes.Length} values", nameof(sizes));
        string output = NewName(name, "Resize");
        return AddNode("Resize", output, [input, "", "", Int64Initializer($"{output}_sizes", sizes, [4])], ResizeAttributes);
    }

    private static OnnxAttribute[] ResizeAttributes => [String("coordinate_transformation_mode", "half_pixel"), String("mode", "linear")];

    // ---- activations and normalisation --------------------------------------------------------

    public string Relu(string input, string? name = null) => AddNode("Relu", NewName(name, "Relu"), [input], []);

    /// <summary>max(0, min(1, alpha·x + beta)); the defaults match <c>torch.nn.Hardsigmoid</c> (relu6(x + 3) / 6).</summary>
    public string HardSigmoid(string input, float alpha = 1f / 6f, float beta = 0.5f, string? name = null) =>
        AddNode("HardSigmoid", NewName(name, "HardSigmoid"), [input], [Float("alpha", alpha), Float("beta", beta)]);

    /// <summary>x · HardSigmoid(x) with alpha 1/6, beta 0.5, as <c>torch.nn.Hardswish</c>.</summary>
    public string HardSwish(string input, string? name = null) =>
        AddNode("HardSwish", NewName(name, "HardSwish"), [input], [], since: 14);

    public string Softmax(string input, int axis = -1, string? name = null) =>
        AddNode("Softmax", NewName(name, "Softmax"), [input], [Int("axis", axis)]);

    /// <summary>
    /// Normalises over the dimensions from <paramref name="axis"/> to the last, like
    /// <c>F.layer_norm</c> with normalized_shape = those dimensions. Both defaults for epsilon are 1e-5;
    /// pass the module's own value (many ViTs use 1e-6).
    /// </summary>
    public string LayerNormalization(string input, string scale, string bias, int axis = -1, float epsilon = 1e-5f,
        string? name = null) =>
        AddNode("LayerNormalization", NewName(name, "LayerNormalization"), [input, scale, bias],
            [Int("axis", axis), Float("epsilon", epsilon)], since: 17);

    // ---- arithmetic and linear algebra (NumPy broadcasting) -----------------------------------

    public string Add(string a, string b, string? name = null) => AddNode("Add", NewName(name, "Add"), [a, b], []);

    public string Sub(string a, string b, string? name = null) => AddNode("Sub", NewName(name, "Sub"), [a, b], []);

    public string Mul(string a, string b, string? name = null) => AddNode("Mul", NewName(name, "Mul"), [a, b], []);

    public string Div(string a, string b, string? name = null) => AddNode("Div", NewName(name, "Div"), [a, b], []);

    public string Sqrt(string input, string? name = null) => AddNode("Sqrt", NewName(name, "Sqrt"), [input], []);

    /// <summary>Batched matrix product with broadcasting over leading dimensions, as <c>torch.matmul</c>.</summary>
    public string MatMul(string a, string b, string? name = null) => AddNode("MatMul", NewName(name, "MatMul"), [a, b], []);

    /// <summary>
    /// alpha·op(A)·op(B) + beta·C on 2-D A. A <c>torch.nn.Linear</c> is <c>Gemm(x, weight, bias, transB: true)</c>.
    /// </summary>
    public string Gemm(string a, string b, string? c = null, bool transA = false, bool transB = false,
        float alpha = 1f, float beta = 1f, string? name = null)
    {
        string[] inputs = c is null ? [a, b] : [a, b, c];
        return AddNode("Gemm", NewName(name, "Gemm"), inputs,
        [
            Float("alpha", alpha),
            Float("beta", beta),
            Int("transA", transA ? 1 : 0),
            Int("transB", transB ? 1 : 0),
        ]);
    }

    /// <summary>Reduces over <paramref name="axes"/> (opset 17: axes are an attribute).</summary>
    public string ReduceMean(string input, long[] axes, bool keepDims = true, string? name = null) =>
        AddNode("ReduceMean", NewName(name, "ReduceMean"), [input], [Ints("axes", axes), Int("keepdims", keepDims ? 1 : 0)]);

    // ---- shape manipulation -------------------------------------------------------------------

    /// <summary>
    /// Reshape to a constant target; 0 copies the input's dimension and -1 is inferred, so
    /// <c>[0, -1, 64]</c> keeps a dynamic batch.
    /// </summary>
    public string Reshape(string input, long[] shape, string? name = null)
    {
        string output = NewName(name, "Reshape");
        string target = Int64Initializer($"{output}_shape", shape, [shape.Length]);
        return AddNode("Reshape", output, [input, target], []);
    }

    /// <summary>Reshape to a shape computed in the graph (an int64 1-D value).</summary>
    public string Reshape(string input, string shapeValue, string? name = null) =>
        AddNode("Reshape", NewName(name, "Reshape"), [input, shapeValue], []);

    public string Transpose(string input, long[] perm, string? name = null) =>
        AddNode("Transpose", NewName(name, "Transpose"), [input], [Ints("perm", perm)]);

    /// <summary>Collapses to 2-D: [d0·…·d(axis-1), d(axis)·…·dn].</summary>
    public string Flatten(string input, int axis = 1, string? name = null) =>
        AddNode("Flatten", NewName(name, "Flatten"), [input], [Int("axis", axis)]);

    public string Concat(IReadOnlyList<string> inputs, int axis, string? name = null) =>
        AddNode("Concat", NewName(name, "Concat"), inputs, [Int("axis", axis)]);

    /// <summary>Python-style slicing <c>x[starts:ends:steps]</c> along <paramref name="axes"/> (default: the first ones).</summary>
    public string Slice(string input, long[] starts, long[] ends, long[]? axes = null, long[]? steps = null, string? name = null)
    {
        if (starts.Length != ends.Length || axes?.Length is { } a && a != starts.Length || steps?.Length is { } s && s != starts.Length)
            throw new ArgumentException("Slice: starts, ends, axes and steps must have the same length");
        string output = NewName(name, "Slice");
        List<string> inputs =
        [
            input,
            Int64Initializer($"{output}_starts", starts, [starts.Length]),
            Int64Initializer($"{output}_ends", ends, [ends.Length]),
        ];
        if (axes is not null || steps is not null)
            inputs.Add(Int64Initializer($"{output}_axes", axes ?? [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)], [starts.Length]));
        if (steps is not null) inputs.Add(Int64Initializer($"{output}_steps", steps, [steps.Length]));
        return AddNode("Slice", output, inputs, []);
    }

    /// <summary>The input's shape as an int64 1-D tensor, restricted to dims [start, end) (opset 15+).</summary>
    public string Shape(string input, long start = 0, long? end = null, string? name = null)
    {
        List<OnnxAttribute> attributes = [Int("start", start)];
        if (end is { } e) attributes.Add(Int("end", e));
        return AddNode("Shape", NewName(name, "Shape"), [input], attributes, since: start != 0 || end is not null ? 15 : MinOpset);
    }

    public string Identity(string input, string? name = null) => AddNode("Identity", NewName(name, "Identity"), [input], []);

    // ---- model --------------------------------------------------------------------------------

    /// <summary>Serialises the graph as an ONNX model; metadata entries are written in enumeration order.</summary>
    public byte[] Build(string producerName, string producerVersion, string docString = "",
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (_outputs.Count == 0) throw new InvalidOperationException("the graph declares no output; call Output(...) first");
        var graph = new OnnxGraph(_graphName, _nodes.ToArray(), _initializers.ToArray(), _inputs.ToArray(), _outputs.ToArray(), _shapeHints.ToArray());
        var model = new OnnxModel(IrVersion, Opset, producerName, producerVersion, docString,
            metadata?.ToArray() ?? [], graph);
        return OnnxModelEncoder.Encode(model);
    }

    // ---- helpers ------------------------------------------------------------------------------

    /// <param name="since">The first opset that has the operator in the form written.</param>
    private string AddNode(string opType, string output, IReadOnlyList<string> inputs, IReadOnlyList<OnnxAttribute> attributes, long since = MinOpset)
    {
        if (since > Opset) throw new OnnxException($"{opType} needs opset {since} or later; this graph declares opset {Opset}");
        foreach (string input in inputs)
            if (input.Length > 0) RequireDefined(opType, input);
        _nodes.Add(new OnnxNode(output, opType, inputs.ToArray(), [output], attributes.ToArray()));
        return output;
    }

    private void AddInitializer(OnnxTensor tensor)
    {
        _initializers.Add(tensor);
        _initializerDims[tensor.Name] = tensor.Dims;
    }

    private string NewName(string? requested, string opType)
    {
        if (requested is not null) return Claim(requested);
        string candidate;
        do candidate = $"{opType}_{_autoNameCounter++}";
        while (_values.Contains(NamePrefix + candidate));
        return Claim(candidate);
    }

    private string Claim(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        name = NamePrefix + name;
        if (!_values.Add(name)) throw new ArgumentException($"the value name '{name}' is already used in graph '{_graphName}'", nameof(name));
        return name;
    }

    private void RequireDefined(string user, string value)
    {
        if (!_values.Contains(value))
            throw new ArgumentException($"{user}: value '{value}' is not defined (declare it as an input or initializer, or produce it first)");
    }

    private static void CheckShape(string name, IReadOnlyList<OnnxDim> shape)
    {
        if (shape.Any(d => d.Size is null && d.Symbol is null))
            throw new ArgumentException($"shape of '{name}' has an uninitialised dimension", nameof(shape));
    }
}
