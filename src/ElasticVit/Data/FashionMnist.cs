namespace ElasticVit.Data;

/// <summary>Fashion-MNIST (28x28 grayscale, 10 classes) as shipped by Debian's dataset-fashion-mnist.</summary>
public static class FashionMnist
{
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Grayscale: one channel per image.</summary>
    public const int Channels = 1;

    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Loads both sets from <paramref name="directory"/> (gzipped or plain IDX files).</summary>
    public static TrainTest Load(string? directory = null) => new(LoadTrain(directory), LoadTest(directory));

    public static LabeledImages LoadTrain(string? directory = null) => LoadSet(directory, "train");

    public static LabeledImages LoadTest(string? directory = null) => LoadSet(directory, "t10k");

    private static LabeledImages LoadSet(string? directory, string prefix)
    {
        string dir = directory ?? DefaultDirectory;
        return Idx.Read(
            DataFiles.Find(dir, $"{prefix}-images-idx3-ubyte"),
            DataFiles.Find(dir, $"{prefix}-labels-idx1-ubyte"),
            ClassNames);
    }
}
