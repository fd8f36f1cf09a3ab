using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering;

public static partial class GraphLowering
{
    /// <summary>Window geometry along one spatial axis after resolving auto_pad and ceil_mode.</summary>
    private readonly record struct Axis(int Input, int Kernel, int Stride, int Dilation, int PadBegin, int PadEnd, int Output);

    /// <summary>
    /// Resolves each spatial axis. Kernel, strides and dilations must be positive and pads non-negative (BOPT1002);
    /// the geometry is computed in 64 bits and must fit the int32 fields of the layer.
    /// </summary>
    private static Axis[] SpatialAxes(LoweringContext c, Node node, int[] inputSpatial, long[] kernel, bool ceilMode)
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
        var axes = new Axis[rank];
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

            axes[i] = new Axis((int)input, (int)k, (int)stride, (int)dilation, (int)begin, (int)end, (int)output);
        }

        return axes;
    }

    private static int LowerConv(LoweringContext c, Node node, int x, Tensor weight, Tensor? bias)
    {
        string path = c.Path;
        var shape = c.Shape(x);
        if (shape.Length is not (3 or 4) || weight.Dims.Length != shape.Length)
        {
            throw Unsupported(path, $"Conv '{node.DisplayName}' in '{path}' is {shape.Length - 2}-D; BuildOptim supports 1-D and 2-D convolutions.");
        }

        bool oneD = shape.Length == 3;
        long group = node.GetInt("group", 1);
        int n = shape[0], channels = shape[1];
        int m = weight.Dims[0];
        if (group < 1 || group > channels || (long)weight.Dims[1] * group != channels || m % group != 0)
        {
            throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"Conv '{node.DisplayName}' in '{path}' has weights [{string.Join(",", weight.Dims)}] for {channels} input channels in {group} groups.");
        }

        if (!weight.IsFloat || weight.ElementCount == 0 || (bias is not null && (!bias.IsFloat || bias.ElementCount != m)))
        {
            throw Shapes.Bad(path, node, $"has weights [{string.Join(",", weight.Dims)}] and a bias of {bias?.ElementCount ?? 0} values; it needs non-empty float weights and one float bias per output channel");
        }

        int[] spatial = shape[2..];
        long[] weightKernel = weight.Dims[2..].Select(d => (long)d).ToArray();
        long[] kernel = node.GetInts("kernel_shape") ?? weightKernel;
        if (!kernel.SequenceEqual(weightKernel))
        {
            throw Shapes.Bad(path, node, $"has kernel_shape [{string.Join(",", kernel)}] but weights [{string.Join(",", weight.Dims)}]");
        }

        var axes = SpatialAxes(c, node, spatial, kernel, ceilMode: false);
        var h = oneD ? new Axis(1, 1, 1, 1, 0, 0, 1) : axes[0];
        var w = oneD ? axes[0] : axes[1];
        c.Charge(node, m); // the layer's own copy of the bias
        var biasData = bias?.Floats ?? new float[m];
        int[] outShape = oneD ? [n, m, w.Output] : [n, m, h.Output, w.Output];
        var layer = new ConvLayer
        {
            Name = node.DisplayName, Inputs = [x], Output = c.NewValue(node.Outputs[0], outShape),
            C = channels, H = h.Input, W = w.Input, M = m, KH = h.Kernel, KW = w.Kernel,
            StrideH = h.Stride, StrideW = w.Stride, PadTop = h.PadBegin, PadLeft = w.PadBegin,
            DilationH = h.Dilation, DilationW = w.Dilation, Group = (int)group, OH = h.Output, OW = w.Output,
            Weights = weight.Floats!, Bias = (float[])biasData.Clone(),
        };
        return c.AddLayer(layer);
    }

    private static int LowerPool(LoweringContext c, Node node, int x)
    {
        string path = c.Path;
        var shape = c.Shape(x);
        if (shape.Length is not (3 or 4))
        {
            throw Unsupported(path, $"{node.OpType} '{node.DisplayName}' in '{path}' is {shape.Length - 2}-D; BuildOptim supports 1-D and 2-D pooling.");
        }

        bool oneD = shape.Length == 3;
        long[] kernel = node.GetInts("kernel_shape") ?? throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"{node.OpType} '{node.DisplayName}' in '{path}' has no kernel_shape.");
        var axes = SpatialAxes(c, node, shape[2..], kernel, node.GetInt("ceil_mode", 0) != 0);
        var h = oneD ? new Axis(1, 1, 1, 1, 0, 0, 1) : axes[0];
        var w = oneD ? axes[0] : axes[1];
        int[] outShape = oneD ? [shape[0], shape[1], w.Output] : [shape[0], shape[1], h.Output, w.Output];
        return c.AddLayer(new PoolLayer
        {
            Name = node.DisplayName, Inputs = [x], Output = c.NewValue(node.Outputs[0], outShape),
            Kind = node.OpType == "MaxPool" ? PoolKind.Max : PoolKind.Average,
            C = shape[0] * shape[1], H = h.Input, W = w.Input, KH = h.Kernel, KW = w.Kernel,
            StrideH = h.Stride, StrideW = w.Stride, PadTop = h.PadBegin, PadLeft = w.PadBegin, PadBottom = h.PadEnd, PadRight = w.PadEnd,
            DilationH = h.Dilation, DilationW = w.Dilation, OH = h.Output, OW = w.Output,
            CountIncludePad = node.GetInt("count_include_pad", 0) != 0,
        });
    }

    private static int LowerPad(LoweringContext c, Node node, int x, SymbolicValue?[] inputs)
    {
        string path = c.Path;
        var dims = c.Shape(x);
        int rank = dims.Length;
        string modeText = node.Attributes.TryGetValue("mode", out var m) && m.S is { } s ? s : "constant";
        var mode = modeText switch
        {
            "constant" => PaddingMode.Constant,
            "reflect" => PaddingMode.Reflect,
            "edge" => PaddingMode.Edge,
            _ => throw Unsupported(path, $"Pad '{node.DisplayName}' in '{path}' uses mode '{modeText}'; supported: constant, reflect, edge."),
        };
        long[] pads;
        float value = 0;
        if (c.Graph.OpsetVersion < 11)
        {
            pads = node.GetInts("pads") ?? throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"Pad '{node.DisplayName}' in '{path}' has no pads.");
            value = node.GetFloat("value", 0);
        }
        else
        {
            pads = inputs.ElementAtOrDefault(1) is ConstantValue { Tensor.Int64s: { } p } ? p : throw Unsupported(path, $"Pad '{node.DisplayName}' in '{path}' takes computed pads; only constant pads are supported.");
            if (inputs.ElementAtOrDefault(2) is ConstantValue { Tensor: var v } && v.ElementCount > 0)
            {
                value = v.IsFloat ? v.Floats![0] : v.Int64s![0];
            }

            if (inputs.ElementAtOrDefault(3) is ConstantValue { Tensor.Int64s: { } axes })
            {
                if (pads.Length != 2 * axes.Length)
                {
                    throw Shapes.Bad(path, node, $"has {pads.Length} pads for {axes.Length} axes; it needs two per axis");
                }

                var full = new long[2 * rank];
                for (int i = 0; i < axes.Length; i++)
                {
                    int axis = Shapes.Axis(path, node, axes[i], rank);
                    full[axis] = pads[i];
                    full[axis + rank] = pads[i + axes.Length];
                }

                pads = full;
            }
        }

        if (pads.Length != 2 * rank)
        {
            throw Shapes.Bad(path, node, $"has {pads.Length} pads for a tensor of rank {rank}; it needs two per axis");
        }

        // Each pad crops at most the whole axis; reflect needs pads below the size, edge a non-empty axis (as in ONNX).
        var outShape = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long d = dims[i], begin = pads[i], end = pads[i + rank];
            bool valid = begin >= -d && end >= -d && begin <= int.MaxValue && end <= int.MaxValue
                && (mode != PaddingMode.Reflect || (begin < d && end < d))
                && (mode != PaddingMode.Edge || d > 0 || (begin <= 0 && end <= 0));
            outShape[i] = d + begin + end;
            if (!valid || outShape[i] < 0)
            {
                throw Shapes.Bad(path, node, $"pads axis {i} of size {d} by {begin} and {end} in {modeText} mode");
            }
        }

        Shapes.ElementCount(path, node, outShape);
        return c.AddLayer(new PadLayer { Name = node.DisplayName, Inputs = [x], Output = c.NewValue(node.Outputs[0], outShape.Select(d => (int)d).ToArray()), Mode = mode, Pads = pads.Select(p => (int)p).ToArray(), Value = value });
    }
}
