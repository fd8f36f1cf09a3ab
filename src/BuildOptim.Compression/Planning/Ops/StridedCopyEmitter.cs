using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>
/// Slice (and so each output of a Split), Expand and Tile: one strided copy each, a view of the input's elements. Float
/// ops; an int8 plan dequantizes around them.
/// </summary>
internal sealed class StridedCopyEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var input = context.Network.Value(layer.Inputs[0]).Shape;
        var output = context.Network.Value(layer.Output).Shape;
        var (start, dims, strides) = layer switch
        {
            SliceLayer s => SliceView(input, output, s),
            ExpandLayer => ExpandView(input, output),
            TileLayer t => TileView(input, t.Repeats),
            _ => throw new NotSupportedException(layer.GetType().Name),
        };
        var parameters = StridedCopyF32Parameters.Create(start, dims, strides)
            ?? throw new NotSupportedException($"{Kind(layer)} '{layer.Name}' copies a view of rank above {StridedCopyF32Parameters.MaxRank}.");
        int x = context.Float(layer.Inputs[0]);
        int y = context.NewFloat(layer.Output);
        context.Emit(parameters, [x], [y]);
        context.Summarize(layer, Kind(layer), int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();

    private static string Kind(Layer layer) => layer.GetType().Name.Replace("Layer", "", StringComparison.Ordinal);

    /// <summary>Output dim d reads input dim d from <c>Begin[d]</c> by <c>Step[d]</c>.</summary>
    private static (int Start, int[] Dims, int[] Strides) SliceView(int[] input, int[] output, SliceLayer s)
    {
        var strides = RowMajorStrides(input);
        int start = Enumerable.Range(0, input.Length).Sum(d => s.Begin[d] * strides[d]);
        return (start, output, Enumerable.Range(0, input.Length).Select(d => s.Step[d] * strides[d]).ToArray());
    }

    /// <summary>The input under the output's dims, with stride 0 along every dim it is broadcast on.</summary>
    private static (int Start, int[] Dims, int[] Strides) ExpandView(int[] input, int[] output)
    {
        var padded = Enumerable.Repeat(1, output.Length - input.Length).Concat(input).ToArray();
        var strides = RowMajorStrides(padded);
        return (0, output, padded.Select((d, k) => d == 1 ? 0 : strides[k]).ToArray());
    }

    /// <summary>Each input dim d as [repeats[d], dim d]: the repeats at stride 0, then the dim at its own stride.</summary>
    private static (int Start, int[] Dims, int[] Strides) TileView(int[] input, int[] repeats)
    {
        var strides = RowMajorStrides(input);
        var dims = new List<int>();
        var steps = new List<int>();
        for (int d = 0; d < input.Length; d++)
        {
            dims.AddRange([repeats[d], input[d]]);
            steps.AddRange([0, strides[d]]);
        }

        return (0, [.. dims], [.. steps]);
    }

    private static int[] RowMajorStrides(int[] dims)
    {
        var strides = new int[dims.Length];
        for (int d = dims.Length - 1, stride = 1; d >= 0; stride *= dims[d], d--)
        {
            strides[d] = stride;
        }

        return strides;
    }
}
