using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Convolution with constant weights and bias: 1-D and 2-D as one <see cref="ConvLayer"/> (1-D as H = 1), 3-D as one
/// <see cref="Conv3DLayer"/>.
/// </summary>
internal static class Conv
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        int x = n.Runtime(0);
        var weight = n.Constant(1, "weight");
        var bias = n.Input(2) is null ? null : n.Constant(2, "bias");
        var c = n.Context;
        var node = n.Node;
        string path = n.Path;
        var shape = c.Shape(x);
        if (shape.Length is not (3 or 4 or 5) || weight.Dims.Length != shape.Length)
        {
            throw n.Unsupported($"Conv '{node.DisplayName}' in '{path}' is {shape.Length - 2}-D; BuildOptim supports 1-D, 2-D and 3-D convolutions.");
        }

        bool oneD = shape.Length == 3;
        long group = node.GetInt("group", 1);
        int batch = shape[0], channels = shape[1];
        int m = weight.Dims[0];
        if (group < 1 || group > channels || (long)weight.Dims[1] * group != channels || m % group != 0)
        {
            throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"Conv '{node.DisplayName}' in '{path}' has weights [{string.Join(",", weight.Dims)}] for {channels} input channels in {group} groups.");
        }

        if (!weight.IsFloat || weight.ElementCount == 0 || (bias is not null && (!bias.IsFloat || bias.ElementCount != m)))
        {
            throw n.Bad($"has weights [{string.Join(",", weight.Dims)}] and a bias of {bias?.ElementCount ?? 0} values; it needs non-empty float weights and one float bias per output channel");
        }

        int[] spatial = shape[2..];
        long[] weightKernel = weight.Dims[2..].Select(d => (long)d).ToArray();
        long[] kernel = node.GetInts("kernel_shape") ?? weightKernel;
        if (!kernel.SequenceEqual(weightKernel))
        {
            throw n.Bad($"has kernel_shape [{string.Join(",", kernel)}] but weights [{string.Join(",", weight.Dims)}]");
        }

        var axes = WindowGeometry.SpatialAxes(c, node, spatial, kernel, ceilMode: false);
        if (shape.Length == 5)
        {
            var (depth, height, width) = WindowGeometry.Volume(n, axes);
            c.Charge(node, m);
            return n.Add(new Conv3DLayer
            {
                Name = node.DisplayName, Inputs = [x], Output = c.NewValue(node.Outputs[0], [batch, m, depth.Output, height.Output, width.Output]),
                C = channels, M = m, Group = (int)group, Depth = depth, Height = height, Width = width,
                Weights = weight.Floats!, Bias = (float[])(bias?.Floats ?? new float[m]).Clone(),
            });
        }

        var h = oneD ? WindowAxis.Unit : axes[0];
        var w = oneD ? axes[0] : axes[1];
        c.Charge(node, m); // the layer's own copy of the bias
        var biasData = bias?.Floats ?? new float[m];
        int[] outShape = oneD ? [batch, m, w.Output] : [batch, m, h.Output, w.Output];
        return n.Add(new ConvLayer
        {
            Name = node.DisplayName, Inputs = [x], Output = c.NewValue(node.Outputs[0], outShape),
            C = channels, H = h.Input, W = w.Input, M = m, KH = h.Kernel, KW = w.Kernel,
            StrideH = h.Stride, StrideW = w.Stride, PadTop = h.PadBegin, PadLeft = w.PadBegin,
            DilationH = h.Dilation, DilationW = w.Dilation, Group = (int)group, OH = h.Output, OW = w.Output,
            Weights = weight.Floats!, Bias = (float[])biasData.Clone(),
        });
    }
}
