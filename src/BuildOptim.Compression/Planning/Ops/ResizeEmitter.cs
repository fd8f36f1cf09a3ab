using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>
/// Resize: the source indices (nearest), the bilinear rows, columns and weights, or one table of taps per resized axis
/// (cubic, linear over other axes than the last two, half_pixel_symmetric and tf_crop_and_resize) computed here, as ONNX
/// Runtime does, and stored as data sections; float in every plan (an fp32 island in int8 plans).
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
        int rank = input.Length;
        bool newCoordinates = l.Coordinates is ResizeCoordinates.HalfPixelSymmetric or ResizeCoordinates.TfCropAndResize;
        bool bilinear = l.Linear && !newCoordinates && rank >= 2 && Enumerable.Range(0, rank - 2).All(a => output[a] == input[a] && l.Scales[a] == 1f);
        if (l.Cubic || newCoordinates || (l.Linear && !bilinear))
        {
            EmitSeparable(l, input, output, x, y, context);
        }
        else if (l.Linear)
        {
            int h = input[rank - 2], w = input[rank - 1], oh = output[rank - 2], ow = output[rank - 1];
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

        context.Summarize(l, $"Resize({(l.Cubic ? "cubic" : l.Linear ? "linear" : "nearest")})", int8: false, parameterBytes: 0, compressedBytes: 0);
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

    /// <summary>One <see cref="ResizeSeparableF32Parameters"/> op: a table of taps per axis that changes, last axis first.</summary>
    private static void EmitSeparable(ResizeLayer l, int[] input, int[] output, int x, int y, CompileContext context)
    {
        int rank = input.Length;
        var taps = new int[rank];
        var data = new List<long>();
        for (int a = rank - 1; a >= 0; a--)
        {
            var (count, indices, weights) = Taps(l, a, output[a], input[a]);
            if (IsIdentity(count, indices, weights, input[a], output[a]))
            {
                continue;
            }

            taps[a] = count;
            data.Add(context.Data<int>(indices));
            data.Add(context.Data<float>(weights));
        }

        context.Emit(new ResizeSeparableF32Parameters(input, output, taps, l.ExtrapolationValue), [x], [y], [.. data]);
    }

    /// <summary>
    /// The taps of every output position along axis <paramref name="axis"/>, as ONNX Runtime's nearest, linear and cubic
    /// set-ups compute them (a scale of 1 keeps the position, but for nearest); index −1 first marks a tf_crop_and_resize
    /// output outside the input.
    /// </summary>
    internal static (int Count, int[] Indices, float[] Weights) Taps(ResizeLayer l, int axis, int output, int input)
    {
        int count = l.Cubic ? 4 : l.Linear ? 2 : 1;
        var indices = new int[output * count];
        var weights = new float[output * count];
        float scale = l.Scales[axis];
        bool extrapolate = l.Coordinates == ResizeCoordinates.TfCropAndResize;
        for (int o = 0; o < output; o++)
        {
            var index = indices.AsSpan(o * count, count);
            var weight = weights.AsSpan(o * count, count);
            float s = scale == 1f && count > 1 ? o : l.SourceOf(axis, o, output, input);
            if (extrapolate && (s < 0 || s > input - 1))
            {
                index[0] = -1;
                continue;
            }

            if (count == 1)
            {
                index[0] = ResizeLayer.Round(l.Rounding, s, input);
                weight[0] = 1;
            }
            else if (count == 2)
            {
                s = Math.Max(0f, Math.Min(s, input - 1));
                int i1 = Math.Min((int)s, input - 1), i2 = Math.Min(i1 + 1, input - 1);
                (index[0], index[1]) = (i1, i2);
                (weight[0], weight[1]) = i1 == i2 ? (0.5f, 0.5f) : (MathF.Abs(s - i2), MathF.Abs(s - i1));
            }
            else
            {
                float floor = MathF.Floor(s);
                int first = (int)floor - 1;
                Cubic(s - floor, l.CubicCoefficientA, weight);
                if (l.ExcludeOutside)
                {
                    float sum = 0;
                    for (int t = 0; t < 4; t++)
                    {
                        sum += (uint)(first + t) < (uint)input ? weight[t] : 0;
                    }

                    for (int t = 0; t < 4; t++)
                    {
                        weight[t] = (uint)(first + t) < (uint)input ? weight[t] / sum : 0;
                    }
                }

                for (int t = 0; t < 4; t++)
                {
                    index[t] = Math.Clamp(first + t, 0, input - 1);
                }
            }
        }

        return (count, indices, weights);
    }

    /// <summary>ONNX Runtime's cubic convolution weights of the taps at −1, 0, 1, 2 from the floor, for fraction <paramref name="s"/>, in float.</summary>
    private static void Cubic(float s, float a, Span<float> weight)
    {
        weight[0] = ((((a * (s + 1)) - (5 * a)) * (s + 1)) + (8 * a)) * (s + 1) - (4 * a);
        weight[1] = (((((a + 2) * s) - (a + 3)) * s) * s) + 1;
        weight[2] = (((((a + 2) * (1 - s)) - (a + 3)) * (1 - s)) * (1 - s)) + 1;
        weight[3] = ((((a * (2 - s)) - (5 * a)) * (2 - s)) + (8 * a)) * (2 - s) - (4 * a);
    }

    /// <summary>Whether the taps copy the axis unchanged: one weight 1 on each position's own index, all others 0.</summary>
    private static bool IsIdentity(int count, int[] indices, float[] weights, int input, int output)
    {
        if (input != output)
        {
            return false;
        }

        for (int o = 0; o < output; o++)
        {
            var index = indices.AsSpan(o * count, count);
            var weight = weights.AsSpan(o * count, count);
            int own = 0, others = 0;
            for (int t = 0; t < count; t++)
            {
                own += index[t] == o && weight[t] == 1 ? 1 : 0;
                others += weight[t] == 0 ? 0 : 1;
            }

            if (index[0] < 0 || own != 1 || others != 1)
            {
                return false;
            }
        }

        return true;
    }
}
