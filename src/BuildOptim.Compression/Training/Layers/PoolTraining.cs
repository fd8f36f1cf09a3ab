using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Training.Layers;

/// <summary>
/// <see cref="PoolLayer"/>: Max keeps, per output, the index of the input it took (the first of equal maxima) and
/// routes the gradient there; Average divides by the window's count (the whole window with <c>CountIncludePad</c>,
/// else its taps inside the input) and spreads the gradient back evenly.
/// </summary>
internal sealed class PoolTraining : TrainingLayer
{
    private readonly PoolLayer _p;
    private readonly Slot _input;
    private readonly Slot _output;
    private readonly int[] _argMax;

    // Output o reads the input elements _taps[_tapStart[o] .. _tapStart[o + 1]); an average divides by _divisor[o].
    private readonly int[] _tapStart;
    private readonly int[] _taps;
    private readonly int[] _divisor;

    public PoolTraining(PoolLayer layer, Slot input, Slot output)
        : base(layer.Name)
    {
        (_p, _input, _output) = (layer, input, output);
        _argMax = layer.Kind == PoolKind.Max ? new int[output.Data.Length] : [];
        (_tapStart, _taps, _divisor) = Windows(layer, output.Length);
    }

    public override void Forward(int batch)
    {
        for (int s = 0; s < batch; s++)
        {
            var x = _input.Sample(s);
            var y = _output.Sample(s);
            for (int o = 0; o < y.Length; o++)
            {
                var taps = _taps.AsSpan(_tapStart[o], _tapStart[o + 1] - _tapStart[o]);
                if (_p.Kind == PoolKind.Max)
                {
                    int best = -1;
                    foreach (int t in taps)
                    {
                        if (best < 0 || x[t] > x[best])
                        {
                            best = t;
                        }
                    }

                    _argMax[s * _output.Length + o] = best;
                    y[o] = best < 0 ? 0 : x[best];
                }
                else
                {
                    float sum = 0;
                    foreach (int t in taps)
                    {
                        sum += x[t];
                    }

                    y[o] = _divisor[o] == 0 ? 0 : sum / _divisor[o];
                }
            }
        }
    }

    public override void Backward(int batch)
    {
        if (_input.Grad is null)
        {
            return;
        }

        for (int s = 0; s < batch; s++)
        {
            var dy = _output.GradSample(s);
            var dx = _input.GradSample(s);
            for (int o = 0; o < dy.Length; o++)
            {
                if (_p.Kind == PoolKind.Max)
                {
                    int best = _argMax[s * _output.Length + o];
                    if (best >= 0)
                    {
                        dx[best] += dy[o];
                    }
                }
                else if (_divisor[o] > 0)
                {
                    foreach (int t in _taps.AsSpan(_tapStart[o], _tapStart[o + 1] - _tapStart[o]))
                    {
                        dx[t] += dy[o] / _divisor[o];
                    }
                }
            }
        }
    }

    /// <summary>Each output's input taps (inside the input) and the divisor of its average.</summary>
    private static (int[] Start, int[] Taps, int[] Divisor) Windows(PoolLayer p, int outputs)
    {
        var start = new int[outputs + 1];
        var taps = new List<int>();
        var divisor = new int[outputs];
        for (int c = 0; c < p.C; c++)
        {
            for (int oh = 0; oh < p.OH; oh++)
            {
                for (int ow = 0; ow < p.OW; ow++)
                {
                    int o = (c * p.OH + oh) * p.OW + ow;
                    start[o] = taps.Count;
                    int window = 0;
                    for (int kh = 0; kh < p.KH; kh++)
                    {
                        for (int kw = 0; kw < p.KW; kw++)
                        {
                            int ih = oh * p.StrideH - p.PadTop + kh * p.DilationH;
                            int iw = ow * p.StrideW - p.PadLeft + kw * p.DilationW;
                            window += ih < p.H + p.PadBottom && iw < p.W + p.PadRight ? 1 : 0;
                            if (ih >= 0 && ih < p.H && iw >= 0 && iw < p.W)
                            {
                                taps.Add((c * p.H + ih) * p.W + iw);
                            }
                        }
                    }

                    divisor[o] = p.CountIncludePad ? window : taps.Count - start[o];
                }
            }
        }

        start[outputs] = taps.Count;
        return (start, taps.ToArray(), divisor);
    }
}

/// <summary><see cref="GlobalPoolLayer"/>: the max (gradient to the first maximum) or the mean of each channel.</summary>
internal sealed class GlobalPoolTraining(GlobalPoolLayer layer, Slot input, Slot output) : TrainingLayer(layer.Name)
{
    private readonly int[] _argMax = new int[output.Data.Length];

    public override void Forward(int batch)
    {
        for (int s = 0; s < batch; s++)
        {
            var x = input.Sample(s);
            var y = output.Sample(s);
            for (int c = 0; c < layer.C; c++)
            {
                var plane = x.Slice(c * layer.Spatial, layer.Spatial);
                if (layer.Kind == PoolKind.Max)
                {
                    int best = 0;
                    for (int i = 1; i < plane.Length; i++)
                    {
                        best = plane[i] > plane[best] ? i : best;
                    }

                    _argMax[s * layer.C + c] = best;
                    y[c] = plane[best];
                }
                else
                {
                    float sum = 0;
                    foreach (float v in plane)
                    {
                        sum += v;
                    }

                    y[c] = sum / layer.Spatial;
                }
            }
        }
    }

    public override void Backward(int batch)
    {
        if (input.Grad is null)
        {
            return;
        }

        for (int s = 0; s < batch; s++)
        {
            var dy = output.GradSample(s);
            var dx = input.GradSample(s);
            for (int c = 0; c < layer.C; c++)
            {
                if (layer.Kind == PoolKind.Max)
                {
                    dx[c * layer.Spatial + _argMax[s * layer.C + c]] += dy[c];
                }
                else
                {
                    for (int i = 0; i < layer.Spatial; i++)
                    {
                        dx[c * layer.Spatial + i] += dy[c] / layer.Spatial;
                    }
                }
            }
        }
    }
}
