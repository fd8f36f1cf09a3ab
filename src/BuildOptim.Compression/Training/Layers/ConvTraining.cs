using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Training.Layers;

/// <summary>
/// <see cref="ConvLayer"/> (grouped and depthwise included) through an unfolded input: per sample and group,
/// <c>col[p, j]</c> holds the input tap j (channel, kh, kw of the group) under output position p (0 outside the
/// padding), so <c>y[m, p] = act(b[m] + Σ_j W[m, j] · col[p, j])</c>. Backward: <c>dW[m, :] += Σ_p dz[m, p] · col[p, :]</c>,
/// <c>db[m] += Σ_p dz[m, p]</c>, <c>dcol[p, :] = Σ_m dz[m, p] · W[m, :]</c> folded back onto dx tap by tap.
/// </summary>
internal sealed class ConvTraining : TrainingLayer
{
    private readonly ConvLayer _c;
    private readonly Slot _input;
    private readonly Slot _output;
    private readonly int _groupChannels;
    private readonly int _groupOutputs;
    private readonly int _row;
    private readonly int _positions;
    private readonly float[] _col;
    private readonly float[] _dcol;
    private readonly float[] _dz;

    public ConvTraining(ConvLayer layer, Slot input, Slot output, Parameter weights, Parameter bias)
        : base(layer.Name)
    {
        (_c, _input, _output) = (layer, input, output);
        _groupChannels = layer.C / layer.Group;
        _groupOutputs = layer.M / layer.Group;
        _row = _groupChannels * layer.KH * layer.KW;
        _positions = layer.OH * layer.OW;
        _col = new float[checked(_positions * _row)];
        _dcol = new float[_col.Length];
        _dz = new float[output.Length];
        Weights = weights;
        Bias = bias;
    }

    public Parameter Weights { get; }

    public Parameter Bias { get; }

    public override IEnumerable<Parameter> Parameters => [Weights, Bias];

    public override void Forward(int batch)
    {
        var w = Weights.Effective;
        Span<float> four = stackalloc float[4];
        for (int s = 0; s < batch; s++)
        {
            var y = _output.Sample(s);
            for (int g = 0; g < _c.Group; g++)
            {
                Unfold(_input.Sample(s), g);
                int m0 = g * _groupOutputs;
                for (int p = 0; p < _positions; p++)
                {
                    var col = _col.AsSpan(p * _row, _row);
                    int m = 0;
                    for (; m + 4 <= _groupOutputs; m += 4)
                    {
                        int first = m0 + m;
                        TrainingMath.Dot4(col, w.AsSpan(first * _row, _row), w.AsSpan((first + 1) * _row, _row), w.AsSpan((first + 2) * _row, _row), w.AsSpan((first + 3) * _row, _row), four);
                        for (int j = 0; j < 4; j++)
                        {
                            y[(first + j) * _positions + p] = Activate(four[j] + Bias.Effective[first + j]);
                        }
                    }

                    for (; m < _groupOutputs; m++)
                    {
                        y[(m0 + m) * _positions + p] = Activate(TrainingMath.Dot(col, w.AsSpan((m0 + m) * _row, _row)) + Bias.Effective[m0 + m]);
                    }
                }
            }
        }
    }

    public override void Backward(int batch)
    {
        var w = Weights.Effective;
        for (int s = 0; s < batch; s++)
        {
            var y = _output.Sample(s);
            var dy = _output.GradSample(s);
            for (int i = 0; i < _dz.Length; i++)
            {
                _dz[i] = _c.Activation is { } a && !(y[i] > a.Min && y[i] < a.Max) ? 0 : dy[i];
            }

            for (int g = 0; g < _c.Group; g++)
            {
                Unfold(_input.Sample(s), g);
                bool inputGradient = _input.Grad is not null;
                if (inputGradient)
                {
                    Array.Clear(_dcol);
                }

                for (int m = g * _groupOutputs; m < (g + 1) * _groupOutputs; m++)
                {
                    var dwm = Weights.Gradient.AsSpan(m * _row, _row);
                    var wm = w.AsSpan(m * _row, _row);
                    float sum = 0;
                    for (int p = 0; p < _positions; p++)
                    {
                        float d = _dz[m * _positions + p];
                        if (d != 0)
                        {
                            TrainingMath.MultiplyAdd(dwm, _col.AsSpan(p * _row, _row), d);
                            if (inputGradient)
                            {
                                TrainingMath.MultiplyAdd(_dcol.AsSpan(p * _row, _row), wm, d);
                            }

                            sum += d;
                        }
                    }

                    Bias.Gradient[m] += sum;
                }

                if (inputGradient)
                {
                    Fold(_input.GradSample(s), g);
                }
            }
        }
    }

    /// <summary>Fills <c>_col</c> with the taps of group <paramref name="g"/> of one sample's input.</summary>
    private void Unfold(ReadOnlySpan<float> x, int g)
    {
        int j = 0;
        for (int c = 0; c < _groupChannels; c++)
        {
            var plane = x.Slice((g * _groupChannels + c) * _c.H * _c.W, _c.H * _c.W);
            for (int kh = 0; kh < _c.KH; kh++)
            {
                for (int kw = 0; kw < _c.KW; kw++, j++)
                {
                    for (int p = 0; p < _positions; p++)
                    {
                        int ih = p / _c.OW * _c.StrideH - _c.PadTop + kh * _c.DilationH;
                        int iw = p % _c.OW * _c.StrideW - _c.PadLeft + kw * _c.DilationW;
                        _col[p * _row + j] = ih >= 0 && ih < _c.H && iw >= 0 && iw < _c.W ? plane[ih * _c.W + iw] : 0;
                    }
                }
            }
        }
    }

    /// <summary>Adds <c>_dcol</c> back onto the input taps it came from (the transpose of <see cref="Unfold"/>), in the same order.</summary>
    private void Fold(Span<float> dx, int g)
    {
        int j = 0;
        for (int c = 0; c < _groupChannels; c++)
        {
            var plane = dx.Slice((g * _groupChannels + c) * _c.H * _c.W, _c.H * _c.W);
            for (int kh = 0; kh < _c.KH; kh++)
            {
                for (int kw = 0; kw < _c.KW; kw++, j++)
                {
                    for (int p = 0; p < _positions; p++)
                    {
                        int ih = p / _c.OW * _c.StrideH - _c.PadTop + kh * _c.DilationH;
                        int iw = p % _c.OW * _c.StrideW - _c.PadLeft + kw * _c.DilationW;
                        if (ih >= 0 && ih < _c.H && iw >= 0 && iw < _c.W)
                        {
                            plane[ih * _c.W + iw] += _dcol[p * _row + j];
                        }
                    }
                }
            }
        }
    }

    private float Activate(float z) => _c.Activation is { } a ? Math.Clamp(z, a.Min, a.Max) : z;
}
