using ElasticVit.Export;
using ElasticVit.Spaces;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Export;

[Collection(ElasticVit.Tests.Training.TorchRandomState.Name)]
public sealed class SubnetCheckpointTests : IDisposable
{
    private static readonly SearchSpace Fmnist = SpaceLoader.Load("elasticvit-fmnist");
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("elasticvit-ckpt-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    [Fact]
    public void SaveThenLoad_RebuildsTheSameModel_WithoutTheSupernet()
    {
        using var model = ExportTestModels.Random(Fmnist, Fmnist.Resolve("mid"), 4);
        var info = ExportTestModels.Info(Fmnist) with { ClassNames = [.. Enumerable.Range(0, 10).Select(i => $"c{i}")] };
        var path = PathOf("mid.evsub");
        SubnetCheckpoint.Save(path, model, info);

        var (loaded, loadedInfo) = SubnetCheckpoint.Load(path);
        using var _ = loaded;
        Assert.Equal(model.Subnet, loaded.Subnet);
        Assert.Equal(Fmnist.Name, loaded.Space.Name);
        Assert.False(loaded.training);
        Assert.Equal(info.ClassNames, loadedInfo.ClassNames);
        Assert.Equal(info.Mean, loadedInfo.Mean);
        Assert.Equal(info.Std, loadedInfo.Std);
        Assert.Equal(ExportInfo.CurrentVersion, loadedInfo.ProducerVersion);
        using var scope = NewDisposeScope();
        var x = TorchTestTensors.Uniform(new Random(1), 0, 1, 3, 1, 28, 28);
        TorchTestTensors.AssertClose(ExportTestModels.Reference(model, info, x), ExportTestModels.Reference(loaded, loadedInfo, x), 0);
    }

    [Fact]
    public void Load_RebuildsACustomSpace_FromTheEmbeddedJson()
    {
        var json = Fmnist.SourceJson.Replace("\"elasticvit-fmnist\"", "\"my-space\"", StringComparison.Ordinal);
        var custom = SpaceLoader.Parse(json, "my-space.json");
        using var model = ExportTestModels.Random(custom, custom.MaxSubnet, 5);
        var path = PathOf("custom.evsub");
        SubnetCheckpoint.Save(path, model, ExportInfo.Plain(custom));

        var (loaded, _) = SubnetCheckpoint.Load(path);
        using var __ = loaded;
        Assert.Equal("my-space", loaded.Space.Name);
        Assert.Equal(custom.MaxSubnet, loaded.Subnet);
    }

    [Theory]
    [InlineData("flip a payload byte", "checksum")]
    [InlineData("flip a header byte", "checksum")]
    [InlineData("truncate", "truncated")]
    [InlineData("append", "unexpected bytes")]
    [InlineData("garbage", "not an ElasticViT subnet checkpoint")]
    public void Load_DamagedFile_FailsWithOneLineNamingTheFile(string damage, string expected)
    {
        using var model = ExportTestModels.Random(Fmnist, Fmnist.MinSubnet, 6);
        var path = PathOf("damaged.evsub");
        SubnetCheckpoint.Save(path, model, ExportInfo.Plain(Fmnist));
        var bytes = File.ReadAllBytes(path);
        bytes = damage switch
        {
            "flip a payload byte" => Flip(bytes, bytes.Length - 10),
            "flip a header byte" => Flip(bytes, 60),
            "truncate" => bytes[..(bytes.Length / 2)],
            "append" => [.. bytes, 0],
            _ => "hello, I am not a checkpoint"u8.ToArray(),
        };
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<CheckpointException>(() => SubnetCheckpoint.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);

        static byte[] Flip(byte[] b, int i)
        {
            b[i] ^= 0x40;
            return b;
        }
    }

    [Fact]
    public void Save_ReplacesAnExistingFile_AndLeavesNoTemporaryFiles()
    {
        using var model = ExportTestModels.Random(Fmnist, Fmnist.MinSubnet, 7);
        var path = PathOf("model.evsub");
        File.WriteAllText(path, "old");
        SubnetCheckpoint.Save(path, model, ExportInfo.Plain(Fmnist));
        Assert.Equal(["model.evsub"], _dir.GetFiles().Select(f => f.Name));
        Assert.Equal(model.Subnet, SubnetCheckpoint.Load(path).Model.Subnet);
    }
}
