using System.Reflection;
using ElasticVit.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Nn;

/// <summary>
/// The ownership rule of docs/native-ownership.md, checked on the compiled code: no project method makes a
/// <see cref="Scalar"/> that nobody disposes — neither by an implicit conversion (<c>t * 0.5</c>, <c>clamp_min(1e-6)</c>)
/// nor through a TorchSharp method that makes one internally (<c>square()</c> is <c>pow(2)</c>). Such a Scalar is freed
/// by the finalizer thread, possibly while the native call that reads it is still running.
/// </summary>
public class ScalarOwnershipTests
{
    private static readonly Assembly Torch = typeof(Scalar).Assembly;

    private static bool MakesScalar(MethodBase m) =>
        m.DeclaringType?.Assembly == Torch && m is MethodInfo { ReturnType: var r } && r == typeof(Scalar)
        && (m.Name == "op_Implicit" || m.Name == "ToScalar");

    // A using declaration calls IDisposable.Dispose.
    private static bool DisposesScalar(MethodBase m) => (m.DeclaringType == typeof(Scalar) || m.DeclaringType == typeof(IDisposable)) && m.Name == "Dispose";

    /// <summary>
    /// TorchSharp methods that leave a Scalar to the finalizer: those that make one and dispose none, and those that call
    /// such a method (to a fixed point over TorchSharp's own call graph).
    /// </summary>
    private static HashSet<(Guid, int)> TorchMethodsLeavingScalars()
    {
        var calls = IlCalls.MethodsOf(Torch).Where(m => !MakesScalar(m))
            .ToDictionary(IlCalls.Key, m => (Method: m, Callees: IlCalls.Of(m).ToArray()));
        var leaving = calls.Where(kv => kv.Value.Callees.Any(MakesScalar) && !kv.Value.Callees.Any(DisposesScalar)).Select(kv => kv.Key).ToHashSet();
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (key, (_, callees)) in calls)
                if (!leaving.Contains(key) && callees.Any(c => leaving.Contains(IlCalls.Key(c)))) grew = leaving.Add(key);
        }
        return leaving;
    }

    [Fact]
    public void No_project_code_leaves_a_torch_Scalar_to_the_finalizer()
    {
        var leaving = TorchMethodsLeavingScalars();
        // The scanner finds the known cases, so an empty result below means something.
        Assert.Contains(IlCalls.Key(typeof(Tensor).GetMethod(nameof(Tensor.square))!), leaving);
        Assert.Contains(IlCalls.Key(typeof(Tensor).GetMethod("op_Multiply", [typeof(Tensor), typeof(double)])!), leaving);
        Assert.DoesNotContain(IlCalls.Key(typeof(Tensor).GetMethod(nameof(Tensor.mul), [typeof(Tensor)])!), leaving);

        var offenders = new List<string>();
        foreach (var assembly in new[] { typeof(ElasticSupernet).Assembly, typeof(ElasticVit.Cli.CliHost).Assembly, typeof(ScalarOwnershipTests).Assembly })
            foreach (var method in IlCalls.MethodsOf(assembly))
            {
                var callees = IlCalls.Of(method).ToArray();
                // An explicit ToScalar() is fine in a method that disposes Scalars (a using declaration) or in a static constructor (kept for good).
                var owns = callees.Any(DisposesScalar) || method is ConstructorInfo { IsStatic: true };
                foreach (var c in callees.Where(c => (MakesScalar(c) && (c.Name == "op_Implicit" || !owns)) || leaving.Contains(IlCalls.Key(c))))
                    offenders.Add($"{method.DeclaringType?.FullName}.{method.Name} calls {c.DeclaringType?.Name}.{c}");
            }
        Assert.True(offenders.Count == 0, $"{offenders.Count} calls leave a Scalar to the finalizer:\n" + string.Join("\n", offenders.Distinct().Order()));
    }
}
