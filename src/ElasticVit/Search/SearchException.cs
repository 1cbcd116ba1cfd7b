namespace ElasticVit.Search;

/// <summary>A malformed or infeasible search request. The message is one line meant for users.</summary>
public sealed class SearchException(string message) : UserError(message);
