namespace ElasticVit.Search;

/// <summary>
/// Linear least squares with an L2 penalty, closed form: features are standardised, the intercept is the target
/// mean and is not penalised, and (ZᵀZ + λI) w = Zᵀ(y − ȳ) is solved by Cholesky.
/// </summary>
internal sealed class RidgeRegression
{
    private readonly double[] _mean, _scale, _weights;
    private readonly double _intercept;

    private RidgeRegression(double[] mean, double[] scale, double[] weights, double intercept) =>
        (_mean, _scale, _weights, _intercept) = (mean, scale, weights, intercept);

    public static RidgeRegression Fit(IReadOnlyList<double[]> x, IReadOnlyList<double> y, double lambda)
    {
        if (x.Count == 0 || x.Count != y.Count) throw new ArgumentException($"{x.Count} feature rows against {y.Count} targets");
        int n = x.Count, d = x[0].Length;
        var mean = new double[d];
        var scale = new double[d];
        for (var j = 0; j < d; j++)
        {
            mean[j] = x.Average(r => r[j]);
            var std = Math.Sqrt(x.Average(r => (r[j] - mean[j]) * (r[j] - mean[j])));
            scale[j] = std > 1e-12 ? std : 1; // a constant feature becomes an all-zero column and gets weight 0
        }
        var yMean = y.Average();
        var a = new double[d, d];
        var b = new double[d];
        var z = new double[d];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < d; j++) z[j] = (x[i][j] - mean[j]) / scale[j];
            for (var j = 0; j < d; j++)
            {
                b[j] += z[j] * (y[i] - yMean);
                for (var k = 0; k <= j; k++) a[j, k] += z[j] * z[k];
            }
        }
        for (var j = 0; j < d; j++) a[j, j] += lambda;
        return new RidgeRegression(mean, scale, SolveCholesky(a, b), yMean);
    }

    public double Predict(double[] x)
    {
        var y = _intercept;
        for (var j = 0; j < _weights.Length; j++) y += _weights[j] * (x[j] - _mean[j]) / _scale[j];
        return y;
    }

    /// <summary>Solves A w = b for symmetric positive-definite A given by its lower triangle.</summary>
    private static double[] SolveCholesky(double[,] a, double[] b)
    {
        var d = b.Length;
        var l = new double[d, d];
        for (var j = 0; j < d; j++)
        {
            var sum = a[j, j];
            for (var k = 0; k < j; k++) sum -= l[j, k] * l[j, k];
            l[j, j] = Math.Sqrt(sum);
            for (var i = j + 1; i < d; i++)
            {
                var s = a[i, j];
                for (var k = 0; k < j; k++) s -= l[i, k] * l[j, k];
                l[i, j] = s / l[j, j];
            }
        }
        var w = new double[d];
        for (var i = 0; i < d; i++)
        {
            var s = b[i];
            for (var k = 0; k < i; k++) s -= l[i, k] * w[k];
            w[i] = s / l[i, i];
        }
        for (var i = d - 1; i >= 0; i--)
        {
            var s = w[i];
            for (var k = i + 1; k < d; k++) s -= l[k, i] * w[k];
            w[i] = s / l[i, i];
        }
        return w;
    }
}
