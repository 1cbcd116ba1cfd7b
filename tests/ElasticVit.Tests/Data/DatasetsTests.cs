using ElasticVit.Data;
using static ElasticVit.Tests.Data.DataFixtures;

namespace ElasticVit.Tests.Data;

public sealed class DatasetsTests
{
    [Fact]
    public void Load_DispatchesOnKind()
    {
        using var dir = new TempDir();
        WriteFashionMnist(dir.Path, train: 6, test: 2);

        var (train, test) = Datasets.Load(DatasetKind.FashionMnist, dir.Path);

        Assert.Equal((6, 2), (train.Count, test.Count));
        foreach (var kind in new[] { DatasetKind.Cifar10, DatasetKind.Cifar100, DatasetKind.ImageFolder })
            Assert.Contains("give --data-dir", Assert.Throws<DataException>(() => Datasets.Load(kind)).Message);
    }

    [Fact]
    public void DefaultAugmentation_PadsTwoForFashionMnist_FourForCifar_AnEighthForFolders()
    {
        var any = Synthetic(1, 1, 3, 64, 48);

        Assert.Equal(new Augmentation(2, true), Datasets.DefaultAugmentation(DatasetKind.FashionMnist, any));
        Assert.Equal(new Augmentation(4, true), Datasets.DefaultAugmentation(DatasetKind.Cifar100, any));
        Assert.Equal(new Augmentation(6, true), Datasets.DefaultAugmentation(DatasetKind.ImageFolder, any));
    }
}
