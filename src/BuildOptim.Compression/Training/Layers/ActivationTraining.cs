using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Training.Layers;

/// <summary>
/// <see cref="ActivationLayer"/>: <c>y = f(x)</c> elementwise, <c>dx += dy · f'(x)</c>, with ONNX's definitions of f
/// (α and β as the layer carries them).
/// </summary>
internal sealed class ActivationTraining(ActivationLayer layer, Slot input, Slot output) : TrainingLayer(layer.Name)
{
    private readonly ActivationKind _kind = layer.Kind;
    private readonly float _alpha = layer.Alpha;
    private readonly float _beta = layer.Beta;

    public override void Forward(int batch)
    {
        var x = input.Rows(batch);
        var y = output.Rows(batch);
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = Value(x[i]);
        }
    }

    public override void Backward(int batch)
    {
        if (input.Grad is null)
        {
            return;
        }

        var x = input.Rows(batch);
        var y = output.Rows(batch);
        var dy = output.GradRows(batch);
        var dx = input.GradRows(batch);
        for (int i = 0; i < x.Length; i++)
        {
            dx[i] += dy[i] * Slope(x[i], y[i]);
        }
    }

    /// <summary>f(x).</summary>
    public float Value(float x) => _kind switch
    {
        ActivationKind.Relu => x > 0 ? x : 0,
        ActivationKind.LeakyRelu => x >= 0 ? x : _alpha * x,
        ActivationKind.Sigmoid => 1 / (1 + MathF.Exp(-x)),
        ActivationKind.Tanh => MathF.Tanh(x),
        ActivationKind.Clip => Math.Clamp(x, _alpha, _beta),
        ActivationKind.HardSigmoid => Math.Clamp(_alpha * x + _beta, 0, 1),
        ActivationKind.HardSwish => x * Math.Clamp(x / 6 + 0.5f, 0, 1),
        ActivationKind.Elu => x >= 0 ? x : _alpha * (MathF.Exp(x) - 1),
        ActivationKind.Selu => x > 0 ? _beta * x : _beta * _alpha * (MathF.Exp(x) - 1),
        ActivationKind.Softplus => x > 20 ? x : MathF.Log(1 + MathF.Exp(x)),
        ActivationKind.Softsign => x / (1 + Math.Abs(x)),
        _ => throw new NotSupportedException($"activation {_kind}"),
    };

    /// <summary>f'(x), from x or from y = f(x) where that is cheaper.</summary>
    public float Slope(float x, float y) => _kind switch
    {
        ActivationKind.Relu => x > 0 ? 1 : 0,
        ActivationKind.LeakyRelu => x >= 0 ? 1 : _alpha,
        ActivationKind.Sigmoid => y * (1 - y),
        ActivationKind.Tanh => 1 - y * y,
        ActivationKind.Clip => x > _alpha && x < _beta ? 1 : 0,
        ActivationKind.HardSigmoid => _alpha * x + _beta is > 0 and < 1 ? _alpha : 0,
        ActivationKind.HardSwish => x <= -3 ? 0 : x >= 3 ? 1 : (2 * x + 3) / 6,
        ActivationKind.Elu => x >= 0 ? 1 : y + _alpha,
        ActivationKind.Selu => x > 0 ? _beta : y + _beta * _alpha,
        ActivationKind.Softplus => 1 / (1 + MathF.Exp(-x)),
        ActivationKind.Softsign => 1 / ((1 + Math.Abs(x)) * (1 + Math.Abs(x))),
        _ => throw new NotSupportedException($"activation {_kind}"),
    };
}
