using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Training.Layers;

/// <summary><see cref="ReshapeLayer"/> (Reshape, Flatten, Squeeze, Unsqueeze): the same values, so a copy forward and back.</summary>
internal sealed class ReshapeTraining(ReshapeLayer layer, Slot input, Slot output) : TrainingLayer(layer.Name)
{
    public override void Forward(int batch)
    {
        for (int s = 0; s < batch; s++)
        {
            input.Sample(s).CopyTo(output.Sample(s));
        }
    }

    public override void Backward(int batch)
    {
        if (input.Grad is null)
        {
            return;
        }

        var dx = input.GradRows(batch);
        var dy = output.GradRows(batch);
        for (int i = 0; i < dx.Length; i++)
        {
            dx[i] += dy[i];
        }
    }
}

/// <summary>
/// <see cref="SoftmaxLayer"/> over the middle dim of [Outer, AxisSize, Inner] in each sample:
/// <c>y = exp(x − max) / Σ exp(x − max)</c>, backward <c>dx += y · (dy − Σ dy·y)</c>; LogSoftmax
/// <c>y = x − max − log Σ exp(x − max)</c>, backward <c>dx += dy − softmax(x) · Σ dy</c>.
/// </summary>
internal sealed class SoftmaxTraining(SoftmaxLayer layer, Slot input, Slot output) : TrainingLayer(layer.Name)
{
    private readonly int _stride = layer.Inner;

    public override void Forward(int batch)
    {
        for (int s = 0; s < batch; s++)
        {
            var x = input.Sample(s);
            var y = output.Sample(s);
            for (int row = 0; row < layer.Outer * layer.Inner; row++)
            {
                int offset = RowOffset(row);
                float max = float.NegativeInfinity;
                for (int j = 0; j < layer.AxisSize; j++)
                {
                    max = Math.Max(max, x[offset + j * _stride]);
                }

                float sum = 0;
                for (int j = 0; j < layer.AxisSize; j++)
                {
                    sum += MathF.Exp(x[offset + j * _stride] - max);
                }

                float logSum = MathF.Log(sum);
                for (int j = 0; j < layer.AxisSize; j++)
                {
                    float shifted = x[offset + j * _stride] - max;
                    y[offset + j * _stride] = layer.Log ? shifted - logSum : MathF.Exp(shifted) / sum;
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
            var y = output.Sample(s);
            var dy = output.GradSample(s);
            var dx = input.GradSample(s);
            for (int row = 0; row < layer.Outer * layer.Inner; row++)
            {
                int offset = RowOffset(row);
                float dot = 0;
                for (int j = 0; j < layer.AxisSize; j++)
                {
                    int i = offset + j * _stride;
                    dot += layer.Log ? dy[i] : dy[i] * y[i];
                }

                for (int j = 0; j < layer.AxisSize; j++)
                {
                    int i = offset + j * _stride;
                    dx[i] += layer.Log ? dy[i] - MathF.Exp(y[i]) * dot : y[i] * (dy[i] - dot);
                }
            }
        }
    }

    /// <summary>Where row <paramref name="row"/> (outer-major, then inner) starts; its elements are <c>Inner</c> apart.</summary>
    private int RowOffset(int row) => row / layer.Inner * layer.AxisSize * layer.Inner + row % layer.Inner;
}

/// <summary><see cref="ChannelAffineLayer"/>: <c>y = x · Scale[c] + Shift[c]</c> along dim 1; Scale and Shift are trained.</summary>
internal sealed class ChannelAffineTraining : TrainingLayer
{
    private readonly Slot _input;
    private readonly Slot _output;
    private readonly int _channels;
    private readonly int _inner;

    public ChannelAffineTraining(ChannelAffineLayer layer, Slot input, Slot output)
        : base(layer.Name)
    {
        (_input, _output) = (input, output);
        _channels = layer.Scale.Length;
        _inner = input.Shape.Length > 2 ? input.Shape[2..].Aggregate(1, (p, d) => p * d) : 1;
        Scale = Parameter.Free(layer.Name + ".scale", layer.Scale);
        Shift = Parameter.Free(layer.Name + ".shift", layer.Shift);
    }

    public Parameter Scale { get; }

    public Parameter Shift { get; }

    public override IEnumerable<Parameter> Parameters => [Scale, Shift];

    public override void Forward(int batch)
    {
        for (int s = 0; s < batch; s++)
        {
            var x = _input.Sample(s);
            var y = _output.Sample(s);
            for (int i = 0; i < x.Length; i++)
            {
                int c = i / _inner % _channels;
                y[i] = x[i] * Scale.Effective[c] + Shift.Effective[c];
            }
        }
    }

    public override void Backward(int batch)
    {
        for (int s = 0; s < batch; s++)
        {
            var x = _input.Sample(s);
            var dy = _output.GradSample(s);
            for (int i = 0; i < x.Length; i++)
            {
                int c = i / _inner % _channels;
                Scale.Gradient[c] += dy[i] * x[i];
                Shift.Gradient[c] += dy[i];
                if (_input.Grad is not null)
                {
                    _input.Grad[s * _input.Length + i] += dy[i] * Scale.Effective[c];
                }
            }
        }
    }
}
