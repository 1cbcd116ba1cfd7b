namespace ElasticVit.Data;

public enum DatasetKind { FashionMnist, Cifar10, Cifar100, ImageFolder }

/// <summary>One entry point over the readers, with each dataset's default augmentation.</summary>
public static class Datasets
{
    /// <summary>
    /// Loads a dataset's train and test sets. <paramref name="directory"/> may be null only for
    /// Fashion-MNIST (Debian's copy); <paramref name="folderOptions"/> applies to image folders.
    /// </summary>
    public static TrainTest Load(DatasetKind kind, string? directory = null, ImageFolderOptions? folderOptions = null) => kind switch
    {
        DatasetKind.FashionMnist => FashionMnist.Load(directory),
        DatasetKind.Cifar10 => Cifar.LoadCifar10(directory ?? throw new DataException("CIFAR-10 needs its folder: give --data-dir")),
        DatasetKind.Cifar100 => Cifar.LoadCifar100(directory ?? throw new DataException("CIFAR-100 needs its folder: give --data-dir")),
        DatasetKind.ImageFolder => ImageFolder.Load(directory ?? throw new DataException("an image-folder dataset needs its root folder: give --data-dir"), folderOptions),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Pad-and-crop plus horizontal flip, padded 2 for Fashion-MNIST, 4 for CIFAR, side/8 for folders.</summary>
    public static Augmentation DefaultAugmentation(DatasetKind kind, LabeledImages train) => kind switch
    {
        DatasetKind.FashionMnist => Augmentation.FashionMnist,
        DatasetKind.Cifar10 or DatasetKind.Cifar100 => Augmentation.Cifar,
        _ => Augmentation.ForSize(train.Height, train.Width),
    };
}
