using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Training.Layers;

/// <summary>
/// <see cref="BinaryLayer"/> with numpy broadcasting: <c>y[i] = act(a[ia(i)] ∘ b[ib(i)])</c>, where ia and ib map an
/// output element of one sample to the operand element it reads. Backward adds each output's gradient into the
/// element it read (a broadcast operand sums it): Add <c>da += dy, db += dy</c>; Sub <c>db −= dy</c>; Mul
/// <c>da += dy·b, db += dy·a</c>; Div <c>da += dy/b, db −= dy·a/b²</c>; PRelu <c>da += dy·(a ≥ 0 ? 1 : b)</c> (the
/// slope is a constant).
/// </summary>
internal sealed class BinaryTraining : TrainingLayer
{
    private readonly BinaryKind _kind;
    private readonly FusedActivation? _activation;
    private readonly Slot _a;
    private readonly Slot _b;
    private readonly Slot _output;
    private readonly int[] _mapA;
    private readonly int[] _mapB;
    private readonly float[] _dz;

    public BinaryTraining(BinaryLayer layer, Slot a, Slot b, Slot output)
        : base(layer.Name)
    {
        _kind = layer.Kind;
        _activation = layer.Activation;
        (_a, _b, _output) = (a, b, output);
        _mapA = BroadcastMap(a.Shape, output.Shape);
        _mapB = BroadcastMap(b.Shape, output.Shape);
        _dz = new float[output.Length];
    }

    public override void Forward(int batch)
    {
        for (int s = 0; s < batch; s++)
        {
            var a = _a.Sample(s);
            var b = _b.Sample(s);
            var y = _output.Sample(s);
            for (int i = 0; i < y.Length; i++)
            {
                float x0 = a[_mapA[i]], x1 = b[_mapB[i]];
                float z = _kind switch
                {
                    BinaryKind.Add => x0 + x1,
                    BinaryKind.Sub => x0 - x1,
                    BinaryKind.Mul => x0 * x1,
                    BinaryKind.Div => x0 / x1,
                    BinaryKind.PRelu => x0 >= 0 ? x0 : x0 * x1,
                    _ => throw new NotSupportedException($"binary {_kind}"),
                };
                y[i] = _activation is { } act ? Math.Clamp(z, act.Min, act.Max) : z;
            }
        }
    }

    public override void Backward(int batch)
    {
        for (int s = 0; s < batch; s++)
        {
            var a = _a.Sample(s);
            var b = _b.Sample(s);
            var y = _output.Sample(s);
            var dy = _output.GradSample(s);
            var dz = _dz.AsSpan();
            for (int i = 0; i < dz.Length; i++)
            {
                dz[i] = _activation is { } act && !(y[i] > act.Min && y[i] < act.Max) ? 0 : dy[i];
            }

            if (_a.Grad is not null)
            {
                var da = _a.GradSample(s);
                for (int i = 0; i < dz.Length; i++)
                {
                    float x0 = a[_mapA[i]], x1 = b[_mapB[i]];
                    da[_mapA[i]] += _kind switch
                    {
                        BinaryKind.Mul => dz[i] * x1,
                        BinaryKind.Div => dz[i] / x1,
                        BinaryKind.PRelu => x0 >= 0 ? dz[i] : dz[i] * x1,
                        _ => dz[i],
                    };
                }
            }

            if (_b.Grad is not null && _kind != BinaryKind.PRelu)
            {
                var db = _b.GradSample(s);
                for (int i = 0; i < dz.Length; i++)
                {
                    float x0 = a[_mapA[i]], x1 = b[_mapB[i]];
                    db[_mapB[i]] += _kind switch
                    {
                        BinaryKind.Sub => -dz[i],
                        BinaryKind.Mul => dz[i] * x0,
                        BinaryKind.Div => -dz[i] * x0 / (x1 * x1),
                        _ => dz[i],
                    };
                }
            }
        }
    }

    /// <summary>For each element of <paramref name="output"/>, the index of the element of <paramref name="operand"/> it reads (dims aligned right).</summary>
    internal static int[] BroadcastMap(int[] operand, int[] output)
    {
        int total = output.Aggregate(1, (p, d) => p * d);
        var map = new int[total];
        int rank = output.Length;
        var strides = new int[rank];
        int stride = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            int od = d - (rank - operand.Length);
            int size = od >= 0 ? operand[od] : 1;
            strides[d] = size == 1 ? 0 : stride;
            stride *= size;
        }

        var index = new int[rank];
        for (int i = 0; i < total; i++)
        {
            int offset = 0;
            for (int d = 0; d < rank; d++)
            {
                offset += index[d] * strides[d];
            }

            map[i] = offset;
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < output[d])
                {
                    break;
                }

                index[d] = 0;
            }
        }

        return map;
    }
}
