using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// ConvTranspose with constant weights [C, M/group, k...] and bias: 1-D and 2-D as one <see cref="ConvTransposeLayer"/>
/// (1-D as H = 1), 3-D as one <see cref="ConvTranspose3DLayer"/>. Per spatial axis, with <c>span = stride · (in − 1) + output_padding + dilation · (k − 1) + 1</c>:
/// <c>output_shape</c> (its trailing values) fixes the output and the pads <c>total = span − out</c>; auto_pad SAME_* makes
/// <c>out = in · stride</c> with the same split (SAME_UPPER puts the odd pad at the end, the others at the start); VALID has
/// no pads; NOTSET reads <c>pads</c> and gives <c>out = span − begin − end</c>.
/// </summary>
internal static class ConvTranspose
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        int x = n.Runtime(0);
        var weight = n.Constant(1, "weight");
        var bias = n.Input(2) is null ? null : n.Constant(2, "bias");
        var c = n.Context;
        var node = n.Node;
        var shape = c.Shape(x);
        if (shape.Length is not (3 or 4 or 5) || weight.Dims.Length != shape.Length)
        {
            throw n.Unsupported($"ConvTranspose '{node.DisplayName}' in '{n.Path}' is {shape.Length - 2}-D; BuildOptim supports 1-D, 2-D and 3-D transposed convolutions.");
        }

        int rank = shape.Length - 2;
        long group = node.GetInt("group", 1);
        int channels = shape[1];
        if (group < 1 || group > channels || channels % group != 0 || weight.Dims[0] != channels || (long)weight.Dims[1] * group > int.MaxValue)
        {
            throw n.Bad($"has weights [{string.Join(",", weight.Dims)}] for {channels} input channels in {group} groups");
        }

        int m = (int)(weight.Dims[1] * group);
        if (!weight.IsFloat || weight.ElementCount == 0 || (bias is not null && (!bias.IsFloat || bias.ElementCount != m)))
        {
            throw n.Bad($"has weights [{string.Join(",", weight.Dims)}] and a bias of {bias?.ElementCount ?? 0} values; it needs non-empty float weights and one float bias per output channel");
        }

        long[] kernel = weight.Dims[2..].Select(d => (long)d).ToArray();
        if (node.GetInts("kernel_shape") is { } declared && !declared.SequenceEqual(kernel))
        {
            throw n.Bad($"has kernel_shape [{string.Join(",", declared)}] but weights [{string.Join(",", weight.Dims)}]");
        }

        var axes = Axes(n, shape[2..], kernel);
        if (rank == 3)
        {
            var (depth, height, width) = WindowGeometry.Volume(n, axes);
            c.Charge(node, m);
            return n.Add(new ConvTranspose3DLayer
            {
                Name = node.DisplayName, Inputs = [x], Output = n.NewOutput([shape[0], m, depth.Output, height.Output, width.Output]),
                C = channels, M = m, Group = (int)group, Depth = depth, Height = height, Width = width,
                Weights = weight.Floats!, Bias = (float[])(bias?.Floats ?? new float[m]).Clone(),
            });
        }

        var h = rank == 1 ? WindowAxis.Unit : axes[0];
        var w = rank == 1 ? axes[0] : axes[1];
        c.Charge(node, m);
        int[] outShape = rank == 1 ? [shape[0], m, w.Output] : [shape[0], m, h.Output, w.Output];
        return n.Add(new ConvTransposeLayer
        {
            Name = node.DisplayName, Inputs = [x], Output = n.NewOutput(outShape),
            C = channels, H = h.Input, W = w.Input, M = m, KH = h.Kernel, KW = w.Kernel,
            StrideH = h.Stride, StrideW = w.Stride, PadTop = h.PadBegin, PadLeft = w.PadBegin,
            DilationH = h.Dilation, DilationW = w.Dilation, Group = (int)group, OH = h.Output, OW = w.Output,
            Weights = weight.Floats!, Bias = (float[])(bias?.Floats ?? new float[m]).Clone(),
        });
    }

    private static WindowAxis[] Axes(NodeLowering n, int[] input, long[] kernel)
    {
        var node = n.Node;
        int rank = input.Length;
        long[] Attribute(string name, int length, long fallback, long min)
        {
            var values = node.GetInts(name) ?? Enumerable.Repeat(fallback, length).ToArray();
            if (values.Length != length || values.Any(v => v < min || v > int.MaxValue))
            {
                throw n.Bad($"has {name} [{string.Join(",", values)}]; it needs {length} values from {min} to {int.MaxValue} for {rank} spatial axes");
            }

            return values;
        }

        if (kernel.Any(k => k < 1))
        {
            throw n.Bad($"has kernel [{string.Join(",", kernel)}]; it needs positive values");
        }

        var strides = Attribute("strides", rank, 1, 1);
        var dilations = Attribute("dilations", rank, 1, 1);
        var outputPadding = Attribute("output_padding", rank, 0, 0);
        var pads = Attribute("pads", 2 * rank, 0, 0);
        long[]? outputShape = node.GetInts("output_shape");
        if (outputShape is not null && (outputShape.Length < rank || outputShape[^rank..].Any(v => v < 1 || v > int.MaxValue)))
        {
            throw n.Bad($"has output_shape [{string.Join(",", outputShape)}]; it needs {rank} positive spatial sizes");
        }

        string autoPad = node.Attributes.TryGetValue("auto_pad", out var a) && a.S is { } s ? s : "NOTSET";
        var axes = new WindowAxis[rank];
        for (int i = 0; i < rank; i++)
        {
            long stride = strides[i], dilation = dilations[i];
            long span = stride * (input[i] - 1) + outputPadding[i] + dilation * (kernel[i] - 1) + 1; // < 2^63: factors below 2^31
            long begin = pads[i], end = pads[i + rank], output;
            if (outputShape is not null || autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                output = outputShape is not null ? outputShape[outputShape.Length - rank + i] : input[i] * stride;
                long total = Math.Max(0, span - output);
                begin = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                end = total - begin;
            }
            else
            {
                if (autoPad == "VALID")
                {
                    begin = end = 0;
                }

                output = span - begin - end;
            }

            if (output <= 0 || output > int.MaxValue || span > int.MaxValue)
            {
                throw n.Bad($"has an output of {output} along spatial axis {i} (span {span}, pads {begin}, {end}); it needs 1 to {int.MaxValue}");
            }

            axes[i] = new WindowAxis(input[i], (int)kernel[i], (int)stride, (int)dilation, (int)begin, (int)end, (int)output);
        }

        return axes;
    }
}
