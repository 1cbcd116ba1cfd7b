namespace ElasticVit.Data;

/// <summary>
/// A validation set carved from a training set: <c>perClass</c> images of every class, chosen by a
/// seeded shuffle of that class's images, and the training images that remain. Both keep the
/// original image order; the same (images, perClass, seed) always gives the same split.
/// </summary>
public sealed record HeldOutSplit(LabeledImages Train, LabeledImages HeldOut, int[] HeldOutIndices)
{
    /// <summary>
    /// 500 per class, or a tenth of the smallest class if that is less: 500 for Fashion-MNIST and
    /// CIFAR-10, 50 for CIFAR-100.
    /// </summary>
    public static int DefaultPerClass(LabeledImages train) => Math.Min(500, train.ClassCounts().Min() / 10);

    public static HeldOutSplit Carve(LabeledImages train, int perClass, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(perClass);
        int[] counts = train.ClassCounts();
        for (int c = 0; c < counts.Length; c++)
        {
            if (counts[c] <= perClass)
                throw new DataException($"class '{train.ClassNames[c]}' has {counts[c]} training images; holding out {perClass} per class would leave none to train on");
        }

        var held = new bool[train.Count];
        for (int c = 0; c < counts.Length; c++)
        {
            int[] members = Enumerable.Range(0, train.Count).Where(i => train.Labels[i] == c).ToArray();
            // One stream per class, so a class's choice does not depend on the others.
            var rng = SplitMix64.For(seed, (long)RandomStream.HeldOut, c);
            rng.Shuffle(members);
            foreach (int i in members.AsSpan(0, perClass)) held[i] = true;
        }

        int[] heldIndices = Enumerable.Range(0, train.Count).Where(i => held[i]).ToArray();
        int[] keptIndices = Enumerable.Range(0, train.Count).Where(i => !held[i]).ToArray();
        return new(train.Subset(keptIndices), train.Subset(heldIndices), heldIndices);
    }
}
