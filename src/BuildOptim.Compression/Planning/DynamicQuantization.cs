using BuildOptim.Compression.Planning.Ops;
using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Planning;

/// <summary>How an int8 plan quantizes its activations.</summary>
public enum QuantizationScheme
{
    /// <summary>Every int8 layer runs on uint8 codes with ranges calibrated on the Calibration data (CNNs, MLPs).</summary>
    Static,

    /// <summary>
    /// Sequence models: only weights are int8 (dense layers and embedding tables); each dense layer quantizes its float input
    /// rows (tokens) when it runs, and everything between dense layers (LayerNorm, Softmax, GELU, residual adds, attention
    /// products) stays in float.
    /// </summary>
    Dynamic,
}

/// <summary>
/// The decision between <see cref="QuantizationScheme.Static"/> and <see cref="QuantizationScheme.Dynamic"/> (see
/// docs/quantization.md, "Transformers"): a text model — token ids (an integer input, or an embedding lookup: a Gather
/// from a constant table) and dense layers that read several rows, the tokens of a sequence after the batch is bound
/// to 1 — gets dynamic quantization. A sequence model on float
/// inputs (a ViT's patches, an audio model's frames) keeps the static scheme, whose convolutions run in int8 too. A token's activations vary by orders of magnitude between tokens and
/// layers (outlier channels after LayerNorm), which one calibrated range per tensor cannot follow, and a row quantized
/// once is reused by every output channel, so quantizing it at run time costs one pass over the input.
/// </summary>
public static class DynamicQuantization
{
    /// <summary>Whether an int8 plan of <paramref name="network"/> uses <see cref="QuantizationScheme.Dynamic"/>.</summary>
    public static bool Applies(Network network)
        => (network.Inputs.Any(i => !network.Value(i).IsFloat) || network.Layers.OfType<GatherLayer>().Any(g => network.Layers.Any(l => l is ConstantLayer && l.Output == g.Inputs[0])))
            && network.Layers.OfType<DenseLayer>().Any(d => d.K > 0 && network.Value(d.Inputs[0]).Length / d.K > 1);

    /// <summary>The scheme of an int8 plan of <paramref name="network"/>.</summary>
    public static QuantizationScheme SchemeOf(Network network)
        => Applies(network) ? QuantizationScheme.Dynamic : QuantizationScheme.Static;
}

/// <summary>An emitter whose layer may run with int8 weights in a <see cref="QuantizationScheme.Dynamic"/> plan (its <c>EmitInt8</c> then emits that form).</summary>
internal interface IDynamicInt8Emitter
{
    bool SupportsDynamicInt8(Layer layer, CompileContext context);
}
