using ElasticVit.Data;
using static ElasticVit.Tests.Data.DataFixtures;

namespace ElasticVit.Tests.Data;

public sealed class HeldOutSplitTests
{
    // 60 images of 3 classes; image i has label i % 3 and a distinct first pixel (i * 37 mod 256 is injective below 256).
    private static readonly LabeledImages Images = Synthetic(60, classes: 3, channels: 1, height: 2, width: 2);

    private static int[] Ids(LabeledImages set) => Enumerable.Range(0, set.Count).Select(i => (int)set.Image(i)[0]).ToArray();

    [Fact]
    public void Carve_HoldsOutPerClass_DisjointFromTheRest_AndCoversAll()
    {
        var split = HeldOutSplit.Carve(Images, perClass: 4, seed: 1);

        Assert.Equal([4, 4, 4], split.HeldOut.ClassCounts());
        Assert.Equal([16, 16, 16], split.Train.ClassCounts());
        Assert.Empty(Ids(split.Train).Intersect(Ids(split.HeldOut)));
        Assert.Equal(Ids(Images).Order(), Ids(split.Train).Concat(Ids(split.HeldOut)).Order());
        Assert.Equal(split.HeldOutIndices.Select(i => Images.Labels[i]), split.HeldOut.Labels);
    }

    [Fact]
    public void Carve_SameSeed_SameSplit_OtherSeed_OtherSplit()
    {
        var a = HeldOutSplit.Carve(Images, 4, seed: 7);
        var b = HeldOutSplit.Carve(Images, 4, seed: 7);
        var c = HeldOutSplit.Carve(Images, 4, seed: 8);

        Assert.Equal(a.HeldOutIndices, b.HeldOutIndices);
        Assert.Equal(a.Train.Pixels, b.Train.Pixels);
        Assert.NotEqual(a.HeldOutIndices, c.HeldOutIndices);
    }

    [Fact]
    public void Carve_IsNotJustTheFirstImagesOfEachClass()
    {
        var split = HeldOutSplit.Carve(Images, 4, seed: 0);

        Assert.NotEqual(Enumerable.Range(0, 12), split.HeldOutIndices);
    }

    [Fact]
    public void Carve_LeavingAClassEmpty_Throws()
    {
        var e = Assert.Throws<DataException>(() => HeldOutSplit.Carve(Images, 20, 0));

        Assert.Contains("class 'class0' has 20 training images", e.Message);
    }

    [Fact]
    public void DefaultPerClass_Is500_OrATenthOfTheSmallestClass()
    {
        Assert.Equal(2, HeldOutSplit.DefaultPerClass(Images));
        Assert.Equal(500, HeldOutSplit.DefaultPerClass(Synthetic(60000, 10, 1, 1, 1)));
    }
}
