using System.Text;

namespace ElasticVit.Tests.Fuzzing;

/// <summary>
/// Seeded mutations of a valid input text, the kinds a damaged file or a hostile user produces: bit flips, truncation,
/// deleted and repeated spans, duplicated JSON members, numbers replaced by extremes or other types, strings retyped,
/// deep nesting and stray bytes. Each case applies one to three of them, so the same seed always gives the same cases.
/// </summary>
internal sealed class Mutator(int seed)
{
    private static readonly string[] Replacements =
    [
        "0", "-1", "1e309", "-1e309", "NaN", "Infinity", "1e-320", "2147483648", "99999999999999999999999", "1000000000",
        "4.5", "\"7\"", "null", "true", "[]", "{}", "\"\"", "-0",
    ];

    private readonly Random _rng = new(seed);

    /// <summary>The text of the next case.</summary>
    public string Next(string valid)
    {
        var text = valid;
        for (int i = 0, n = 1 + _rng.Next(3); i < n; i++) text = MutateOnce(text);
        // What a program reading the bytes as UTF-8 sees: a surrogate pair cut in half becomes U+FFFD, as in a file.
        return Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));
    }

    private string MutateOnce(string text)
    {
        if (text.Length == 0) return "{";
        switch (_rng.Next(9))
        {
            case 0: // one bit of one byte
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                bytes[_rng.Next(bytes.Length)] ^= (byte)(1 << _rng.Next(8));
                return Encoding.UTF8.GetString(bytes);
            }
            case 1: return text[.._rng.Next(text.Length)];                                   // truncated
            case 2: // a span deleted
            {
                var start = _rng.Next(text.Length);
                return text.Remove(start, Math.Min(text.Length - start, 1 + _rng.Next(20)));
            }
            case 3: // a span repeated
            {
                var start = _rng.Next(text.Length);
                var span = text.Substring(start, Math.Min(text.Length - start, 1 + _rng.Next(40)));
                return text.Insert(start, span);
            }
            case 4: return DuplicateMember(text);
            case 5: return ReplaceNumber(text);
            case 6: return RetypeString(text);
            case 7: // deep nesting around a value
            {
                var depth = 50 + _rng.Next(2000);
                var at = text.IndexOf(':', _rng.Next(text.Length));
                if (at < 0) return new string('[', depth) + text + new string(']', depth);
                return text[..(at + 1)] + new string('[', depth) + "1" + new string(']', depth) + "," + text[(at + 1)..];
            }
            default: // stray bytes: controls, quotes, separators, non-ASCII
            {
                const string stray = "\0\u0001\"\\{}[],:#\n\r\t-é\uFFFD𝄞";
                var start = _rng.Next(text.Length + 1);
                var inserted = new string(Enumerable.Range(0, 1 + _rng.Next(4)).Select(_ => stray[_rng.Next(stray.Length)]).ToArray());
                return text.Insert(start, inserted);
            }
        }
    }

    /// <summary>Copies one <c>"name": value</c> member right after itself, so the object has the key twice.</summary>
    private string DuplicateMember(string text)
    {
        var key = text.IndexOf('"', _rng.Next(text.Length));
        if (key < 0) return text;
        var close = text.IndexOf('"', key + 1);
        if (close < 0 || close + 1 >= text.Length) return text;
        var colon = close + 1;
        while (colon < text.Length && char.IsWhiteSpace(text[colon])) colon++;
        if (colon >= text.Length || text[colon] != ':') return text;
        var end = colon + 1;
        var depth = 0;
        for (; end < text.Length; end++)
        {
            var c = text[end];
            if (c is '[' or '{') depth++;
            else if (c is ']' or '}') { if (depth == 0) break; depth--; }
            else if (c == ',' && depth == 0) break;
        }
        var member = text[key..end];
        return text.Insert(end, "," + member);
    }

    private string ReplaceNumber(string text)
    {
        var digits = Enumerable.Range(0, text.Length).Where(i => char.IsAsciiDigit(text[i]) && (i == 0 || !char.IsAsciiDigit(text[i - 1]))).ToArray();
        if (digits.Length == 0) return text;
        var start = digits[_rng.Next(digits.Length)];
        var end = start;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] is '.' or 'e' or 'E' or '-' or '+')) end++;
        return text[..start] + Replacements[_rng.Next(Replacements.Length)] + text[end..];
    }

    private string RetypeString(string text)
    {
        var quote = text.IndexOf('"', _rng.Next(text.Length));
        if (quote < 0) return text;
        var close = text.IndexOf('"', quote + 1);
        if (close < 0) return text;
        return text[..quote] + Replacements[_rng.Next(Replacements.Length)] + text[(close + 1)..];
    }
}
