using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>Window geometry along one spatial axis after resolving auto_pad and ceil_mode.</summary>
internal readonly record struct WindowAxis(int Input, int Kernel, int Stride, int Dilation, int PadBegin, int PadEnd, int Output)
{
    /// <summary>The height axis of a 1-D window, which runs as 2-D with H = 1.</summary>
    public static WindowAxis Unit { get; } = new(1, 1, 1, 1, 0, 0, 1);

    public SpatialAxis ToSpatial() => new(Input, Kernel, Stride, Dilation, PadBegin, PadEnd, Output);
}

/// <summary>The sliding-window geometry Conv and the pools share.</summary>
internal static class WindowGeometry
{
    /// <summary>
    /// Resolves each spatial axis. Kernel, strides and dilations must be positive and pads non-negative (BOPT1002);
    /// the geometry is computed in 64 bits and must fit the int32 fields of the layer.
    /// </summary>
    public static WindowAxis[] SpatialAxes(LoweringContext c, Node node, int[] inputSpatial, long[] kernel, bool ceilMode)
    {
        string path = c.Path;
        int rank = inputSpatial.Length;
        long[] Attribute(string name, int length, long fallback, long min)
        {
            var values = node.GetInts(name) ?? Enumerable.Repeat(fallback, length).ToArray();
            if (values.Length != length || values.Any(v => v < min || v > int.MaxValue))
            {
                throw Shapes.Bad(path, node, $"has {name} [{string.Join(",", values)}]; it needs {length} values from {min} to {int.MaxValue} for {rank} spatial axes");
            }

            return values;
        }

        if (kernel.Length != rank || kernel.Any(k => k < 1 || k > int.MaxValue))
        {
            throw Shapes.Bad(path, node, $"has kernel [{string.Join(",", kernel)}]; it needs {rank} positive values");
        }

        var strides = Attribute("strides", rank, 1, 1);
        var dilations = Attribute("dilations", rank, 1, 1);
        var pads = Attribute("pads", 2 * rank, 0, 0);
        string autoPad = node.Attributes.TryGetValue("auto_pad", out var a) && a.S is { } s ? s : "NOTSET";
        var axes = new WindowAxis[rank];
        for (int i = 0; i < rank; i++)
        {
            long input = inputSpatial[i], k = kernel[i], stride = strides[i], dilation = dilations[i];
            long effective = dilation * (k - 1) + 1; // < 2^62: both factors are below 2^31
            long begin = pads[i], end = pads[i + rank], output;
            switch (autoPad)
            {
                case "SAME_UPPER":
                case "SAME_LOWER":
                {
                    output = (input + stride - 1) / stride;
                    long total = Math.Max(0, (output - 1) * stride + effective - input);
                    begin = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                    end = total - begin;
                    break;
                }

                case "VALID":
                    begin = end = 0;
                    output = input >= effective ? (input - effective) / stride + 1 : 0;
                    break;
                default:
                {
                    long span = input + begin + end - effective;
                    output = span < 0 ? 0 : ceilMode ? (span + stride - 1) / stride + 1 : span / stride + 1;
                    if (ceilMode && output > 0 && (output - 1) * stride >= input + begin)
                    {
                        output--; // the last window would start in the end padding
                    }

                    break;
                }
            }

            if (output <= 0)
            {
                throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"{node.OpType} '{node.DisplayName}' in '{path}' produces an empty output along spatial axis {i}.");
            }

            if (effective > int.MaxValue || begin > int.MaxValue || end > int.MaxValue || output > int.MaxValue)
            {
                throw Shapes.Bad(path, node, $"has a window of {effective} and pads {begin}, {end} along spatial axis {i}, beyond {int.MaxValue}");
            }

            axes[i] = new WindowAxis((int)input, (int)k, (int)stride, (int)dilation, (int)begin, (int)end, (int)output);
        }

        return axes;
    }

    /// <summary>
    /// The depth, height and width axes of a 3-D window as the IR holds them. The kernels index positions as
    /// <c>max(output, input) · stride + (kernel − 1) · dilation + pad</c> in 32 bits: an axis beyond that is BOPT1004.
    /// </summary>
    public static (SpatialAxis Depth, SpatialAxis Height, SpatialAxis Width) Volume(NodeLowering n, WindowAxis[] axes)
    {
        for (int i = 0; i < axes.Length; i++)
        {
            var a = axes[i];
            if (((long)Math.Max(a.Output, a.Input) * a.Stride) + ((long)(a.Kernel - 1) * a.Dilation) + a.PadBegin > int.MaxValue)
            {
                throw n.Unsupported($"{n.Node.OpType} '{n.Name}' in '{n.Path}' has a window reaching beyond {int.MaxValue} positions along spatial axis {i} (stride {a.Stride}, kernel {a.Kernel}, dilation {a.Dilation}, pad {a.PadBegin}); BuildOptim's limit is 2^31 − 1.");
            }
        }

        return (axes[0].ToSpatial(), axes[1].ToSpatial(), axes[2].ToSpatial());
    }
}
