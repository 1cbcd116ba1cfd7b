namespace ElasticVit;

/// <summary>
/// The base of every exception that reports bad input or a situation the user can fix (a missing file, a corrupt
/// checkpoint, an impossible budget): its message is one line naming the file, field or option. The command-line host
/// prints exactly that line; any other exception reaching it is a bug in the program.
/// </summary>
public abstract class UserError(string message, Exception? inner = null) : Exception(message, inner);
