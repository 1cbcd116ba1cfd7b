namespace ElasticVit.Latency;

/// <summary>Any invalid latency table, CSV import or missing lookup entry. The message is one line meant for users.</summary>
public sealed class LatencyException(string message) : UserError(message);
