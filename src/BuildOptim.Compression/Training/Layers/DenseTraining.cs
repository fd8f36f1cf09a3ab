using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Training.Layers;

/// <summary>
/// <see cref="DenseLayer"/>: <c>y[r, n] = act(b[n] + Σ_k x[r, k] · W[n, k])</c> over every row r (rows = batch × rows per
/// sample). Backward: <c>dz = dy · act'(y)</c>, <c>dW[n, :] += Σ_r dz[r, n] · x[r, :]</c>, <c>db[n] += Σ_r dz[r, n]</c>,
/// <c>dx[r, :] += Σ_n dz[r, n] · W[n, :]</c>, every sum in ascending order.
/// </summary>
internal sealed class DenseTraining : TrainingLayer
{
    private readonly Slot _input;
    private readonly Slot _output;
    private readonly int _k;
    private readonly int _n;
    private readonly FusedActivation? _activation;
    private readonly float[] _dz;

    public DenseTraining(DenseLayer layer, Slot input, Slot output, Parameter weights, Parameter bias)
        : base(layer.Name)
    {
        _input = input;
        _output = output;
        _k = layer.K;
        _n = layer.N;
        _activation = layer.Activation;
        Weights = weights;
        Bias = bias;
        _dz = new float[output.Data.Length];
    }

    public Parameter Weights { get; }

    public Parameter Bias { get; }

    public override IEnumerable<Parameter> Parameters => [Weights, Bias];

    public override void Forward(int batch)
    {
        int rows = batch * (_input.Length / _k);
        var x = _input.Rows(batch);
        var y = _output.Rows(batch);
        var w = Weights.Effective;
        var b = Bias.Effective;
        Span<float> four = stackalloc float[4];
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * _k, _k);
            var yr = y.Slice(r * _n, _n);
            int n = 0;
            for (; n + 4 <= _n; n += 4)
            {
                TrainingMath.Dot4(xr, w.AsSpan(n * _k, _k), w.AsSpan((n + 1) * _k, _k), w.AsSpan((n + 2) * _k, _k), w.AsSpan((n + 3) * _k, _k), four);
                for (int j = 0; j < 4; j++)
                {
                    yr[n + j] = Activate(four[j] + b[n + j]);
                }
            }

            for (; n < _n; n++)
            {
                yr[n] = Activate(TrainingMath.Dot(xr, w.AsSpan(n * _k, _k)) + b[n]);
            }
        }
    }

    public override void Backward(int batch)
    {
        int rows = batch * (_input.Length / _k);
        var x = _input.Rows(batch);
        var y = _output.Rows(batch);
        var dy = _output.GradRows(batch);
        var dz = _dz.AsSpan(0, rows * _n);
        for (int i = 0; i < dz.Length; i++)
        {
            dz[i] = dy[i] * ActivationSlope(y[i]);
        }

        var w = Weights.Effective;
        var dw = Weights.Gradient;
        var db = Bias.Gradient;
        for (int n = 0; n < _n; n++)
        {
            var dwn = dw.AsSpan(n * _k, _k);
            float sum = 0;
            for (int r = 0; r < rows; r++)
            {
                float g = dz[r * _n + n];
                if (g != 0)
                {
                    TrainingMath.MultiplyAdd(dwn, x.Slice(r * _k, _k), g);
                    sum += g;
                }
            }

            db[n] += sum;
        }

        if (_input.Grad is null)
        {
            return;
        }

        var dx = _input.GradRows(batch);
        for (int r = 0; r < rows; r++)
        {
            var dxr = dx.Slice(r * _k, _k);
            for (int n = 0; n < _n; n++)
            {
                float g = dz[r * _n + n];
                if (g != 0)
                {
                    TrainingMath.MultiplyAdd(dxr, w.AsSpan(n * _k, _k), g);
                }
            }
        }
    }

    private float Activate(float z) => _activation is { } a ? Math.Clamp(z, a.Min, a.Max) : z;

    /// <summary>The fused Relu/Clip's slope, read from its output: 1 strictly inside the clamp, 0 on it.</summary>
    private float ActivationSlope(float y) => _activation is not { } a || (y > a.Min && y < a.Max) ? 1 : 0;
}
