namespace ElasticVit.Tests;

public class StatisticsTests
{
    [Fact]
    public void The_median_of_an_even_count_is_the_mean_of_the_two_middle_values_whatever_their_order()
    {
        Assert.Equal(3.0, Statistics.Median([5.0, 1.0, 3.0]));
        Assert.Equal(2.5, Statistics.Median([4.0, 1.0, 3.0, 2.0]));
        Assert.Equal(7.0, Statistics.Median([7.0]));
    }

    [Fact]
    public void Quantiles_interpolate_between_order_statistics_like_numpy()
    {
        double[] sorted = [1.0, 2.0, 4.0, 8.0];
        Assert.Equal(1.0, Statistics.QuantileOfSorted(sorted, 0));
        Assert.Equal(8.0, Statistics.QuantileOfSorted(sorted, 1));
        Assert.Equal(1.3, Statistics.QuantileOfSorted(sorted, 0.1), 12);   // numpy.quantile([1, 2, 4, 8], 0.1)
        Assert.Equal(5.0, Statistics.QuantileOfSorted(sorted, 0.75), 12);
        Assert.Throws<ArgumentException>(() => Statistics.QuantileOfSorted([], 0.5));
    }
}
