using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>
/// Resize: the source indices (nearest) or the bilinear rows, columns and weights computed here, as ONNX Runtime does, and
/// stored as data sections; float in every plan (an fp32 island in int8 plans).
/// </summary>
internal sealed class ResizeEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var l = (ResizeLayer)layer;
        var input = context.Network.Value(l.Inputs[0]).Shape;
        var output = context.Network.Value(l.Output).Shape;
        int x = context.Float(l.Inputs[0]);
        int y = context.NewFloat(l.Output);
        if (l.Linear)
        {
            int rank = input.Length, h = input[rank - 2], w = input[rank - 1], oh = output[rank - 2], ow = output[rank - 1];
            int planes = input[..(rank - 2)].Aggregate(1, (p, d) => p * d);
            var (rows, rowWeights) = Axis(l, l.Scales[rank - 2], oh, h);
            var (cols, colWeights) = Axis(l, l.Scales[rank - 1], ow, w);
            context.Emit(new ResizeBilinearF32Parameters(planes, h, w, oh, ow), [x], [y], context.Data<int>(rows), context.Data<int>(cols), context.Data<float>(rowWeights), context.Data<float>(colWeights));
        }
        else
        {
            var indices = input.SelectMany((size, a) => Enumerable.Range(0, output[a]).Select(o => ResizeLayer.Nearest(l.Coordinates, l.Rounding, o, l.Scales[a], output[a], size))).ToArray();
            context.Emit(new ResizeNearestF32Parameters(input, output), [x], [y], context.Data<int>(indices));
        }

        context.Summarize(l, l.Linear ? "Resize(linear)" : "Resize(nearest)", int8: false, parameterBytes: 0, compressedBytes: 0);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();

    /// <summary>ONNX Runtime's bilinear set-up along one axis: sources i1, i2 then weights d1 = |s − i1|, d2 = |s − i2| (0.5 each when i1 = i2).</summary>
    private static (int[] Indices, float[] Weights) Axis(ResizeLayer l, float scale, int output, int input)
    {
        var indices = new int[2 * output];
        var weights = new float[2 * output];
        for (int o = 0; o < output; o++)
        {
            float s = scale == 1f ? o : ResizeLayer.Source(l.Coordinates, o, scale, output, input);
            s = Math.Max(0f, Math.Min(s, input - 1));
            int i1 = Math.Min((int)s, input - 1), i2 = Math.Min(i1 + 1, input - 1);
            indices[o] = i1;
            indices[output + o] = i2;
            (weights[o], weights[output + o]) = i1 == i2 ? (0.5f, 0.5f) : (MathF.Abs(s - i1), MathF.Abs(s - i2));
        }

        return (indices, weights);
    }
}
