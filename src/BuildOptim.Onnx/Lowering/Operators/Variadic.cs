using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Max, Min and Mean of one or more inputs with numpy broadcasting, combined left to right as ONNX Runtime combines them:
/// Max and Min a chain of <see cref="BinaryMathLayer"/>s, Mean a chain of Adds (as Sum lowers) then a Mul by 1/n (ONNX
/// Runtime scales the sum by the reciprocal). Of one input each is a copy. Max and Min fold on constants (shape arithmetic).
/// </summary>
internal static class Variadic
{
    public static SymbolicValue LowerMax(NodeLowering n) => Lower(n, BinaryMathKind.Max);

    public static SymbolicValue LowerMin(NodeLowering n) => Lower(n, BinaryMathKind.Min);

    public static SymbolicValue LowerMean(NodeLowering n)
    {
        var c = n.Context;
        var inputs = Inputs(n);
        if (inputs.Length == 1)
        {
            return Copy(n, inputs[0]);
        }

        string name = n.Node.Outputs[0];
        int sum = Combine(n, inputs, (a, b, output) => c.AddLayer(new BinaryLayer { Name = n.Name, Inputs = [a, b], Output = output, Kind = BinaryKind.Add }), intoNodeOutput: false);
        int scale = c.NewValue(name + "#scale", []);
        c.AddLayer(new ConstantLayer { Name = name + "#scale", Inputs = [], Output = scale, Data = [1f / inputs.Length] });
        return n.Add(new BinaryLayer { Name = n.Name, Inputs = [sum, scale], Output = n.NewOutput(c.Shape(sum)), Kind = BinaryKind.Mul });
    }

    /// <summary>Max or Min of constants, float or integer, with numpy broadcasting.</summary>
    public static Tensor FoldMaxMin(NodeFolding f)
    {
        var inputs = f.All();
        bool max = f.Node.OpType == "Max";
        var dims = inputs[0].Dims;
        foreach (var input in inputs.Skip(1))
        {
            dims = Shapes.Broadcast(dims, input.Dims) ?? throw f.Fail($"broadcasts [{string.Join(",", dims)}] with [{string.Join(",", input.Dims)}]");
        }

        int count = Shapes.ElementCount(f.Path, f.Node, dims);
        bool isFloat = inputs.Any(t => t.IsFloat);
        f.Charge((long)count * inputs.Length, !isFloat);
        var offsets = inputs.Select(t => Shapes.BroadcastOffsets(t.Dims, dims).ToArray()).ToArray();
        if (isFloat)
        {
            var values = new float[count];
            for (int i = 0; i < count; i++)
            {
                values[i] = Float(inputs[0], offsets[0][i]);
                for (int k = 1; k < inputs.Length; k++)
                {
                    float v = Float(inputs[k], offsets[k][i]);
                    values[i] = max ? MathF.Max(values[i], v) : MathF.Min(values[i], v);
                }
            }

            return new Tensor(f.OutputName, dims, values);
        }

        var integers = new long[count];
        for (int i = 0; i < count; i++)
        {
            integers[i] = inputs[0].Int64s![offsets[0][i]];
            for (int k = 1; k < inputs.Length; k++)
            {
                long v = inputs[k].Int64s![offsets[k][i]];
                integers[i] = max ? Math.Max(integers[i], v) : Math.Min(integers[i], v);
            }
        }

        return new Tensor(f.OutputName, dims, integers, inputs[0].Type);
    }

    private static float Float(Tensor t, int i) => t.IsFloat ? t.Floats![i] : t.Int64s![i];

    private static SymbolicValue Lower(NodeLowering n, BinaryMathKind kind)
    {
        var inputs = Inputs(n);
        return inputs.Length == 1
            ? Copy(n, inputs[0])
            : new RuntimeValue(Combine(n, inputs, (a, b, output) => BinaryMath.Layer(n, kind, a, b, output), intoNodeOutput: true));
    }

    /// <summary>Every input's value id (each constant materialized once).</summary>
    private static int[] Inputs(NodeLowering n)
    {
        var node = n;
        return Enumerable.Range(0, n.Node.Inputs.Count).Select(i => node.Runtime(i)).ToArray();
    }

    private static SymbolicValue Copy(NodeLowering n, int x)
        => n.Add(new ReshapeLayer { Name = n.Name, Inputs = [x], Output = n.NewOutput(n.Context.Shape(x)) });

    /// <summary>
    /// <c>f(...f(f(x0, x1), x2)..., xn)</c>, each result in a value of its own, the last the node's output when
    /// <paramref name="intoNodeOutput"/>; returns the last.
    /// </summary>
    private static int Combine(NodeLowering n, int[] inputs, Func<int, int, int, int> f, bool intoNodeOutput)
    {
        var c = n.Context;
        int acc = inputs[0];
        for (int i = 1; i < inputs.Length; i++)
        {
            var shape = Shapes.Broadcast(c.Shape(acc), c.Shape(inputs[i]))
                ?? throw n.Bad($"cannot broadcast [{string.Join(",", c.Shape(acc))}] with [{string.Join(",", c.Shape(inputs[i]))}]");
            int output = i == inputs.Length - 1 && intoNodeOutput ? n.NewOutput(shape) : c.NewValue(n.Node.Outputs[0] + "#" + i, shape);
            acc = f(acc, inputs[i], output);
        }

        return acc;
    }
}
