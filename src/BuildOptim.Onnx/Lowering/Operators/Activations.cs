using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Elementwise activations: one <see cref="ActivationLayer"/> each, parameters from attributes (Clip's bounds from its
/// constant inputs from opset 11 on). Relu and Clip are fused later into the layer before them (<c>FuseActivation</c>).
/// </summary>
internal static class Activations
{
    /// <summary>
    /// The lowering of an operator that is one parameterless <see cref="ActivationKind"/> on its one input: an elementwise
    /// function is its kind plus this in its <see cref="OperatorRegistry"/> line.
    /// </summary>
    public static LowerOperator Elementwise(ActivationKind kind) => n => Lower(n, kind);

    public static SymbolicValue LowerRelu(NodeLowering n) => Lower(n, ActivationKind.Relu);

    public static SymbolicValue LowerSigmoid(NodeLowering n) => Lower(n, ActivationKind.Sigmoid);

    public static SymbolicValue LowerTanh(NodeLowering n) => Lower(n, ActivationKind.Tanh);

    public static SymbolicValue LowerHardSwish(NodeLowering n) => Lower(n, ActivationKind.HardSwish);

    public static SymbolicValue LowerSoftplus(NodeLowering n) => Lower(n, ActivationKind.Softplus);

    public static SymbolicValue LowerSoftsign(NodeLowering n) => Lower(n, ActivationKind.Softsign);

    public static SymbolicValue LowerLeakyRelu(NodeLowering n) => Lower(n, ActivationKind.LeakyRelu, n.Node.GetFloat("alpha", 0.01f));

    public static SymbolicValue LowerElu(NodeLowering n) => Lower(n, ActivationKind.Elu, n.Node.GetFloat("alpha", 1f));

    /// <summary>Selu: α and γ (as <see cref="ActivationLayer.Beta"/>), ONNX's defaults as float32.</summary>
    public static SymbolicValue LowerSelu(NodeLowering n)
        => Lower(n, ActivationKind.Selu, n.Node.GetFloat("alpha", 1.67326319217681884765625f), n.Node.GetFloat("gamma", 1.05070102214813232421875f));

    public static SymbolicValue LowerHardSigmoid(NodeLowering n)
        => Lower(n, ActivationKind.HardSigmoid, n.Node.GetFloat("alpha", 0.2f), n.Node.GetFloat("beta", 0.5f));

    /// <summary>Gelu (opset 20): approximate "none" is <see cref="ActivationKind.Gelu"/>, "tanh" <see cref="ActivationKind.GeluTanh"/>.</summary>
    public static SymbolicValue LowerGelu(NodeLowering n)
    {
        string approximate = n.Node.Attributes.TryGetValue("approximate", out var a) && a.S is { } s ? s : "none";
        return approximate switch
        {
            "none" => Lower(n, ActivationKind.Gelu),
            "tanh" => Lower(n, ActivationKind.GeluTanh),
            _ => throw n.Bad($"has approximate '{approximate}'; it must be 'none' or 'tanh'"),
        };
    }

    /// <summary>Clip to [min, max] (<see cref="ActivationLayer.Alpha"/>, <see cref="ActivationLayer.Beta"/>); an omitted bound is infinite.</summary>
    public static SymbolicValue LowerClip(NodeLowering n)
    {
        int x = n.Runtime(0);
        var (min, max) = ClipBounds(n);
        return Layer(n, x, ActivationKind.Clip, min, max);
    }

    private static SymbolicValue Lower(NodeLowering n, ActivationKind kind, float alpha = 0, float beta = 0) => Layer(n, n.Runtime(0), kind, alpha, beta);

    private static SymbolicValue Layer(NodeLowering n, int x, ActivationKind kind, float alpha, float beta)
        => n.Add(new ActivationLayer { Name = n.Name, Inputs = [x], Output = n.NewOutput(n.Context.Shape(x)), Kind = kind, Alpha = alpha, Beta = beta });

    /// <summary>Attributes before opset 11, constant scalar inputs 1 and 2 from it on.</summary>
    private static (float Min, float Max) ClipBounds(NodeLowering n)
    {
        float min = float.NegativeInfinity, max = float.PositiveInfinity;
        if (n.Context.Graph.OpsetVersion < 11)
        {
            return (n.Node.GetFloat("min", min), n.Node.GetFloat("max", max));
        }

        for (int i = 1; i <= 2; i++)
        {
            var v = n.Input(i);
            if (v is null)
            {
                continue;
            }

            if (v is not ConstantValue { Tensor: var t })
            {
                throw n.Unsupported($"Clip '{n.Name}' in '{n.Path}' takes a computed bound; only constant bounds are supported.");
            }

            if (t.ElementCount != 1)
            {
                throw n.Bad($"has a bound of {t.ElementCount} elements; it must be a scalar");
            }

            float bound = t.IsFloat ? t.Floats![0] : t.Int64s![0];
            if (i == 1)
            {
                min = bound;
            }
            else
            {
                max = bound;
            }
        }

        return (min, max);
    }
}
