namespace ElasticVit.Distributed;

/// <summary>
/// The processes of one job and the collective operations the project needs between them (Horovod's shape: rank 0's
/// state broadcast at the start, one fused allreduce of the gradients per step). Every rank must make the same calls in
/// the same order; all calls come from one thread at a time.
/// </summary>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's index, 0 … <see cref="Size"/> − 1; rank 0 owns the run directory and the output.</summary>
    int Rank { get; }

    /// <summary>Processes in the job.</summary>
    int Size { get; }

    /// <summary>What runs the job, for messages: "single process" or "Open MPI, N ranks".</summary>
    string Description { get; }

    /// <summary>Element-wise sum over the ranks, in place: afterwards every rank holds the same sums.</summary>
    void AllReduceSum(Span<float> values);

    /// <inheritdoc cref="AllReduceSum(Span{float})"/>
    void AllReduceSum(Span<double> values);

    /// <summary>Element-wise maximum over the ranks, in place.</summary>
    void AllReduceMax(Span<double> values);

    /// <summary>Rank 0's bytes on every rank (the argument is ignored on the other ranks).</summary>
    byte[] Broadcast(byte[]? rootData);

    void Barrier();

    /// <summary>Ends the whole job at once with <paramref name="exitCode"/> (after a rank failed: the others would wait for it forever).</summary>
    void Abort(int exitCode);
}

public static class CommunicatorExtensions
{
    extension(ICommunicator comm)
    {
        public bool IsRoot => comm.Rank == 0;

        /// <summary>
        /// <paramref name="read"/> evaluated on rank 0 only and its bytes sent to every rank: files of the run directory
        /// need to exist on rank 0's machine alone.
        /// </summary>
        public byte[] FromRoot(Func<byte[]> read) => comm.Size == 1 ? read() : comm.Broadcast(comm.Rank == 0 ? read() : null);

        /// <summary>The items of <paramref name="count"/> this rank handles when work is dealt out round-robin.</summary>
        public IEnumerable<int> OwnShare(int count) => Enumerable.Range(0, count).Where(i => i % comm.Size == comm.Rank);
    }
}
