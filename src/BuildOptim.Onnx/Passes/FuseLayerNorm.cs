using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Passes;

/// <summary>
/// Fuses layer normalization written out, as PyTorch before opset 17 and Keras export it, into one
/// <see cref="LayerNormLayer"/>: <c>u = ReduceMean(x)</c> over trailing axes, <c>d = x − u</c>, <c>d²</c> (Pow 2 or
/// <c>d · d</c>), <c>v = ReduceMean(d²)</c> over the same axes, <c>v + ε</c>, Sqrt, <c>d / √(v + ε)</c>, then optionally a
/// Mul by constant γ and an Add of constant β (either operand order). Every intermediate must have that one reader.
/// </summary>
public static class FuseLayerNorm
{
    public static Network Run(Network network) => LayerPattern.Fuse(network, (p, layer) => layer is ReduceLayer mean ? Match(p, mean) : null);

    private static PatternMatch? Match(LayerPattern p, ReduceLayer mean)
    {
        int x = mean.Inputs[0];
        var shape = p.Shape(x);
        if (mean is not { Kind: ReduceKind.Mean, KeepDims: true } || mean.Axes[^1] != shape.Length - 1
            || p.SoleReader<BinaryLayer>(mean) is not { Kind: BinaryKind.Sub, Activation: null } deviation || deviation.Inputs[0] != x
            || p.IsGraphOutput(deviation.Output) || p.Readers(deviation.Output) is not [var first, var second])
        {
            return null;
        }

        // d is read twice: by its square and by the Div.
        var square = IsSquare(first, deviation.Output) ? first : second;
        if (!IsSquare(square, deviation.Output)
            || p.SoleReader<ReduceLayer>(square) is not { Kind: ReduceKind.Mean, KeepDims: true } variance || !variance.Axes.SequenceEqual(mean.Axes)
            || p.SoleReader<BinaryLayer>(variance) is not { Kind: BinaryKind.Add, Activation: null } shifted || p.ScalarBeside(shifted, variance.Output) is not { } epsilon
            || p.SoleReader<ActivationLayer>(shifted) is not { Kind: ActivationKind.Sqrt } root
            || p.SoleReader<BinaryLayer>(root) is not { Kind: BinaryKind.Div, Activation: null } normalized
            || normalized.Inputs[0] != deviation.Output || normalized.Inputs[1] != root.Output || !ReferenceEquals(normalized, square == first ? second : first))
        {
            return null;
        }

        var matched = new List<Layer> { mean, deviation, square, variance, shifted, root, normalized };
        var normalizedShape = shape[mean.Axes[0]..];
        Layer last = normalized;
        float[]? scale = null, bias = null;
        if (p.SoleReader<BinaryLayer>(last) is { Kind: BinaryKind.Mul, Activation: null } scaled && Row(p, scaled, last.Output, normalizedShape) is { } gamma)
        {
            (scale, last) = (gamma, scaled);
            matched.Add(scaled);
        }

        if (p.SoleReader<BinaryLayer>(last) is { Kind: BinaryKind.Add, Activation: null } shift && Row(p, shift, last.Output, normalizedShape) is { } beta)
        {
            (bias, last) = (beta, shift);
            matched.Add(shift);
        }

        var fused = new LayerNormLayer
        {
            Name = last.Name,
            Inputs = [x],
            Output = last.Output,
            Axis = mean.Axes[0],
            Epsilon = epsilon,
            Scale = scale ?? Enumerable.Repeat(1f, normalizedShape.Aggregate(1, (n, d) => n * d)).ToArray(),
            Bias = bias,
        };
        return new PatternMatch(matched, last, fused);
    }

    /// <summary>Pow(d, 2) or d · d.</summary>
    private static bool IsSquare(Layer layer, int d) => layer switch
    {
        ActivationLayer { Kind: ActivationKind.Pow, Alpha: 2 } pow => pow.Inputs[0] == d,
        BinaryLayer { Kind: BinaryKind.Mul, Activation: null, Inputs: [var a, var b] } => a == d && b == d,
        _ => false,
    };

    /// <summary>The constant operand of <paramref name="layer"/> beside <paramref name="value"/> as one value per row element, when it keeps the shape.</summary>
    private static float[]? Row(LayerPattern p, BinaryLayer layer, int value, int[] normalizedShape)
        => LayerPattern.Other(layer, value) is { } other && p.Producer(other) is ConstantLayer constant && p.Shape(layer.Output).SequenceEqual(p.Shape(value))
            ? LayerNormLayer.ToRow(constant.Data, p.Shape(other), normalizedShape)
            : null;
}
