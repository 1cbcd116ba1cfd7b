namespace ElasticVit.Export;

/// <summary>Keys of the <c>metadata_props</c> the exporter writes and <see cref="OnnxClassifier"/> reads.</summary>
public static class MetadataKeys
{
    public const string SubnetKey = "elasticvit.subnet_key";
    public const string Subnet = "elasticvit.subnet";
    public const string SpaceName = "elasticvit.space";
    public const string ClassNames = "class_names";
    public const string InputChannels = "input_channels";
    public const string InputSize = "input_size";
    public const string Resolution = "elasticvit.resolution";
    public const string Mean = "mean";
    public const string Std = "std";
}
