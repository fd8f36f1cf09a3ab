using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Pow: x to a scalar constant exponent (float or integer) is <see cref="ActivationKind.Pow"/> with α the exponent (int8 plans
/// take its table; 2 and 3 multiply, as ONNX Runtime does); any other exponent a <see cref="BinaryMathLayer"/> with numpy
/// broadcasting.
/// </summary>
internal static class Pow
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        int x = n.Runtime(0);
        var shape = n.Context.Shape(x);
        if (n.Input(1) is ConstantValue { Tensor: { ElementCount: 1 } exponent } && exponent.Dims.Length <= shape.Length)
        {
            float alpha = exponent.IsFloat ? exponent.Floats![0] : exponent.Int64s![0];
            return n.Add(new ActivationLayer { Name = n.Name, Inputs = [x], Output = n.NewOutput(shape), Kind = ActivationKind.Pow, Alpha = alpha });
        }

        return new RuntimeValue(BinaryMath.Layer(n, BinaryMathKind.Pow, x, n.Runtime(1)));
    }
}
