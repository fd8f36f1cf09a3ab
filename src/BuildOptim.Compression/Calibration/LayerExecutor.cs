using BuildOptim.Onnx.Lowering;

namespace BuildOptim.Compression.Calibration;

/// <summary>
/// Runs a <see cref="LayerModel"/> in float, exposing every intermediate tensor: the engine's
/// instrumented view of the model for calibration (the reference for accuracy is ONNX Runtime).
/// </summary>
public sealed class LayerExecutor
{
    private readonly LayerModel _model;
    private readonly float[][] _positions;

    public LayerExecutor(LayerModel model)
    {
        _model = model;
        _positions = new float[model.Layers.Count + 1][];
        int length = model.InputLength;
        _positions[0] = new float[length];
        for (int i = 0; i < model.Layers.Count; i++)
        {
            length = model.Layers[i].OutputLength(length);
            _positions[i + 1] = new float[length];
        }
    }

    /// <summary>Tensor at position p after <see cref="Run"/>: 0 is the input, i + 1 the output of layer i.</summary>
    public ReadOnlySpan<float> Position(int p) => _positions[p];

    public int PositionCount => _positions.Length;

    public void Run(ReadOnlySpan<float> input)
    {
        input.CopyTo(_positions[0]);
        for (int i = 0; i < _model.Layers.Count; i++)
        {
            var x = _positions[i];
            var y = _positions[i + 1];
            switch (_model.Layers[i])
            {
                case DenseLayer d:
                    for (int n = 0; n < d.N; n++)
                    {
                        double sum = d.Bias[n];
                        var w = d.Weights.AsSpan(n * d.K, d.K);
                        for (int k = 0; k < d.K; k++)
                        {
                            sum += (double)x[k] * w[k];
                        }

                        y[n] = (float)sum;
                    }

                    break;
                case ActivationLayer a:
                    for (int j = 0; j < x.Length; j++)
                    {
                        y[j] = a.Kind switch
                        {
                            ActivationKind.Relu => Math.Max(0, x[j]),
                            ActivationKind.Sigmoid => (float)(1 / (1 + Math.Exp(-x[j]))),
                            ActivationKind.Tanh => (float)Math.Tanh(x[j]),
                            _ => throw new NotSupportedException(a.Kind.ToString()),
                        };
                    }

                    break;
                case SoftmaxLayer s:
                    BuildOptim.Runtime.Kernels.SoftmaxF32(x, s.AxisSize, s.Log, y);
                    break;
                default:
                    throw new NotSupportedException(_model.Layers[i].GetType().Name);
            }
        }
    }
}
