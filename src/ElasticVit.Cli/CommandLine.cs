using System.Globalization;

namespace ElasticVit.Cli;

/// <summary>A wrong command line: printed as one line, exit code 2.</summary>
public sealed class UsageException(string message) : UserError(message);

/// <summary>An option of a command. <see cref="Flag"/> options take no value; <see cref="Repeatable"/> ones may appear many times.</summary>
public sealed record OptionSpec(string Name, string Help, string? ValueName = "VALUE", string? Default = null, bool Required = false, bool Repeatable = false)
{
    public bool Flag => ValueName is null;

    /// <summary>A number as a command line spells it (defaults, logged command lines): invariant culture, whatever the user's.</summary>
    public static string Text(double? value) => Convert.ToString(value, CultureInfo.InvariantCulture)!;
}

/// <summary>A command such as <c>arch stats</c>: its words, a one-line summary, options and positional arguments, and the action.</summary>
public sealed record CommandSpec(string Path, string Summary, IReadOnlyList<OptionSpec> Options, Func<ParsedArgs, int> Run, IReadOnlyList<string>? Positionals = null);

/// <summary>Parsed options of one command with typed accessors that turn bad values into <see cref="UsageException"/>s.</summary>
public sealed class ParsedArgs
{
    private readonly Dictionary<string, IReadOnlyList<string>> _values;
    private readonly CommandSpec _spec;
    public IReadOnlyList<string> Positionals { get; }

    /// <summary>The values given on the command line (flags as "true"), by option name, and the positional arguments.</summary>
    public ParsedArgs(CommandSpec spec, Dictionary<string, IReadOnlyList<string>> values, IReadOnlyList<string> positionals)
    {
        _spec = spec;
        _values = values;
        Positionals = positionals;
    }

    private OptionSpec Option(string name) => _spec.Options.FirstOrDefault(o => o.Name == name)
        ?? throw new InvalidOperationException($"command '{_spec.Path}' declares no option --{name}");

    public bool Has(string name) => Option(name) is not null && _values.ContainsKey(name);
    public bool Flag(string name) => Has(name);

    public string? String(string name) => _values.TryGetValue(name, out var v) ? v[^1] : Option(name).Default;
    public string RequiredString(string name) => String(name) ?? throw new UsageException($"'{_spec.Path}' needs --{name}");

    /// <summary>
    /// The path an output option names, checked before the command does any work, so that a search or a validation does
    /// not run for minutes and then fail to write: an existing folder cannot be an output file, an existing file cannot
    /// be an output folder, and no folder on the way may be a file. Null when the option is absent and has no default.
    /// </summary>
    public string? OutputPath(string name, bool folder = false)
    {
        if (String(name) is not { } path) return null;
        var full = Path.GetFullPath(path);
        if (folder ? File.Exists(full) : Directory.Exists(full))
            throw new UsageException($"--{name} {path}: {(folder ? "is a file, not a folder" : "is a folder, not a file")}");
        for (var parent = Path.GetDirectoryName(full); parent is not null && !Directory.Exists(parent); parent = Path.GetDirectoryName(parent))
            if (File.Exists(parent)) throw new UsageException($"--{name} {path}: {parent} is a file, not a folder");
        return path;
    }

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
