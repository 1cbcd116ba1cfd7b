using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Training;

/// <summary>
/// A simple, explicit binary format for named tensors (name, dtype, shape, raw little-endian data), independent of
/// TorchSharp's own save format so checkpoints can be checksummed and validated before anything is loaded.
/// </summary>
public static class TensorArchive
{
    public static void Write(BinaryWriter w, IReadOnlyDictionary<string, Tensor> tensors)
    {
        w.Write(tensors.Count);
        foreach (var (name, t) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            using var scope = NewDisposeScope();   // detach() and cpu() may make temporaries (docs/native-ownership.md)
            var cpu = t.detach().cpu().contiguous();
            w.Write(name);
            w.Write((int)cpu.dtype);
            w.Write(cpu.dim());
            foreach (var d in cpu.shape) w.Write(d);
            var bytes = cpu.bytes;
            w.Write(bytes.Length);
            w.Write(bytes);
        }
    }

    /// <summary>Reads tensors as CPU tensors (detached from any dispose scope).</summary>
    public static Dictionary<string, Tensor> Read(BinaryReader r)
    {
        var count = r.ReadInt32();
        var result = new Dictionary<string, Tensor>(count);
        for (var i = 0; i < count; i++)
        {
            var name = r.ReadString();
            var dtype = (ScalarType)r.ReadInt32();
            var rank = r.ReadInt64();
            var shape = new long[rank];
            for (var d = 0; d < rank; d++) shape[d] = r.ReadInt64();
            var length = r.ReadInt32();
            var t = empty(shape, dtype).DetachFromDisposeScope();
            if (t.bytes.Length != length) throw new CheckpointException($"tensor {name}: {length} bytes for shape [{string.Join(",", shape)}]");
            r.ReadBytes(length).CopyTo(t.bytes);
            result[name] = t;
        }
        return result;
    }

    /// <summary>Copies archived tensors into a module's state (parameters and buffers), checking names and shapes.</summary>
    public static void LoadInto(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        using var _ = no_grad();
        foreach (var (name, t) in module.state_dict())
        {
            if (!tensors.TryGetValue(name, out var saved))
                throw new CheckpointException($"{source}: missing tensor '{name}' (was it written for another space?)");
            if (!saved.shape.SequenceEqual(t.shape))
                throw new CheckpointException($"{source}: tensor '{name}' has shape [{string.Join(",", saved.shape)}], the model expects [{string.Join(",", t.shape)}]");
            t.copy_(saved);
        }
    }
}
