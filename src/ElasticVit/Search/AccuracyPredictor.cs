using ElasticVit.Spaces;

namespace ElasticVit.Search;

/// <summary>
/// Predicts a subnet's fitness by ridge regression on its encoding: every elastic dimension's value scaled to
/// [0, 1] over its choices, plus FLOPs and parameters relative to the max subnet.
/// </summary>
public sealed class AccuracyPredictor
{
    private readonly Featurizer _features;
    private readonly RidgeRegression _model;

    private AccuracyPredictor(Featurizer features, RidgeRegression model) => (_features, _model) = (features, model);

    public static AccuracyPredictor Fit(SearchSpace space, IReadOnlyList<Subnet> subnets, IReadOnlyList<double> fitness, double lambda = 1.0)
    {
        var features = new Featurizer(new Genome(space));
        return new AccuracyPredictor(features, RidgeRegression.Fit(subnets.Select(features.Of).ToArray(), fitness, lambda));
    }

    internal static AccuracyPredictor Fit(Genome genome, IReadOnlyList<ScoredSubnet> data, double lambda)
    {
        var features = new Featurizer(genome);
        return new AccuracyPredictor(features, RidgeRegression.Fit(data.Select(d => features.Of(d.Subnet)).ToArray(), data.Select(d => d.Fitness).ToArray(), lambda));
    }

    public double Predict(Subnet subnet) => _model.Predict(_features.Of(subnet));

    private sealed class Featurizer(Genome genome)
    {
        private readonly Cost _max = Complexity.Of(genome.Space, genome.Space.MaxSubnet);

        public double[] Of(Subnet subnet)
        {
            var g = genome.Encode(subnet);
            var x = new double[g.Length + 2];
            for (var i = 0; i < g.Length; i++)
            {
                var values = genome.Genes[i].Values;
                x[i] = values.Count == 1 ? 0 : (values[g[i]] - values[0]) / (double)(values[^1] - values[0]);
            }
            var cost = Complexity.Of(genome.Space, subnet);
            x[^2] = cost.Macs / (double)_max.Macs;
            x[^1] = cost.Params / (double)_max.Params;
            return x;
        }
    }
}
