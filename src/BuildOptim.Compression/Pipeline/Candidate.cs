using BuildOptim.Compression.Artifacts;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Reporting;
using BuildOptim.Compression.Sharing;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression.Pipeline;

/// <summary>Everything a trial needs that does not change between trials.</summary>
internal sealed record SearchContext(CompressionOptions Options, Network BaseModel, NdArray? Calibration, NdArray? Evaluation, int[]? Labels, float[]? Reference)
{
    /// <summary>With <c>Distill</c> or a <c>Student</c>: the training data, the teacher's outputs, the trained Student.</summary>
    public Distillation.DistillationSession? Distillation { get; init; }

    /// <summary>The model keeps a dynamic sequence length: plans are compiled with length-blind buffers (<see cref="Planning.PlanCompiler.Compile"/>).</summary>
    public bool SequenceLength { get; init; }
}

/// <summary>One compressed model with its evaluation.</summary>
internal sealed record Candidate(double Sparsity, int Clusters, Network Model, IReadOnlyDictionary<string, SharedWeights>? Shared, Dictionary<int, TensorRange>? Ranges, CompiledPlan Plan, float[]? Outputs, Metrics? Metrics, GateResult Gate)
{
    /// <summary>The fine-tuning that produced <see cref="Model"/>'s weights, when the trial distilled.</summary>
    public Distillation.DistillationRun? FineTune { get; init; }
}
