using ElasticVit.Data;

namespace ElasticVit.Training;

/// <summary>The data of a run: training images (minus the held-out split), held-out, test, normalisation and augmentation.</summary>
public sealed record RunData(LabeledImages Train, LabeledImages HeldOut, LabeledImages Test, Normalization Normalization, Augmentation Augmentation)
{
    public static RunData Load(DatasetKind kind, string? dataDir, int heldOutPerClass, int seed, int? trainLimit = null)
    {
        var all = Datasets.Load(kind, dataDir);
        var split = HeldOutSplit.Carve(all.Train, heldOutPerClass, seed);
        var train = split.Train;
        if (trainLimit is int limit && limit < train.Count)
            train = train.Subset(Enumerable.Range(0, limit).ToArray());
        return new RunData(train, split.HeldOut, all.Test, Normalization.Compute(split.Train), Datasets.DefaultAugmentation(kind, train));
    }
}
