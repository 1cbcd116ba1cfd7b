using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace ElasticVit.Export;

/// <summary>One class and its probability.</summary>
public readonly record struct ClassScore(int Index, string Name, float Probability);

/// <summary>
/// Runs an image classifier exported by <see cref="OnnxExporter"/> in ONNX Runtime: raw images (float in [0, 1],
/// [C, S, S] each, at the size the model declares) in, logits or probabilities out. Other single-input float
/// [batch, C, H, W] classifiers work too; without metadata their classes are named by index.
/// </summary>
public sealed class OnnxClassifier : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _inputName;
    private readonly string _outputName;

    public string Source { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The model's <c>metadata_props</c> (subnet key, space, mean/std, … for exported models).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public int ValuesPerImage => Channels * Height * Width;

    /// <summary>The largest model file loaded: 2 GiB, the protocol-buffers limit of one ONNX file.</summary>
    public const long MaxModelBytes = 2L << 30;

    /// <summary>The batch the model's input is fixed to (a portable export), or null when any batch runs.</summary>
    public int? FixedBatch { get; }

    private OnnxClassifier(InferenceSession session, string source)
    {
        (_session, Source) = (session, source);
        if (session.InputMetadata.Count != 1 || session.OutputMetadata.Count != 1)
            throw new OnnxException($"{source}: expected one input and one output, the model has {session.InputMetadata.Count} and {session.OutputMetadata.Count}");
        var (inputName, input) = session.InputMetadata.Single();
        var dims = input.Dimensions;
        if (input.ElementType != typeof(float) || dims.Length != 4 || dims.Skip(1).Any(d => d <= 0))
            throw new OnnxException($"{source}: input '{inputName}' is {input.ElementType.Name}[{string.Join(", ", dims)}], expected float [batch, C, H, W] with fixed C, H, W");
        (_inputName, Channels, Height, Width) = (inputName, dims[1], dims[2], dims[3]);
        FixedBatch = dims[0] > 0 ? dims[0] : null;
        var (outputName, output) = session.OutputMetadata.Single();
        if (output.Dimensions.Length != 2 || output.Dimensions[1] <= 0)
            throw new OnnxException($"{source}: output '{outputName}' has shape [{string.Join(", ", output.Dimensions)}], expected [batch, classes]");
        _outputName = outputName;
        Metadata = new Dictionary<string, string>(session.ModelMetadata.CustomMetadataMap, StringComparer.Ordinal);
        ClassNames = ReadClassNames(output.Dimensions[1]);
    }

    /// <param name="threads">Intra-op threads; 0 lets ONNX Runtime choose.</param>
    public static OnnxClassifier Load(string path, int threads = 0)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model file '{path}' does not exist", path);
        // Protocol buffers cap a message at 2 GiB, so a larger file is no single-file ONNX model: refused before it is read.
        IO.InputFile.RequireAtMost(path, MaxModelBytes, message => new OnnxException(message));
        return Create(options => new InferenceSession(path, options), path, threads);
    }

    public static OnnxClassifier Load(byte[] model, int threads = 0, string source = "ONNX model") =>
        Create(options => new InferenceSession(model, options), source, threads);

    private static OnnxClassifier Create(Func<SessionOptions, InferenceSession> open, string source, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        InferenceSession session;
        try { session = open(options); }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxException($"{source}: not a loadable ONNX model ({FirstLine(e.Message)})", e);
        }
        try { return new OnnxClassifier(session, source); }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Throws a one-line <see cref="OnnxException"/> unless an image of <paramref name="height"/>×<paramref name="width"/> fits the model.</summary>
    public void CheckImageSize(string image, int height, int width)
    {
        if (height != Height || width != Width)
            throw new OnnxException($"{image}: image is {height}×{width}, the model {Source} expects {Height}×{Width}");
    }

    /// <summary>Logits [count][classes] of a batch of images laid out [count, C, H, W] one after another.</summary>
    public float[][] Logits(float[] images)
    {
        if (images.Length == 0 || images.Length % ValuesPerImage != 0)
            throw new OnnxException($"{Source}: expects images of {Channels}×{Height}×{Width} ({ValuesPerImage} values each), got {images.Length} values");
        var count = images.Length / ValuesPerImage;
        if (FixedBatch is not { } batch || batch == count) return Run(images, count);
        // A fixed-batch model runs the images in chunks of its batch, the last one padded with blank images.
        var rows = new List<float[]>(count);
        var chunk = new float[batch * ValuesPerImage];
        for (var start = 0; start < count; start += batch)
        {
            var n = Math.Min(batch, count - start);
            Array.Clear(chunk);
            images.AsSpan(start * ValuesPerImage, n * ValuesPerImage).CopyTo(chunk);
            rows.AddRange(Run(chunk, batch).Take(n));
        }
        return [.. rows];
    }

    private float[][] Run(float[] images, int count)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(images, [count, Channels, Height, Width]);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, [_inputName], [input], [_outputName]);
        var flat = outputs[0].GetTensorDataAsSpan<float>();
        var classes = ClassNames.Count;
        var rows = new float[count][];
        for (var i = 0; i < count; i++) rows[i] = flat.Slice(i * classes, classes).ToArray();
        return rows;
    }

    /// <summary>Softmax of <see cref="Logits"/>.</summary>
    public float[][] Probabilities(float[] images) => Logits(images).Select(Softmax).ToArray();

    /// <summary>The <paramref name="k"/> most probable classes of each image, best first.</summary>
    public ClassScore[][] Top(float[] images, int k) =>
        Probabilities(images).Select(p => p.Select((q, i) => new ClassScore(i, ClassNames[i], q))
            .OrderByDescending(s => s.Probability).ThenBy(s => s.Index).Take(k).ToArray()).ToArray();

    public static float[] Softmax(float[] logits)
    {
        var max = logits.Max();
        var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
        var sum = exp.Sum();
        return exp.Select(e => (float)(e / sum)).ToArray();
    }

    private IReadOnlyList<string> ReadClassNames(int classes)
    {
        if (!Metadata.TryGetValue(MetadataKeys.ClassNames, out var json))
            return Enumerable.Range(0, classes).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        string[]? names;
        try { names = JsonSerializer.Deserialize<string[]>(json); }
        catch (JsonException e) { throw new OnnxException($"{Source}: metadata '{MetadataKeys.ClassNames}' is not a JSON array of strings ({FirstLine(e.Message)})", e); }
        if (names is null || names.Length != classes)
            throw new OnnxException($"{Source}: metadata lists {names?.Length ?? 0} class names, the model outputs {classes} classes");
        return names;
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    public void Dispose() => _session.Dispose();
}
