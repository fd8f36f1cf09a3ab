using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// MaxPool and AveragePool (1-D and 2-D windows: a <see cref="PoolLayer"/>; 3-D: a <see cref="Pool3DLayer"/>), GlobalMaxPool and GlobalAveragePool
/// (a <see cref="GlobalPoolLayer"/> over every spatial position).
/// </summary>
internal static class Pools
{
    public static SymbolicValue LowerWindow(NodeLowering n)
    {
        var node = n.Node;
        string path = n.Path;
        if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0)
        {
            throw n.Unsupported($"MaxPool '{n.Name}' in '{path}' returns indices, which BuildOptim does not support.");
        }

        int x = n.Runtime(0);
        var c = n.Context;
        var shape = c.Shape(x);
        if (shape.Length is not (3 or 4 or 5))
        {
            throw n.Unsupported($"{node.OpType} '{node.DisplayName}' in '{path}' is {shape.Length - 2}-D; BuildOptim supports 1-D, 2-D and 3-D pooling.");
        }

        bool oneD = shape.Length == 3;
        long[] kernel = node.GetInts("kernel_shape") ?? throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"{node.OpType} '{node.DisplayName}' in '{path}' has no kernel_shape.");
        var axes = WindowGeometry.SpatialAxes(c, node, shape[2..], kernel, node.GetInt("ceil_mode", 0) != 0);
        if (shape.Length == 5)
        {
            var (depth, height, width) = WindowGeometry.Volume(n, axes);
            return n.Add(new Pool3DLayer
            {
                Name = node.DisplayName, Inputs = [x], Output = c.NewValue(node.Outputs[0], [shape[0], shape[1], depth.Output, height.Output, width.Output]),
                Kind = node.OpType == "MaxPool" ? PoolKind.Max : PoolKind.Average,
                C = shape[0] * shape[1], Depth = depth, Height = height, Width = width,
                CountIncludePad = node.GetInt("count_include_pad", 0) != 0,
            });
        }

        var h = oneD ? WindowAxis.Unit : axes[0];
        var w = oneD ? axes[0] : axes[1];
        int[] outShape = oneD ? [shape[0], shape[1], w.Output] : [shape[0], shape[1], h.Output, w.Output];
        return n.Add(new PoolLayer
        {
            Name = node.DisplayName, Inputs = [x], Output = c.NewValue(node.Outputs[0], outShape),
            Kind = node.OpType == "MaxPool" ? PoolKind.Max : PoolKind.Average,
            C = shape[0] * shape[1], H = h.Input, W = w.Input, KH = h.Kernel, KW = w.Kernel,
            StrideH = h.Stride, StrideW = w.Stride, PadTop = h.PadBegin, PadLeft = w.PadBegin, PadBottom = h.PadEnd, PadRight = w.PadEnd,
            DilationH = h.Dilation, DilationW = w.Dilation, OH = h.Output, OW = w.Output,
            CountIncludePad = node.GetInt("count_include_pad", 0) != 0,
        });
    }

    public static SymbolicValue LowerGlobal(NodeLowering n)
    {
        int x = n.Runtime(0);
        var shape = n.Context.Shape(x);
        if (shape.Length < 3)
        {
            throw n.Unsupported($"{n.Node.OpType} '{n.Name}' in '{n.Path}' needs an [N, C, spatial...] input.");
        }

        int[] outShape = [shape[0], shape[1], .. Enumerable.Repeat(1, shape.Length - 2)];
        return n.Add(new GlobalPoolLayer
        {
            Name = n.Name, Inputs = [x], Output = n.NewOutput(outShape),
            Kind = n.Node.OpType == "GlobalMaxPool" ? PoolKind.Max : PoolKind.Average,
            C = shape[0] * shape[1], Spatial = Shapes.Product(shape.Skip(2)),
        });
    }
}
