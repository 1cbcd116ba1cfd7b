using ElasticVit.Data;
using ElasticVit.Tests.Data;
using ElasticVit.Training;

namespace ElasticVit.Tests.Search;

/// <summary>
/// A trained run directory on the tiny space and a small synthetic Fashion-MNIST (500 training, 100 held-out, 200 test
/// images), trained for a few cas-pas steps: seconds to build, shared by the tests of a class.
/// </summary>
public sealed class TinyRun : IDisposable
{
    private readonly TempDir _dir = new();

    public string Path => _dir.File("run");

    public TinyRun()
    {
        var data = _dir.File("data");
        Directory.CreateDirectory(data);
        DataFixtures.WriteFashionMnist(data, 600, 200, 28, 28, gzip: false);
        var space = _dir.File("tiny.json");
        File.WriteAllText(space, TestSpaces.TinyJson);
        var options = new TrainOptions
        {
            Space = space, Dataset = DatasetKind.FashionMnist, DataDir = data, Sampler = "cas-pas", Steps = 4, BatchSize = 16,
            HeldOutPerClass = 10, CheckpointEvery = 4, ProbeEvery = 0, Threads = 1, Seed = 1,
        };
        using var trainer = new Trainer(options, new RunDirectory(Path), resume: false);
        trainer.Run();
    }

    public void Dispose() => _dir.Dispose();
}
