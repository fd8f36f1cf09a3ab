using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Pad in constant, reflect or edge mode with constant pads (attributes before opset 11, inputs from it on, with
/// optional axes from opset 18): a <see cref="PadLayer"/>; negative pads crop.
/// </summary>
internal static class Pad
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        int x = n.Runtime(0);
        var c = n.Context;
        var node = n.Node;
        string path = n.Path;
        var dims = c.Shape(x);
        int rank = dims.Length;
        string modeText = node.Attributes.TryGetValue("mode", out var m) && m.S is { } s ? s : "constant";
        var mode = modeText switch
        {
            "constant" => PaddingMode.Constant,
            "reflect" => PaddingMode.Reflect,
            "edge" => PaddingMode.Edge,
            _ => throw n.Unsupported($"Pad '{node.DisplayName}' in '{path}' uses mode '{modeText}'; supported: constant, reflect, edge."),
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
            pads = n.Input(1) is ConstantValue { Tensor.Int64s: { } p } ? p : throw n.Unsupported($"Pad '{node.DisplayName}' in '{path}' takes computed pads; only constant pads are supported.");
            if (n.Input(2) is ConstantValue { Tensor: var v } && v.ElementCount > 0)
            {
                value = v.IsFloat ? v.Floats![0] : v.Int64s![0];
            }

            if (n.Input(3) is ConstantValue { Tensor.Int64s: { } axes })
            {
                if (pads.Length != 2 * axes.Length)
                {
                    throw n.Bad($"has {pads.Length} pads for {axes.Length} axes; it needs two per axis");
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
            throw n.Bad($"has {pads.Length} pads for a tensor of rank {rank}; it needs two per axis");
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
                throw n.Bad($"pads axis {i} of size {d} by {begin} and {end} in {modeText} mode");
            }
        }

        Shapes.ElementCount(path, node, outShape);
        return n.Add(new PadLayer { Name = node.DisplayName, Inputs = [x], Output = c.NewValue(node.Outputs[0], outShape.Select(d => (int)d).ToArray(), c.Type(x)), Mode = mode, Pads = pads.Select(p => (int)p).ToArray(), Value = value });
    }
}
