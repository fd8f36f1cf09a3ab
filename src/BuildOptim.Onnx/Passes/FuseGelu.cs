using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Passes;

/// <summary>
/// Fuses GELU written with Erf, <c>x · ½ · (1 + erf(x / √2))</c>, into one <see cref="ActivationKind.Gelu"/>: x / √2 as a
/// Div by √2 or a Mul by 1/√2, Erf, an Add of 1, and the product of x, ½ and that sum in any association and operand order
/// (PyTorch's nn.GELU exports <c>(x · (1 + erf)) · ½</c>, hand-written code <c>(x · ½) · (1 + erf)</c>). Every intermediate
/// must have that one reader.
/// </summary>
public static class FuseGelu
{
    private const float Sqrt2 = 1.41421356f;

    public static Network Run(Network network)
        => LayerPattern.Fuse(network, (p, layer) => layer is ActivationLayer { Kind: ActivationKind.Erf } erf && Match(p, erf) is var (matched, last, x)
            ? new PatternMatch(matched, last, new ActivationLayer { Name = last.Name, Inputs = [x], Output = last.Output, Kind = ActivationKind.Gelu })
            : null);

    private static (List<Layer> Matched, Layer Last, int X)? Match(LayerPattern p, ActivationLayer erf)
    {
        if (p.Producer(erf.Inputs[0]) is not BinaryLayer { Activation: null } scaled || p.SoleReader<ActivationLayer>(scaled) != erf
            || Scaled(p, scaled) is not { } x
            || p.SoleReader<BinaryLayer>(erf) is not { Kind: BinaryKind.Add, Activation: null } onePlus || p.ScalarBeside(onePlus, erf.Output) != 1f
            || p.SoleReader<BinaryLayer>(onePlus) is not { Kind: BinaryKind.Mul, Activation: null } product || LayerPattern.Other(product, onePlus.Output) is not { } other)
        {
            return null;
        }

        List<Layer> matched = [scaled, erf, onePlus, product];
        if (other == x)
        {
            // (x · (1 + erf)) · ½
            return p.SoleReader<BinaryLayer>(product) is { Kind: BinaryKind.Mul, Activation: null } half && p.ScalarBeside(half, product.Output) == 0.5f
                ? ([.. matched, half], half, x)
                : null;
        }

        if (p.Scalar(other) == 0.5f)
        {
            // x · ((1 + erf) · ½)
            return p.SoleReader<BinaryLayer>(product) is { Kind: BinaryKind.Mul, Activation: null } outer && LayerPattern.Other(outer, product.Output) == x
                ? ([.. matched, outer], outer, x)
                : null;
        }

        // (x · ½) · (1 + erf)
        return p.Producer(other) is BinaryLayer { Kind: BinaryKind.Mul, Activation: null } halfX && p.SoleReader<BinaryLayer>(halfX) == product
            && p.ScalarBeside(halfX, x) == 0.5f
            ? ([.. matched, halfX], product, x)
            : null;
    }

    /// <summary>x when <paramref name="layer"/> is x / √2 or x · (1/√2) with a scalar constant (float rounding allowed); else null.</summary>
    private static int? Scaled(LayerPattern p, BinaryLayer layer)
    {
        if (layer is { Kind: BinaryKind.Div, Inputs: [var x, var divisor] } && p.Scalar(divisor) is { } d && Near(d, Sqrt2))
        {
            return x;
        }

        if (layer.Kind != BinaryKind.Mul)
        {
            return null;
        }

        foreach (int candidate in layer.Inputs)
        {
            if (p.ScalarBeside(layer, candidate) is { } m && Near(m, 1 / Sqrt2))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool Near(float value, float target) => Math.Abs(value - target) <= 1e-6f * target;
}
