using ElasticVit.Distributed;
using ElasticVit.Spaces;

namespace ElasticVit.Search;

/// <summary>
/// Spreads each batch of fitness evaluations over the ranks of a job: rank r scores subnets r, r + N, r + 2N …, and
/// every rank gets all scores back. Every rank runs the same search with the same seed on the same scores, so the
/// search's result is that of one process (a subnet's fitness does not depend on which rank scored it).
/// </summary>
public sealed class DistributedEvaluator(ISubnetEvaluator local, ICommunicator comm) : ISubnetEvaluator
{
    public double[] Evaluate(IReadOnlyList<Subnet> subnets)
    {
        if (comm.Size == 1) return local.Evaluate(subnets);
        var mine = comm.OwnShare(subnets.Count).ToList();
        var own = mine.Count == 0 ? [] : local.Evaluate(mine.Select(i => subnets[i]).ToList());
        var scores = new double[subnets.Count];
        for (var k = 0; k < mine.Count; k++) scores[mine[k]] = own[k];
        // Each score comes from one rank and the others add exact zeros: the sum gathers them unchanged.
        comm.AllReduceSum(scores);
        return scores;
    }
}
