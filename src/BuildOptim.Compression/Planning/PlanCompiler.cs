using BuildOptim.Onnx.Lowering;
using BuildOptim.Runtime;

namespace BuildOptim.Compression.Planning;

/// <summary>What the compiler did with one layer (feeds the report).</summary>
public sealed record LayerSummary(string Name, string Kind, string Precision, double Sparsity, long ParameterBytes, long CompressedBytes);

/// <summary>A serialized plan plus its per-layer summary.</summary>
public sealed record CompiledPlan(byte[] Bytes, IReadOnlyList<LayerSummary> Layers);

/// <summary>
/// Turns a <see cref="LayerModel"/> into a plan. In int8 mode activations travel as uint8 codes
/// between dense layers; a dense layer followed by ReLU is fused (its clamp starts at the output zero
/// point); Sigmoid/Tanh on codes become 256-entry lookup tables; the last dense layer writes float
/// (<c>acc · inputScale · weightScale[n]</c>) so logits are not re-quantized; Softmax runs in float.
/// </summary>
public static class PlanCompiler
{
    /// <param name="ranges">Calibrated range of every position: [0] the input, [i + 1] the output of layer i.</param>
    /// <param name="floatLayers">Dense layers kept in fp32 inside an int8 plan (fallback, sensitivity).</param>
    public static CompiledPlan Compile(LayerModel model, QuantizeMode mode, IReadOnlyList<TensorRange>? ranges, IReadOnlySet<int>? floatLayers = null)
    {
        if (mode == QuantizeMode.Int8 && (ranges is null || ranges.Count != model.Layers.Count + 1))
        {
            throw new ArgumentException("Int8 compilation needs one calibrated range per layer output plus the input.", nameof(ranges));
        }

        var compiler = new Compiler(model, mode, ranges, floatLayers ?? new HashSet<int>());
        return compiler.Run();
    }

    private sealed class Compiler(LayerModel model, QuantizeMode mode, IReadOnlyList<TensorRange>? ranges, IReadOnlySet<int> floatLayers)
    {
        private readonly PlanWriter _writer = new();
        private readonly List<LayerSummary> _summaries = [];
        private readonly List<int> _free = [];
        private int _inputBuffer;
        private int _current;
        private int _length;
        private QuantParams _currentParams;

        public CompiledPlan Run()
        {
            _inputBuffer = _writer.AddBuffer(BufferKind.Float32, model.InputLength);
            _current = _inputBuffer;
            _length = model.InputLength;
            var layers = model.Layers;
            for (int i = 0; i < layers.Count; i++)
            {
                switch (layers[i])
                {
                    case DenseLayer dense:
                        i = EmitDense(i, dense);
                        break;
                    case ActivationLayer act:
                        EmitActivation(i, act);
                        break;
                    case SoftmaxLayer softmax:
                        EnsureFloat();
                        EmitFloatOp(OpKind.SoftmaxF32, _length, p1: softmax.AxisSize, p2: softmax.Log ? 1 : 0);
                        _summaries.Add(new LayerSummary(softmax.Name, softmax.Log ? "LogSoftmax" : "Softmax", "Float32", 0, 0, 0));
                        break;
                    default:
                        throw new NotSupportedException(layers[i].GetType().Name);
                }
            }

            EnsureFloat();
            int output = _current;
            if (output == _inputBuffer)
            {
                output = _writer.AddBuffer(BufferKind.Float32, _length);
                _writer.AddOp(Op(OpKind.Copy, _inputBuffer, output, _length * sizeof(float)));
            }

            return new CompiledPlan(_writer.ToArray(_inputBuffer, output, model.InputLength, _length), _summaries);
        }

        private bool IsInt8(int layerIndex) => mode == QuantizeMode.Int8 && !floatLayers.Contains(layerIndex);

        private TensorRange RangeAfter(int layerIndex) => ranges![layerIndex + 1];

        private int EmitDense(int i, DenseLayer dense)
        {
            var layers = model.Layers;
            var fused = i + 1 < layers.Count && layers[i + 1] is ActivationLayer a ? a : null;
            int last = fused is null ? i : i + 1;
            double sparsity = dense.Weights.Count(w => w == 0) / (double)Math.Max(1, dense.Weights.Length);
            long parameterBytes = ((long)dense.Weights.Length + dense.Bias.Length) * sizeof(float);
            if (!IsInt8(i))
            {
                EnsureFloat();
                int output = Allocate(BufferKind.Float32, dense.N);
                long w = _writer.AddData<float>(dense.Weights);
                long b = _writer.AddData<float>(dense.Bias);
                _writer.AddOp(Op(OpKind.FullyConnectedF32, _current, output, dense.K, dense.N, (int)ToRuntime(fused?.Kind)) with { D0 = w, D1 = b });
                Advance(output, dense.N);
                _summaries.Add(new LayerSummary(dense.Name, "Dense" + (fused is null ? "" : "+" + fused.Kind), "Float32", sparsity, parameterBytes, parameterBytes));
                return last;
            }

            EnsureUInt8(i);
            var input = _currentParams;
            var (q, weightScales) = WeightQuantizer.QuantizeRows(dense.Weights, dense.K, dense.N);
            var bias = WeightQuantizer.QuantizeBias(dense.Bias, q, weightScales, dense.K, input);
            long compressedBytes = (long)q.Length + bias.Length * sizeof(int) * 3L;
            bool moreDenseAhead = layers.Skip(last + 1).Any(l => l is DenseLayer);
            long wOffset = _writer.AddData<sbyte>(q);
            long bOffset = _writer.AddData<int>(bias);
            if (!moreDenseAhead)
            {
                // Last dense layer: dequantize the accumulator straight to float logits.
                var scale = weightScales.Select(s => (float)(input.Scale * s)).ToArray();
                long sOffset = _writer.AddData<float>(scale);
                EnsureCapacityFloatOutput(dense.N, out int output);
                _writer.AddOp(Op(OpKind.FullyConnectedU8S8ToF32, _current, output, dense.K, dense.N, (int)ToRuntime(fused?.Kind)) with { D0 = wOffset, D1 = bOffset, D2 = sOffset });
                Advance(output, dense.N);
                _summaries.Add(new LayerSummary(dense.Name, "Dense" + (fused is null ? "" : "+" + fused.Kind), "Int8", sparsity, parameterBytes, compressedBytes));
                return last;
            }

            bool fuseRelu = fused?.Kind == ActivationKind.Relu;
            var outputParams = (fuseRelu ? RangeAfter(i + 1) : RangeAfter(i)).ToQuantParams();
            var multipliers = new int[dense.N];
            var shifts = new int[dense.N];
            for (int n = 0; n < dense.N; n++)
            {
                (multipliers[n], shifts[n]) = FixedPoint.QuantizeMultiplier(input.Scale * weightScales[n] / outputParams.Scale);
            }

            long mOffset = _writer.AddData<int>(multipliers);
            long shOffset = _writer.AddData<int>(shifts);
            int outputBuffer = Allocate(BufferKind.UInt8, dense.N);
            int clampMin = fuseRelu ? outputParams.ZeroPoint : 0;
            _writer.AddOp(new OpRecord(OpKind.FullyConnectedU8S8ToU8, _current, -1, outputBuffer, dense.K, dense.N, outputParams.ZeroPoint, clampMin, 255, 0, wOffset, bOffset, mOffset, shOffset, -1, -1));
            Advance(outputBuffer, dense.N);
            _currentParams = outputParams;
            _summaries.Add(new LayerSummary(dense.Name, "Dense" + (fuseRelu ? "+Relu" : ""), "Int8", sparsity, parameterBytes, compressedBytes));
            if (fused is not null && !fuseRelu)
            {
                EmitActivation(i + 1, fused);
            }

            return last;
        }

        private void EmitActivation(int i, ActivationLayer act)
        {
            _summaries.Add(new LayerSummary(act.Name, act.Kind.ToString(), _writer.KindOf(_current) == BufferKind.UInt8 ? "Int8" : "Float32", 0, 0, _writer.KindOf(_current) == BufferKind.UInt8 ? 256 : 0));
            if (_writer.KindOf(_current) == BufferKind.UInt8)
            {
                var input = _currentParams;
                var output = RangeAfter(i).ToQuantParams();
                var table = new byte[256];
                for (int code = 0; code < 256; code++)
                {
                    table[code] = output.Quantize(Apply(act.Kind, input.Dequantize(code)));
                }

                long t = _writer.AddData<byte>(table);
                int buffer = Allocate(BufferKind.UInt8, _length);
                _writer.AddOp(Op(OpKind.LookupU8, _current, buffer, _length) with { D0 = t });
                Advance(buffer, _length);
                _currentParams = output;
                return;
            }

            EmitFloatOp(OpKind.ActivationF32, _length, p1: (int)ToRuntime(act.Kind));
        }

        private static double Apply(ActivationKind kind, double x) => kind switch
        {
            ActivationKind.Relu => Math.Max(0, x),
            ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-x)),
            ActivationKind.Tanh => Math.Tanh(x),
            _ => throw new NotSupportedException(kind.ToString()),
        };

        private void EmitFloatOp(OpKind kind, int length, int p1 = 0, int p2 = 0)
        {
            int output = Allocate(BufferKind.Float32, length);
            _writer.AddOp(new OpRecord(kind, _current, -1, output, length, p1, p2, 0, 0, 0, -1, -1, -1, -1, -1, -1));
            Advance(output, length);
        }

        private void EnsureFloat()
        {
            if (_writer.KindOf(_current) == BufferKind.Float32)
            {
                return;
            }

            int output = Allocate(BufferKind.Float32, _length);
            _writer.AddOp(new OpRecord(OpKind.DequantizeU8ToF32, _current, -1, output, _length, _currentParams.ZeroPoint, BitConverter.SingleToInt32Bits(_currentParams.Scale), 0, 0, 0, -1, -1, -1, -1, -1, -1));
            Advance(output, _length);
        }

        private void EnsureUInt8(int layerIndex)
        {
            if (_writer.KindOf(_current) == BufferKind.UInt8)
            {
                return;
            }

            var p = ranges![layerIndex].ToQuantParams();
            int output = Allocate(BufferKind.UInt8, _length);
            _writer.AddOp(new OpRecord(OpKind.QuantizeF32ToU8, _current, -1, output, _length, p.ZeroPoint, BitConverter.SingleToInt32Bits(p.Scale), 0, 0, 0, -1, -1, -1, -1, -1, -1));
            Advance(output, _length);
            _currentParams = p;
        }

        private void EnsureCapacityFloatOutput(int length, out int buffer) => buffer = Allocate(BufferKind.Float32, length);

        /// <summary>Reuses a free buffer of the same kind (chains need at most two per kind).</summary>
        private int Allocate(BufferKind kind, int length)
        {
            int index = _free.FindIndex(b => _writer.KindOf(b) == kind);
            if (index >= 0)
            {
                int buffer = _free[index];
                _free.RemoveAt(index);
                _writer.GrowBuffer(buffer, length);
                return buffer;
            }

            return _writer.AddBuffer(kind, length);
        }

        private void Advance(int output, int length)
        {
            if (_current != _inputBuffer)
            {
                _free.Add(_current);
            }

            _current = output;
            _length = length;
        }

        private static OpRecord Op(OpKind kind, int input, int output, int p0, int p1 = 0, int p2 = 0)
            => new(kind, input, -1, output, p0, p1, p2, 0, 0, 0, -1, -1, -1, -1, -1, -1);

        private static Activation ToRuntime(ActivationKind? kind) => kind switch
        {
            null => Activation.None,
            ActivationKind.Relu => Activation.Relu,
            ActivationKind.Sigmoid => Activation.Sigmoid,
            ActivationKind.Tanh => Activation.Tanh,
            _ => throw new NotSupportedException(kind.ToString()),
        };
    }
}
