using BuildOptim.Compression.Evaluation;

namespace BuildOptim.Compression.Reporting;

/// <summary>
/// One compressed model the run built and evaluated: a point of the search (<c>Sparsity="Auto"</c>,
/// <c>ShareWeights="Auto"</c>, <c>Fallback="Auto"</c>), or the only one when every option is fixed.
/// </summary>
/// <param name="Number">1-based, in the order the trials ran.</param>
/// <param name="Step"><see cref="CompressionStep"/> (sparsity and clusters chosen) or <see cref="FallbackStep"/> (one more layer in fp32).</param>
/// <param name="Sparsity">The sparsity tried; null without pruning.</param>
/// <param name="Clusters">Clusters per layer tried (0 = no weight sharing).</param>
/// <param name="Fp32Layers">Layers kept in fp32 by <c>Fallback="Auto"</c> in this trial.</param>
/// <param name="Fp32LayerAdded">The layer this fallback trial added to them; null for a compression trial.</param>
/// <param name="PlanBytes">The size of the trial's plan.</param>
/// <param name="Metrics">The trial's evaluation; null without evaluation data.</param>
/// <param name="Passed">Whether the trial passed the gate.</param>
public sealed record SearchTrial(int Number, string Step, double? Sparsity, int Clusters, int Fp32Layers, string? Fp32LayerAdded, long PlanBytes, Metrics? Metrics, bool Passed)
{
    public const string CompressionStep = "compression";
    public const string FallbackStep = "fallback";

    /// <summary>A <c>WeightBits="Auto"</c> trial: 7-bit weight codes for all eligible layers, or one more layer.</summary>
    public const string WeightBitsStep = "weightBits";

    /// <summary>Dense and Conv layers with 7-bit weight codes in this trial (<c>WeightBits</c>).</summary>
    public int SevenBitLayers { get; init; }

    /// <summary>The layer this weight-bits trial moved to 7 bits; null when it tried them all at once, or for other steps.</summary>
    public string? SevenBitLayerAdded { get; init; }

    /// <summary>The trial whose plan the run kept (the last one).</summary>
    public bool Chosen { get; init; }
}
