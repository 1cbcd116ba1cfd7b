using System.Globalization;

namespace ElasticVit.Cli;

/// <summary>A wrong command line: printed as one line, exit code 2.</summary>
public sealed class UsageException(string message) : UserError(message);

/// <summary>An option of a command. <see cref="Flag"/> options take no value; <see cref="Repeatable"/> ones may appear many times.</summary>
public sealed record OptionSpec(string Name, string Help, string? ValueName = "VALUE", string? Default = null, bool Required = false, bool Repeatable = false)
{
    public bool Flag => ValueName is null;
}

/// <summary>A command such as <c>arch stats</c>: its words, a one-line summary, options and positional arguments, and the action.</summary>
public sealed record CommandSpec(string Path, string Summary, IReadOnlyList<OptionSpec> Options, Func<ParsedArgs, int> Run, IReadOnlyList<string>? Positionals = null)
{
    public string Usage()
    {
        var w = new StringWriter();
        w.WriteLine($"usage: elasticvit {Path}{string.Concat((Positionals ?? []).Select(p => $" {p}"))} [options]");
        w.WriteLine();
        w.WriteLine(Summary);
        w.WriteLine();
        w.WriteLine("options:");
        foreach (var o in Options.Append(new OptionSpec("help", "show this help", null)))
        {
            var left = o.Flag ? $"--{o.Name}" : $"--{o.Name} {o.ValueName}";
            var extra = (o.Required ? " (required)" : "") + (o.Default is null ? "" : $" (default: {o.Default})") + (o.Repeatable ? " (repeatable)" : "");
            w.WriteLine($"  {left,-28} {o.Help}{extra}");
        }
        return w.ToString();
    }
}

/// <summary>Parsed options of one command with typed accessors that turn bad values into <see cref="UsageException"/>s.</summary>
public sealed class ParsedArgs
{
    private readonly Dictionary<string, List<string>> _values;
    private readonly CommandSpec _spec;
    public IReadOnlyList<string> Positionals { get; }

    private ParsedArgs(CommandSpec spec, Dictionary<string, List<string>> values, List<string> positionals)
    {
        _spec = spec;
        _values = values;
        Positionals = positionals;
    }

    public static ParsedArgs Parse(CommandSpec spec, IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var positionals = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a == "--")
            {
                positionals.Add(a);
                continue;
            }
            var name = a[2..];
            string? inline = null;
            var eq = name.IndexOf('=');
            if (eq >= 0) (name, inline) = (name[..eq], name[(eq + 1)..]);
            var option = spec.Options.FirstOrDefault(o => o.Name == name)
                ?? throw new UsageException($"unknown option --{name} for '{spec.Path}' (see elasticvit {spec.Path} --help)");
            string value;
            if (option.Flag)
            {
                if (inline is not null) throw new UsageException($"--{name} takes no value");
                value = "true";
            }
            else if (inline is not null) value = inline;
            else if (i + 1 < args.Count) value = args[++i];
            else throw new UsageException($"--{name} needs a value ({option.ValueName})");
            if (!values.TryGetValue(name, out var list)) values[name] = list = [];
            if (list.Count > 0 && !option.Repeatable) throw new UsageException($"--{name} given more than once");
            list.Add(value);
        }
        var expected = spec.Positionals?.Count ?? 0;
        if (positionals.Count > expected)
            throw new UsageException($"unexpected argument '{positionals[expected]}' for '{spec.Path}'");
        if (positionals.Count < expected)
            throw new UsageException($"'{spec.Path}' needs {string.Join(" ", spec.Positionals!)}");
        foreach (var o in spec.Options.Where(o => o.Required && !values.ContainsKey(o.Name)))
            throw new UsageException($"'{spec.Path}' needs --{o.Name} {o.ValueName}");
        return new ParsedArgs(spec, values, positionals);
    }

    private OptionSpec Option(string name) => _spec.Options.FirstOrDefault(o => o.Name == name)
        ?? throw new InvalidOperationException($"command '{_spec.Path}' declares no option --{name}");

    public bool Has(string name) => Option(name) is not null && _values.ContainsKey(name);
    public bool Flag(string name) => Has(name);

    public string? String(string name) => _values.TryGetValue(name, out var v) ? v[^1] : Option(name).Default;
    public string RequiredString(string name) => String(name) ?? throw new UsageException($"'{_spec.Path}' needs --{name}");
    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var v) ? v : Option(name).Default is { } d ? [d] : [];

    public int? Int(string name)
    {
        var s = String(name);
        if (s is null) return null;
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v : throw new UsageException($"--{name} expects an integer, got '{s}'");
    }

    public int Int(string name, int min, int max = int.MaxValue)
    {
        var v = Int(name) ?? throw new UsageException($"'{_spec.Path}' needs --{name}");
        if (v < min || v > max) throw new UsageException($"--{name} must be between {min} and {max}, got {v}");
        return v;
    }

    public double? Double(string name)
    {
        var s = String(name);
        if (s is null) return null;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v : throw new UsageException($"--{name} expects a number, got '{s}'");
    }

    public string Choice(string name, params string[] allowed)
    {
        var s = RequiredString(name);
        return allowed.Contains(s) ? s : throw new UsageException($"--{name} must be one of {string.Join(", ", allowed)}, got '{s}'");
    }
}
