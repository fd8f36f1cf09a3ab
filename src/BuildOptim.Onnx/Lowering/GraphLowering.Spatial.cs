namespace BuildOptim.Onnx.Lowering;

public static partial class GraphLowering
{
    /// <summary>Window geometry along one spatial axis after resolving auto_pad and ceil_mode.</summary>
    private readonly record struct Axis(int Input, int Kernel, int Stride, int Dilation, int PadBegin, int PadEnd, int Output);

    private static Axis[] SpatialAxes(LoweringContext c, Node node, int[] inputSpatial, int[] kernel, bool ceilMode)
    {
        int rank = inputSpatial.Length;
        var strides = node.GetInts("strides")?.Select(v => (int)v).ToArray() ?? Enumerable.Repeat(1, rank).ToArray();
        var dilations = node.GetInts("dilations")?.Select(v => (int)v).ToArray() ?? Enumerable.Repeat(1, rank).ToArray();
        var pads = node.GetInts("pads")?.Select(v => (int)v).ToArray() ?? new int[2 * rank];
        string autoPad = node.Attributes.TryGetValue("auto_pad", out var a) && a.S is { } s ? s : "NOTSET";
        var axes = new Axis[rank];
        for (int i = 0; i < rank; i++)
        {
            int input = inputSpatial[i], k = kernel[i], stride = strides[i], dilation = dilations[i];
            int effective = dilation * (k - 1) + 1;
            int begin = pads[i], end = pads[i + rank], output;
            switch (autoPad)
            {
                case "SAME_UPPER":
                case "SAME_LOWER":
                {
                    output = (input + stride - 1) / stride;
                    int total = Math.Max(0, (output - 1) * stride + effective - input);
                    begin = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                    end = total - begin;
                    break;
                }

                case "VALID":
                    begin = end = 0;
                    output = (input - effective) / stride + 1;
                    break;
                default:
                {
                    int span = input + begin + end - effective;
                    output = ceilMode ? (span + stride - 1) / stride + 1 : span / stride + 1;
                    if (ceilMode && (output - 1) * stride >= input + begin)
                    {
                        output--; // the last window would start in the end padding
                    }

                    break;
                }
            }

            if (output <= 0)
            {
                throw new OnnxModelException(OnnxDiagnostics.InvalidModel, c.Path, $"{node.OpType} '{node.DisplayName}' in '{c.Path}' produces an empty output along spatial axis {i}.");
            }

            axes[i] = new Axis(input, k, stride, dilation, begin, end, output);
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
        int group = (int)node.GetInt("group", 1);
        int n = shape[0], channels = shape[1];
        int m = weight.Dims[0];
        if (weight.Dims[1] * group != channels || m % group != 0)
        {
            throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"Conv '{node.DisplayName}' in '{path}' has weights [{string.Join(",", weight.Dims)}] for {channels} input channels in {group} groups.");
        }

        int[] spatial = shape[2..];
        int[] kernel = node.GetInts("kernel_shape")?.Select(v => (int)v).ToArray() ?? weight.Dims[2..];
        var axes = SpatialAxes(c, node, spatial, kernel, ceilMode: false);
        var h = oneD ? new Axis(1, 1, 1, 1, 0, 0, 1) : axes[0];
        var w = oneD ? axes[0] : axes[1];
        if (n != 1 && !c.Inputs.Contains(x))
        {
            // Concrete batches other than 1 only arise in conformance runs; the kernels loop samples.
        }

        var biasData = bias?.Floats ?? new float[m];
        int[] outShape = oneD ? [n, m, w.Output] : [n, m, h.Output, w.Output];
        var layer = new ConvLayer
        {
            Name = node.DisplayName, Inputs = [x], Output = c.NewValue(node.Outputs[0], outShape),
            C = channels, H = h.Input, W = w.Input, M = m, KH = h.Kernel, KW = w.Kernel,
            StrideH = h.Stride, StrideW = w.Stride, PadTop = h.PadBegin, PadLeft = w.PadBegin,
            DilationH = h.Dilation, DilationW = w.Dilation, Group = group, OH = h.Output, OW = w.Output,
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
        int[] kernel = node.GetInts("kernel_shape")?.Select(v => (int)v).ToArray() ?? throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"{node.OpType} '{node.DisplayName}' in '{path}' has no kernel_shape.");
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
                var full = new long[2 * rank];
                for (int i = 0; i < axes.Length; i++)
                {
                    int axis = (int)(axes[i] < 0 ? axes[i] + rank : axes[i]);
                    full[axis] = pads[i];
                    full[axis + rank] = pads[i + axes.Length];
                }

                pads = full;
            }
        }

        var outShape = dims.Select((d, i) => d + (int)pads[i] + (int)pads[i + rank]).ToArray();
        return c.AddLayer(new PadLayer { Name = node.DisplayName, Inputs = [x], Output = c.NewValue(node.Outputs[0], outShape), Mode = mode, Pads = pads.Select(p => (int)p).ToArray(), Value = value });
    }
}
