using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Ir;
using Google.Protobuf;
using Onnx;

namespace BuildOptim.Compression.Export;

/// <summary>
/// Writes the int8 plan of a network as a standard ONNX QDQ model (opset 13), so that ONNX Runtime or any
/// QDQ-aware runtime can run the same quantization BuildOptim ships: same quantized tensors, same
/// activation scales and zero points, same per-channel weights.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The graph inputs and outputs keep their element types (float32, or int64, int32 and bool, which the plan holds
/// as floats: <see cref="NetworkValue"/>); the batch dimension is symbolic when the source model's was.</item>
/// <item>Every tensor the plan keeps as uint8 codes goes through <c>QuantizeLinear → DequantizeLinear</c> (uint8, per
/// tensor, the plan's <see cref="QuantParams"/>).</item>
/// <item>Int8 Dense and Conv layers store int8 weights with one scale per output channel
/// (<c>DequantizeLinear</c>, <c>axis = 0</c>, zero points 0, see <see cref="WeightQuantizer"/>) and int32 biases with
/// scale <c>inputScale · weightScale[n]</c>; a fused ReLU or Clip becomes its own node after the Conv/Gemm.</item>
/// <item>Layers the plan runs in float (Softmax, LRN, Div, …) stay float between a DequantizeLinear and a QuantizeLinear.</item>
/// <item>A <see cref="QuantizationScheme.Dynamic"/> plan (a text model's) keeps no activation codes: its int8 dense layers and
/// embedding lookups are written as ONNX Runtime's dynamic quantization (<see cref="Layers.DynamicInt8Exporters"/>), which
/// quantizes per tensor where the plan quantizes per row, so that export agrees with the plan closely, not exactly.</item>
/// </list>
/// </remarks>
public static class QdqExporter
{
    /// <summary>The artifact name written next to the plan when <see cref="CompressionOptions.EmitOnnx"/> is set.</summary>
    public const string FileName = "model.qdq.onnx";

    public const int Opset = 13;

    /// <summary>Builds the QDQ model of <paramref name="network"/> (after the graph passes) and its calibrated ranges.</summary>
    /// <param name="ranges">Calibrated range of each value id, as given to <see cref="PlanCompiler.Compile"/>.</param>
    /// <param name="floatLayers">Layers kept in fp32 inside the int8 plan, as given to <see cref="PlanCompiler.Compile"/>.</param>
    public static ModelProto Export(Network network, IReadOnlyDictionary<int, TensorRange> ranges, IReadOnlySet<string>? floatLayers = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(ranges);
        var assignment = CodeAssignment.Compile(network, ranges, floatLayers);
        var graph = new QdqGraphWriter(assignment, Path.GetFileNameWithoutExtension(network.SourcePath)).Write();
        var model = new ModelProto
        {
            IrVersion = 7,
            ProducerName = "BuildOptim",
            ProducerVersion = ToolInfo.Version,
            DocString = $"QDQ export of the BuildOptim int8 plan of {Path.GetFileName(network.SourcePath)}.",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    /// <summary>Serializes <see cref="Export"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, Network network, IReadOnlyDictionary<int, TensorRange> ranges, IReadOnlySet<string>? floatLayers = null)
        => File.WriteAllBytes(path, Export(network, ranges, floatLayers).ToByteArray());

    /// <summary>The serialized QDQ model of one compression; a layer ONNX cannot express is a coded error naming the item.</summary>
    internal static byte[] Serialize(Network network, IReadOnlyDictionary<int, TensorRange> ranges, IReadOnlySet<string> floatLayers, string item)
    {
        try
        {
            return Export(network, ranges, floatLayers).ToByteArray();
        }
        catch (NotSupportedException e)
        {
            throw new CompressionException(Diagnostics.OptionNotSupported, network.SourcePath, $"EmitOnnx on '{item}': {e.Message} Turn EmitOnnx off for this model.");
        }
    }
}
