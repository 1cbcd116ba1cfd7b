namespace ElasticVit;

/// <summary>
/// The base of every exception that reports bad input or a situation the user can fix (a missing file, a corrupt
/// checkpoint, an impossible budget): its message is one line naming the file, field or option — by construction, since
/// it may quote text from the input (control characters such as line breaks become spaces). The command-line host
/// prints exactly that line; any other exception reaching it is a bug in the program.
/// </summary>
public abstract class UserError(string message, Exception? inner = null) : Exception(OneLine(message), inner)
{
    private static string OneLine(string message) =>
        string.Create(message.Length, message, (span, text) =>
        {
            for (var i = 0; i < text.Length; i++) span[i] = char.IsControl(text[i]) ? ' ' : text[i];
        }).Trim();
}
