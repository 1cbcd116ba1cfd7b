using System.Runtime.InteropServices;

namespace ElasticVit.Distributed;

/// <summary>
/// The job's processes through Open MPI's C library (libmpi.so.40, Open MPI 4.x), called directly: Open MPI's handles
/// (the world communicator, datatypes, reduction ops) are the addresses of exported symbols, so no C shim is needed.
/// Created once per process (MPI can be initialised only once) by <see cref="Communicator.World"/>.
/// </summary>
public sealed unsafe class OpenMpi : ICommunicator
{
    private const string Library = "libmpi.so.40";
    private const int ThreadSerialized = 2;   // MPI_THREAD_SERIALIZED: any thread may call, one at a time
    private static readonly void* InPlace = (void*)1;   // Open MPI's MPI_IN_PLACE

    private readonly nint _world, _float, _double, _byte, _sum, _max;
    private readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> _allreduce;
    private readonly delegate* unmanaged<void*, int, nint, int, nint, int> _bcast;
    private readonly delegate* unmanaged<nint, int> _barrier;
    private readonly delegate* unmanaged<nint, int, int> _abort;
    private readonly delegate* unmanaged<int> _finalize;
    private bool _finalized;

    public int Rank { get; }
    public int Size { get; }
    public string Description => $"Open MPI, {Size} ranks";

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern nint DlOpen(string file, int mode);
    private const int RtldNow = 2, RtldGlobal = 0x100;

    public OpenMpi()
    {
        // Open MPI loads its components as plugins that resolve libmpi's symbols globally: the library must be
        // opened RTLD_GLOBAL (as mpi4py does), which NativeLibrary.Load does not do.
        var handle = DlOpen(Library, RtldNow | RtldGlobal);
        if (handle == 0) throw new DistributedException($"running under mpirun but {Library} cannot be loaded; install Open MPI 4 (Debian: openmpi-bin)");
        nint Symbol(string name) => NativeLibrary.GetExport(handle, name);
        _world = Symbol("ompi_mpi_comm_world");
        _float = Symbol("ompi_mpi_float");
        _double = Symbol("ompi_mpi_double");
        _byte = Symbol("ompi_mpi_byte");
        _sum = Symbol("ompi_mpi_op_sum");
        _max = Symbol("ompi_mpi_op_max");
        _allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Symbol("MPI_Allreduce");
        _bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Symbol("MPI_Bcast");
        _barrier = (delegate* unmanaged<nint, int>)Symbol("MPI_Barrier");
        _abort = (delegate* unmanaged<nint, int, int>)Symbol("MPI_Abort");
        _finalize = (delegate* unmanaged<int>)Symbol("MPI_Finalize");
        var initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Symbol("MPI_Init_thread");
        var commRank = (delegate* unmanaged<nint, int*, int>)Symbol("MPI_Comm_rank");
        var commSize = (delegate* unmanaged<nint, int*, int>)Symbol("MPI_Comm_size");
        int provided, rank, size;
        Check(initThread(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
        if (provided < ThreadSerialized) throw new DistributedException($"Open MPI provides thread level {provided}; the project needs MPI_THREAD_SERIALIZED");
        Check(commRank(_world, &rank), "MPI_Comm_rank");
        Check(commSize(_world, &size), "MPI_Comm_size");
        (Rank, Size) = (rank, size);
    }

    public void AllReduceSum(Span<float> values) => AllReduce(values, _float, _sum);
    public void AllReduceSum(Span<double> values) => AllReduce(values, _double, _sum);
    public void AllReduceMax(Span<double> values) => AllReduce(values, _double, _max);

    private void AllReduce<T>(Span<T> values, nint type, nint op) where T : unmanaged
    {
        fixed (T* p = values)
            // MPI counts are ints: chunk buffers of more than 2³¹ − 1 elements.
            for (long start = 0; start < values.Length; start += int.MaxValue)
            {
                var count = (int)Math.Min(int.MaxValue, values.Length - start);
                Check(_allreduce(InPlace, p + start, count, type, op, _world), "MPI_Allreduce");
            }
    }

    public byte[] Broadcast(byte[]? rootData)
    {
        long length = Rank == 0 ? (rootData ?? throw new ArgumentNullException(nameof(rootData))).LongLength : 0;
        Check(_bcast(&length, sizeof(long), _byte, 0, _world), "MPI_Bcast");   // the length as 8 bytes
        var data = Rank == 0 ? rootData! : new byte[length];
        fixed (byte* p = data)
            for (long start = 0; start < length; start += int.MaxValue)
                Check(_bcast(p + start, (int)Math.Min(int.MaxValue, length - start), _byte, 0, _world), "MPI_Bcast");
        return data;
    }

    public void Barrier() => Check(_barrier(_world), "MPI_Barrier");

    public void Abort(int exitCode)
    {
        _abort(_world, exitCode);
        Environment.Exit(exitCode);   // not reached: MPI_Abort ends the process
    }

    private static void Check(int code, string call)
    {
        // Open MPI's default error handler aborts the job before a failing call returns; this is the fallback.
        if (code != 0) throw new DistributedException($"{call} failed with MPI error {code}");
    }

    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        _finalize();
    }
}

/// <summary>The job's processes cannot work together (MPI missing, a collective failed). One-line message.</summary>
public sealed class DistributedException(string message) : UserError(message);
