using System.Reflection;
using System.Reflection.Emit;

namespace ElasticVit.Tests.Nn;

/// <summary>The methods a method's IL calls (call, callvirt, newobj, ldftn), read with reflection: a small static call graph.</summary>
internal static class IlCalls
{
    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    private static readonly Dictionary<short, OpCode> OpCodes = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>Every method and constructor with a body declared in <paramref name="assembly"/>, lambdas and iterators included.</summary>
    public static IEnumerable<MethodBase> MethodsOf(Assembly assembly)
    {
        Type[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { types = e.Types.Where(t => t is not null).ToArray()!; }
        foreach (var type in types)
        {
            foreach (var m in type.GetMethods(Declared)) if (m.GetMethodBody() is not null) yield return m;
            foreach (var c in type.GetConstructors(Declared)) if (c.GetMethodBody() is not null) yield return c;
        }
    }

    /// <summary>The methods <paramref name="method"/> calls; tokens that do not resolve are skipped.</summary>
    public static IEnumerable<MethodBase> Of(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var typeArgs = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var i = 0; i < il.Length;)
        {
            var value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodes[value];
            if (op.OperandType == OperandType.InlineMethod)
            {
                MethodBase? callee = null;
                try { callee = method.Module.ResolveMethod(BitConverter.ToInt32(il, i), typeArgs, methodArgs); }
                catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or MissingMethodException) { }
                if (callee is not null) yield return callee;
            }
            i += OperandSize(op, il, i);
        }
    }

    private static int OperandSize(OpCode op, byte[] il, int at) => op.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };

    /// <summary>A key that is the same for a method however it was reached (generic instantiations share their definition's).</summary>
    public static (Guid, int) Key(MethodBase m) => (m.Module.ModuleVersionId, m.MetadataToken);
}
