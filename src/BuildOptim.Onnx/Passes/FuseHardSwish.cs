using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Passes;

/// <summary>
/// Fuses hard-sigmoid and hard-swish written out with ReLU6 into one <see cref="ActivationKind.HardSigmoid"/> (α = 1/6,
/// β = ½) or <see cref="ActivationKind.HardSwish"/>: <c>relu6(x + 3) / 6</c> and <c>x · relu6(x + 3) / 6</c>, as MobileNetV3
/// reimplementations write them and PyTorch exports them (Add 3, Relu then Clip(0, 6) or one Clip(0, 6), then Div by 6 or
/// Mul by 1/6, the product with x before or after the division); and <c>x · HardSigmoid(x)</c> with α = 1/6, β = ½, which is
/// how PyTorch exports nn.Hardswish below opset 14. Every intermediate must have that one reader.
/// </summary>
/// <remarks>
/// One activation instead of three to five layers: in int8 one table lookup on x's codes, without the rounding of the
/// intermediate values that a chain of quantized layers adds.
/// </remarks>
public static class FuseHardSwish
{
    private const float Sixth = 1f / 6;

    public static Network Run(Network network)
    {
        network = LayerPattern.Fuse(network, (p, layer) => layer is BinaryLayer { Kind: BinaryKind.Add, Activation: null } add ? MatchRelu6(p, add) : null);
        return LayerPattern.Fuse(network, (p, layer) => layer is ActivationLayer { Kind: ActivationKind.HardSigmoid } sigmoid ? MatchProduct(p, sigmoid) : null);
    }

    /// <summary>From <c>x + 3</c>: <c>relu6(x + 3) / 6</c> (a hard-sigmoid) or <c>x · relu6(x + 3) / 6</c> (a hard-swish).</summary>
    private static PatternMatch? MatchRelu6(LayerPattern p, BinaryLayer add)
    {
        if (Operand(p, add, 3f) is not { } x || !p.Shape(x).SequenceEqual(p.Shape(add.Output)) || Relu6(p, add) is not var (relu6, clip))
        {
            return null;
        }

        if (Divided(p, clip) is { } sigmoid)
        {
            return new PatternMatch([add, .. relu6, sigmoid], sigmoid, Activation(sigmoid, x, ActivationKind.HardSigmoid));
        }

        return p.SoleReader<BinaryLayer>(clip) is { Kind: BinaryKind.Mul, Activation: null } product && LayerPattern.Other(product, clip.Output) == x
            && Divided(p, product) is { } swish
            ? new PatternMatch([add, .. relu6, product, swish], swish, Activation(swish, x, ActivationKind.HardSwish))
            : null;
    }

    /// <summary>From a hard-sigmoid with α = 1/6, β = ½: <c>x · HardSigmoid(x)</c> in either operand order.</summary>
    private static PatternMatch? MatchProduct(LayerPattern p, ActivationLayer sigmoid)
    {
        int x = sigmoid.Inputs[0];
        return Near(sigmoid.Alpha, Sixth) && sigmoid.Beta == 0.5f
            && p.SoleReader<BinaryLayer>(sigmoid) is { Kind: BinaryKind.Mul, Activation: null } product && LayerPattern.Other(product, sigmoid.Output) == x
            ? new PatternMatch([sigmoid, product], product, Activation(product, x, ActivationKind.HardSwish))
            : null;
    }

    /// <summary>The layers clamping <paramref name="add"/>'s output to [0, 6] (Relu then Clip with a lower bound ≤ 0, or one Clip(0, 6)) and the last of them.</summary>
    private static (List<Layer> Layers, Layer Last)? Relu6(LayerPattern p, BinaryLayer add)
    {
        var next = p.SoleReader<ActivationLayer>(add);
        if (next is { Kind: ActivationKind.Relu } relu)
        {
            return p.SoleReader<ActivationLayer>(relu) is { Kind: ActivationKind.Clip, Alpha: <= 0f, Beta: 6f } clip ? ([relu, clip], clip) : null;
        }

        return next is { Kind: ActivationKind.Clip, Alpha: 0f, Beta: 6f } only ? ([only], only) : null;
    }

    /// <summary>The sole reader of <paramref name="layer"/> when it divides by 6 or multiplies by 1/6.</summary>
    private static BinaryLayer? Divided(LayerPattern p, Layer layer)
    {
        if (p.SoleReader<BinaryLayer>(layer) is not { Activation: null } reader)
        {
            return null;
        }

        return reader.Kind switch
        {
            BinaryKind.Div when reader.Inputs[0] == layer.Output && p.Scalar(reader.Inputs[1]) == 6f => reader,
            BinaryKind.Mul when p.ScalarBeside(reader, layer.Output) is { } m && Near(m, Sixth) => reader,
            _ => null,
        };
    }

    /// <summary>The operand of <paramref name="layer"/> beside the scalar constant <paramref name="scalar"/>.</summary>
    private static int? Operand(LayerPattern p, BinaryLayer layer, float scalar)
        => layer.Inputs is [var a, var b] && a != b ? (p.Scalar(b) == scalar ? a : p.Scalar(a) == scalar ? b : null) : null;

    private static ActivationLayer Activation(Layer last, int x, ActivationKind kind) => kind == ActivationKind.HardSigmoid
        ? new ActivationLayer { Name = last.Name, Inputs = [x], Output = last.Output, Kind = kind, Alpha = Sixth, Beta = 0.5f }
        : new ActivationLayer { Name = last.Name, Inputs = [x], Output = last.Output, Kind = kind };

    private static bool Near(float value, float target) => Math.Abs(value - target) <= 1e-6f * target;
}
