using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Export;

/// <summary>
/// Where the int8 plan of a network keeps uint8 codes, read off a real compilation: the same
/// <see cref="CompileContext"/> and op emitters <see cref="PlanCompiler"/> runs, so the exported model
/// quantizes exactly the tensors (with exactly the <see cref="QuantParams"/>) the shipped plan does.
/// </summary>
/// <remarks>
/// A value is <em>codes-primary</em> when its producer writes codes (every reader then sees the codes,
/// dequantized for float readers); otherwise it is float, and codes made from it by a quantize op are
/// seen only by the int8 layers that read it. A <see cref="QuantizationScheme.Dynamic"/> plan keeps no value as codes.
/// </remarks>
internal sealed class CodeAssignment
{
    private readonly CompileContext _context;
    private readonly bool?[] _codesPrimary;

    private CodeAssignment(CompileContext context)
    {
        _context = context;
        _codesPrimary = new bool?[context.Network.Values.Count];
    }

    public Network Network => _context.Network;

    public static CodeAssignment Compile(Network network, IReadOnlyDictionary<int, TensorRange> ranges, IReadOnlySet<string>? floatLayers)
    {
        var context = new CompileContext(network, QuantizeMode.Int8, ranges, keepAllValues: false);
        PlanCompiler.EmitLayers(context, floatLayers);
        return new CodeAssignment(context);
    }

    public bool RunsInt8(Layer layer) => _context.RunsInt8(layer);

    /// <summary>
    /// True for a <see cref="QuantizationScheme.Dynamic"/> plan: no value has codes; its int8 dense layers quantize their float
    /// input when they run and its int8 embedding lookups read int8 tables.
    /// </summary>
    public bool IsDynamic => _context.Scheme == QuantizationScheme.Dynamic;

    /// <summary>True when the plan holds <paramref name="value"/> nowhere: a constant only int8 embedding lookups read, which store it themselves.</summary>
    public bool IsOmitted(int value) => IsDynamic && !_context.HasFloat(value) && !_context.HasCodes(value);

    /// <summary>The codes' parameters of a value that has codes in the plan.</summary>
    public QuantParams ParamsOf(int value) => _context.ParamsOf(value);

    public bool HasCodes(int value) => _context.HasCodes(value);

    /// <summary>True when the producer of <paramref name="value"/> writes codes (reshapes pass their input's representation on).</summary>
    public bool IsCodesPrimary(int value)
    {
        if (_codesPrimary[value] is { } known)
        {
            return known;
        }

        var producer = _context.Producer(value);
        bool result = producer switch
        {
            _ when IsDynamic => false,
            null => false,
            ReshapeLayer => IsCodesPrimary(producer.Inputs[0]),
            _ when !_context.RunsInt8(producer) => false,
            DenseLayer or ConvLayer => !_context.OnlyFloatConsumers(value),
            _ => true,
        };
        _codesPrimary[value] = result;
        return result;
    }

    /// <summary>True when <paramref name="reader"/> reads <paramref name="value"/> as codes made from its floats.</summary>
    public bool ReadsQuantizedFloat(Layer reader, int value)
        => !IsCodesPrimary(value) && _context.RunsInt8(reader) && reader is not ReshapeLayer && HasCodes(value);
}
