namespace BuildOptim.Compression.Training;

/// <summary>
/// Adam (Kingma &amp; Ba, 2015) over the <see cref="Parameter.Values"/> of a set of parameters, from their
/// <see cref="Parameter.ValueGradient"/> g at step t:
/// <c>m = β1·m + (1 − β1)·g</c>, <c>v = β2·v + (1 − β2)·g²</c>, <c>θ −= lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)</c>.
/// A parameter whose gradient is always 0 (a masked weight) never moves: its m stays 0.
/// </summary>
internal sealed class Adam
{
    public const double Beta1 = 0.9;
    public const double Beta2 = 0.999;
    public const double Epsilon = 1e-8;

    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly float[][] _m;
    private readonly float[][] _v;
    private double _beta1Power = 1;
    private double _beta2Power = 1;

    public Adam(IReadOnlyList<Parameter> parameters)
    {
        _parameters = parameters;
        _m = parameters.Select(p => new float[p.Values.Length]).ToArray();
        _v = parameters.Select(p => new float[p.Values.Length]).ToArray();
    }

    public int Steps { get; private set; }

    public void Step(double learningRate)
    {
        Steps++;
        _beta1Power *= Beta1;
        _beta2Power *= Beta2;
        float b1 = (float)Beta1, b2 = (float)Beta2;
        float c1 = (float)(1 / (1 - _beta1Power)), c2 = (float)(1 / (1 - _beta2Power));
        float lr = (float)learningRate, eps = (float)Epsilon;
        for (int p = 0; p < _parameters.Count; p++)
        {
            var values = _parameters[p].Values;
            var g = _parameters[p].ValueGradient;
            var m = _m[p];
            var v = _v[p];
            for (int i = 0; i < values.Length; i++)
            {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                float update = lr * (m[i] * c1) / (MathF.Sqrt(v[i] * c2) + eps);
                values[i] -= update;
            }
        }
    }
}
