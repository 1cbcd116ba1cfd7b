using ElasticVit.IO;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Export;

/// <summary>
/// A standalone subnet: the static model's weights plus everything needed to rebuild and deploy it without the
/// supernet — the search space JSON (so custom spaces load too), the subnet, class names, input shape and
/// normalisation. Layout (integers little-endian):
/// <code>
/// "EVITSUBN" | u32 format version | u32 header bytes | i64 payload bytes | SHA-256(header ‖ payload) | header | payload
/// </code>
/// The header is UTF-8 JSON; the payload is TorchSharp's <c>Module.save</c> state dict.
/// </summary>
public static class SubnetCheckpoint
{
    public const int FormatVersion = 1;
    private static readonly byte[] Magic = "EVITSUBN"u8.ToArray();
    private const int PreambleBytes = 8 + 4 + 4 + 8 + 32;

    /// <summary>Writes <paramref name="model"/> and <paramref name="info"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, StaticModel model, ExportInfo info)
    {
        info.Validate(model.Space);
        var header = Encoding.UTF8.GetBytes(Header(model, info).ToJsonString());
        byte[] payload;
        using (var buffer = new MemoryStream())
        {
            model.save(buffer);
            payload = buffer.ToArray();
        }
        var preamble = new byte[PreambleBytes];
        Magic.CopyTo(preamble, 0);
        BinaryPrimitives.WriteInt32LittleEndian(preamble.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(preamble.AsSpan(12), header.Length);
        BinaryPrimitives.WriteInt64LittleEndian(preamble.AsSpan(16), payload.Length);
        Checksum(header, payload).CopyTo(preamble, 24);
        AtomicFile.Write(path, s =>
        {
            s.Write(preamble);
            s.Write(header);
            s.Write(payload);
        });
    }

    /// <summary>
    /// Rebuilds the static model (in eval mode) and its export info. Call it outside any dispose scope: the model's
    /// parameters belong to the scope they are created in. Fails with a one-line <see cref="CheckpointException"/>.
    /// </summary>
    public static (StaticModel Model, ExportInfo Info) Load(string path)
    {
        var bytes = IO.InputFile.ReadBytes(path, Training.CheckpointFile.MaxBytes, m => new CheckpointException(m));
        if (bytes.Length < PreambleBytes || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
            throw Fail(path, "not an ElasticViT subnet checkpoint (no EVITSUBN header)");
        var version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (version != FormatVersion)
            throw Fail(path, $"checkpoint format version {version} is not supported (this build reads version {FormatVersion})");
        long headerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12));
        var payloadLength = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16));
        var expected = PreambleBytes + headerLength + payloadLength;
        if (headerLength < 0 || payloadLength < 0 || expected > bytes.Length)
            throw Fail(path, $"truncated: {bytes.Length} bytes, the header announces {expected}");
        if (expected < bytes.Length) throw Fail(path, $"{bytes.Length - expected} unexpected bytes after the payload");
        var header = bytes.AsSpan(PreambleBytes, (int)headerLength).ToArray();
        var payload = bytes.AsSpan(PreambleBytes + (int)headerLength).ToArray();
        if (!Checksum(header, payload).AsSpan().SequenceEqual(bytes.AsSpan(24, 32)))
            throw Fail(path, "SHA-256 checksum mismatch: the file is corrupt");

        var (space, subnet, info, dtype) = ParseHeader(path, header);
        var model = new StaticModel(space, subnet);
        try
        {
            model.to(dtype);
            using var stream = new MemoryStream(payload);
            model.load(stream);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            model.Dispose();
            throw Fail(path, $"the weights do not fit subnet {subnet.Key} ({e.Message.Split('\n')[0]})", e);
        }
        model.eval();
        return (model, info);
    }

    private static JsonObject Header(StaticModel model, ExportInfo info) => new()
    {
        ["format"] = "elasticvit-subnet",
        ["format_version"] = FormatVersion,
        ["producer"] = ExportInfo.ProducerName,
        ["producer_version"] = info.ProducerVersion,
        ["space_name"] = model.Space.Name,
        ["space_json"] = model.Space.SourceJson.Length > 0
            ? model.Space.SourceJson
            : throw new ArgumentException($"space {model.Space.Name} was not loaded from JSON, so it cannot be embedded"),
        ["subnet_key"] = model.Subnet.Key,
        ["subnet"] = SubnetJson.ToJson(model.Subnet),
        ["class_names"] = new JsonArray(info.ClassNames.Select(n => (JsonNode?)n).ToArray()),
        ["input"] = new JsonObject { ["channels"] = model.Space.Input.Channels, ["native_size"] = model.Space.Input.NativeSize },
        ["mean"] = new JsonArray(info.Mean.Select(m => (JsonNode?)m).ToArray()),
        ["std"] = new JsonArray(info.Std.Select(s => (JsonNode?)s).ToArray()),
        ["dtype"] = model.layers[0].parameters().First().dtype == ScalarType.Float64 ? "float64" : "float32",
    };

    private static (SearchSpace, Subnet, ExportInfo, ScalarType) ParseHeader(string path, byte[] header)
    {
        try
        {
            var o = InputFile.Node(header, $"{path} (header)", m => new CheckpointException(m)) as JsonObject ?? throw Fail(path, "header is not a JSON object");
            var space = SpaceLoader.Parse(Get<string>(o, "space_json"), $"{path} (embedded space)");
            var subnet = SubnetJson.Parse(o["subnet"]?.ToJsonString() ?? "", space, $"{path} (subnet)");
            if (subnet.Key != Get<string>(o, "subnet_key"))
                throw Fail(path, $"subnet JSON gives {subnet.Key}, the header's key is {Get<string>(o, "subnet_key")}");
            var info = new ExportInfo(List<string>(o, "class_names"), List<float>(o, "mean"), List<float>(o, "std"))
            {
                ProducerVersion = Get<string>(o, "producer_version"),
            };
            info.Validate(space);
            var dtype = Get<string>(o, "dtype") switch
            {
                "float32" => ScalarType.Float32,
                "float64" => ScalarType.Float64,
                var other => throw Fail(path, $"unsupported dtype '{other}'"),
            };
            return (space, subnet, info, dtype);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException or SpaceException)
        {
            throw Fail(path, $"bad header ({e.Message.Split('\n')[0]})", e);
        }
    }

    private static T Get<T>(JsonObject o, string key) =>
        (o[key] ?? throw new FormatException($"missing '{key}'")).GetValue<T>();

    private static T[] List<T>(JsonObject o, string key) =>
        (o[key] as JsonArray ?? throw new FormatException($"'{key}' must be an array")).Select(n => n!.GetValue<T>()).ToArray();

    private static byte[] Checksum(byte[] header, byte[] payload)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(header);
        sha.AppendData(payload);
        return sha.GetHashAndReset();
    }

    private static CheckpointException Fail(string path, string problem, Exception? inner = null) => new($"{path}: {problem}", inner);
}
