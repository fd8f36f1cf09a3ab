using BuildOptim.Compression.Sharing;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning;

/// <summary>What the compiler did with one layer (feeds the report).</summary>
public sealed record LayerSummary(string Name, string Kind, string Precision, double Sparsity, long ParameterBytes, long CompressedBytes)
{
    /// <summary>Width of the weight codes of an int8 Dense or Conv layer (8 or 7, <c>WeightBits</c>); 0 for other layers.</summary>
    public int WeightBits { get; init; }
}

/// <summary>A serialized plan, its per-layer summary, and where each value's float copy lives (calibration).</summary>
public sealed record CompiledPlan(byte[] Bytes, IReadOnlyList<LayerSummary> Layers, IReadOnlyDictionary<int, int> FloatBuffers)
{
    /// <summary>Every tensor the plan holds, in emission order: its buffer and its length (a buffer is as long as its longest).</summary>
    public IReadOnlyList<(int Buffer, int Length)> BufferUses { get; init; } = [];
}

/// <summary>
/// The state the op emitters share while one plan is compiled: tensor representations (float or
/// uint8 codes with their <see cref="QuantParams"/>), virtual buffers, pending ops. Buffers are
/// assigned at the end by liveness, so intermediate tensors share memory.
/// </summary>
public sealed class CompileContext
{
    private readonly List<(BufferKind Kind, int Length, bool Pinned)> _virtual = [];
    private readonly List<(OpKind Kind, int[] Inputs, int[] Outputs, int[] Params, long[] Data)> _ops = [];
    private readonly Dictionary<int, int> _float = [];
    private readonly Dictionary<int, int> _codes = [];
    private readonly Dictionary<int, QuantParams> _params = [];
    private readonly bool[] _int8Layers;
    private readonly HashSet<Layer> _absorbed = new(ReferenceEqualityComparer.Instance);
    private readonly Layer?[] _producers;
    private readonly List<Layer>[] _consumers;

    internal CompileContext(Network network, QuantizeMode mode, IReadOnlyDictionary<int, TensorRange>? ranges, bool keepAllValues, IReadOnlyDictionary<string, SharedWeights>? sharedWeights = null, bool lengthBlindBuffers = false)
    {
        LengthBlindBuffers = lengthBlindBuffers;
        Network = network;
        Mode = mode;
        Ranges = ranges;
        KeepAllValues = keepAllValues;
        SharedWeights = sharedWeights;
        Scheme = mode == QuantizeMode.Int8 ? DynamicQuantization.SchemeOf(network) : QuantizationScheme.Static;
        Writer = new PlanWriter();
        _producers = new Layer?[network.Values.Count];
        _consumers = Enumerable.Range(0, network.Values.Count).Select(_ => new List<Layer>()).ToArray();
        foreach (var layer in network.Layers)
        {
            _producers[layer.Output] = layer;
            foreach (int input in layer.Inputs)
            {
                _consumers[input].Add(layer);
            }
        }

        _int8Layers = new bool[network.Layers.Count];
    }

    public Network Network { get; }

    public QuantizeMode Mode { get; }

    /// <summary>How an int8 plan quantizes activations (<see cref="DynamicQuantization"/>); <see cref="QuantizationScheme.Static"/> in fp32.</summary>
    public QuantizationScheme Scheme { get; }

    public IReadOnlyDictionary<int, TensorRange>? Ranges { get; }

    public bool KeepAllValues { get; }

    /// <summary>Codebook and indices of each weight-shared layer, by layer name (<see cref="WeightSharing.Apply"/>); null when sharing is off.</summary>
    public IReadOnlyDictionary<string, SharedWeights>? SharedWeights { get; }

    /// <summary>The shared weights of <paramref name="layer"/>, or null when its weights are not shared.</summary>
    public SharedWeights? SharedWeightsOf(Layer layer) => SharedWeights is not null && SharedWeights.TryGetValue(layer.Name, out var shared) ? shared : null;

    internal PlanWriter Writer { get; }

    internal List<LayerSummary> Summaries { get; } = [];

    internal void MarkInt8(int layerIndex, bool value) => _int8Layers[layerIndex] = value;

    /// <summary>
    /// Marks <paramref name="layer"/> as computed by the op of the layer before it (an activation fused into its producer's
    /// op): the compiler emits nothing for it.
    /// </summary>
    internal void Absorb(Layer layer) => _absorbed.Add(layer);

    /// <summary>Whether another layer's op computes <paramref name="layer"/> (<see cref="Absorb"/>).</summary>
    internal bool IsAbsorbed(Layer layer) => _absorbed.Contains(layer);

    /// <summary>True when the layer was chosen to run on uint8 codes.</summary>
    public bool RunsInt8(Layer layer) => _int8Layers[Network.Layers.IndexOf(layer)];

    public Layer? Producer(int value) => _producers[value];

    public IReadOnlyList<Layer> Consumers(int value) => _consumers[value];

    public bool IsGraphOutput(int value) => Network.Outputs.Contains(value);

    /// <summary>True when no consumer of <paramref name="value"/> runs int8 (so an int8 producer should write floats).</summary>
    public bool OnlyFloatConsumers(int value) => _consumers[value].All(c => !RunsInt8(c) && c is not ReshapeLayer) || (_consumers[value].Count == 0 && IsGraphOutput(value));

    /// <summary>Quantization parameters from the calibrated range of a value (null when not calibrated).</summary>
    public QuantParams? Calibrated(int value) => Ranges is not null && Ranges.TryGetValue(value, out var r) && r.Min <= r.Max ? r.ToQuantParams() : null;

    public QuantParams ParamsOf(int value) => _params[value];

    public bool HasCodes(int value) => _codes.ContainsKey(value);

    public bool HasFloat(int value) => _float.ContainsKey(value);

    /// <summary>Virtual buffer holding <paramref name="value"/> as floats, dequantizing its codes if needed.</summary>
    public int Float(int value)
    {
        if (_float.TryGetValue(value, out int buffer))
        {
            return buffer;
        }

        if (!_codes.TryGetValue(value, out int codes))
        {
            throw new InvalidOperationException($"Value {Network.Value(value).Name} has no representation yet.");
        }

        int length = Network.Value(value).Length;
        var p = _params[value];
        buffer = NewFloat(value);
        Emit(new DequantizeU8ToF32Parameters(length, p.ZeroPoint, p.Scale), [codes], [buffer]);
        return buffer;
    }

    /// <summary>Virtual buffer holding <paramref name="value"/> as uint8 codes, quantizing its floats with the calibrated range if needed.</summary>
    public int Codes(int value)
    {
        if (_codes.TryGetValue(value, out int buffer))
        {
            return buffer;
        }

        var p = Calibrated(value) ?? throw new InvalidOperationException($"Value {Network.Value(value).Name} was not calibrated.");
        int source = Float(value);
        int length = Network.Value(value).Length;
        buffer = NewCodes(value, p);
        Emit(new QuantizeF32ToU8Parameters(length, p.ZeroPoint, p.Scale), [source], [buffer]);
        return buffer;
    }

    /// <summary>A new float virtual buffer that is <paramref name="value"/>'s float representation.</summary>
    public int NewFloat(int value, bool pinned = false)
    {
        int buffer = NewVirtual(BufferKind.Float32, Network.Value(value).Length, pinned || KeepAllValues);
        _float[value] = buffer;
        return buffer;
    }

    /// <summary>A new uint8 virtual buffer that is <paramref name="value"/>'s code representation.</summary>
    public int NewCodes(int value, QuantParams p, bool pinned = false)
    {
        int buffer = NewVirtual(BufferKind.UInt8, Network.Value(value).Length, pinned);
        _codes[value] = buffer;
        _params[value] = p;
        return buffer;
    }

    /// <summary>A scratch buffer that lives only for the next op.</summary>
    public int Temporary(BufferKind kind, int length) => NewVirtual(kind, length, pinned: false);

    /// <summary><paramref name="output"/> is the same data as <paramref name="input"/> (reshape): share every representation.</summary>
    public void Alias(int output, int input)
    {
        if (_float.TryGetValue(input, out int f))
        {
            _float[output] = f;
        }

        if (_codes.TryGetValue(input, out int c))
        {
            _codes[output] = c;
            _params[output] = _params[input];
        }
    }

    /// <summary>Appends an op: its parameters as the runtime decodes them (<see cref="IOpParameters"/>), its virtual buffers and data sections.</summary>
    internal void Emit(IOpParameters parameters, int[] inputs, int[] outputs, params long[] data)
        => _ops.Add((parameters.Kind, inputs, outputs, parameters.Encode(), data));

    public long Data<T>(ReadOnlySpan<T> values)
        where T : unmanaged
        => Writer.AddData(values);

    public void Summarize(Layer layer, string kind, bool int8, double sparsity = 0, long parameterBytes = 0, long compressedBytes = 0, int weightBits = 0)
        => Summaries.Add(new LayerSummary(layer.Name, kind, int8 ? "Int8" : "Float32", sparsity, parameterBytes, compressedBytes) { WeightBits = weightBits });

    internal int NewVirtual(BufferKind kind, int length, bool pinned)
    {
        _virtual.Add((kind, length, pinned));
        return _virtual.Count - 1;
    }

    internal int FloatBufferOf(int value) => _float[value];

    internal IReadOnlyDictionary<int, int> FloatValues => _float;

    /// <summary>Assigns physical buffers by liveness and writes every op.</summary>
    /// <summary>Reuse buffers without looking at lengths, so that the plan's structure does not depend on them (sequence plans).</summary>
    internal bool LengthBlindBuffers { get; }

    internal Dictionary<int, int> Finish(IReadOnlyList<int> inputBuffers, IReadOnlyList<int> outputBuffers)
    {
        var lastUse = new int[_virtual.Count];
        Array.Fill(lastUse, -1);
        for (int i = 0; i < _ops.Count; i++)
        {
            foreach (int v in _ops[i].Inputs.Concat(_ops[i].Outputs))
            {
                lastUse[v] = i;
            }
        }

        var pinned = new bool[_virtual.Count];
        for (int v = 0; v < _virtual.Count; v++)
        {
            pinned[v] = _virtual[v].Pinned;
        }

        foreach (int v in inputBuffers.Concat(outputBuffers))
        {
            pinned[v] = true;
        }

        foreach (var op in _ops.Where(o => o.Kind == OpKind.Constant))
        {
            pinned[op.Outputs[0]] = true;
        }

        var physical = new int[_virtual.Count];
        Array.Fill(physical, -1);
        var physicalKinds = new List<(BufferKind Kind, int Length)>();
        var free = new List<int>();
        int Assign(int v)
        {
            if (physical[v] >= 0)
            {
                return physical[v];
            }

            var (kind, length, _) = _virtual[v];
            int best = -1;
            if (!pinned[v])
            {
                foreach (int candidate in free)
                {
                    // Closest in length; or, for a plan that must be the same at every sequence length, the most recently freed.
                    if (physicalKinds[candidate].Kind == kind && (best < 0 || LengthBlindBuffers || Math.Abs(physicalKinds[candidate].Length - length) < Math.Abs(physicalKinds[best].Length - length)))
                    {
                        best = candidate;
                    }
                }
            }

            if (best >= 0)
            {
                free.Remove(best);
                physicalKinds[best] = (kind, Math.Max(physicalKinds[best].Length, length));
            }
            else
            {
                physicalKinds.Add((kind, length));
                best = physicalKinds.Count - 1;
            }

            physical[v] = best;
            return best;
        }

        foreach (int v in inputBuffers)
        {
            Assign(v);
        }

        var resolved = new List<(OpKind, int[], int[], int[], long[])>();
        for (int i = 0; i < _ops.Count; i++)
        {
            var op = _ops[i];
            var ins = op.Inputs.Select(Assign).ToArray();
            var outs = op.Outputs.Select(Assign).ToArray();
            resolved.Add((op.Kind, ins, outs, op.Params, op.Data));
            foreach (int v in op.Inputs.Concat(op.Outputs).Distinct())
            {
                if (lastUse[v] == i && !pinned[v] && physical[v] >= 0 && !free.Contains(physical[v]) && !IsShared(v, physical, lastUse, i))
                {
                    free.Add(physical[v]);
                }
            }
        }

        foreach (int v in outputBuffers)
        {
            Assign(v);
        }

        foreach (var (kind, length) in physicalKinds)
        {
            Writer.AddBuffer(kind, length);
        }

        foreach (var (kind, ins, outs, p, d) in resolved)
        {
            Writer.AddOp(kind, ins, outs, p, d);
        }

        BufferUses = Enumerable.Range(0, _virtual.Count).Where(v => physical[v] >= 0).Select(v => (physical[v], _virtual[v].Length)).ToList();
        return Enumerable.Range(0, _virtual.Count).Where(v => physical[v] >= 0).ToDictionary(v => v, v => physical[v]);
    }

    /// <summary>After <see cref="Finish"/>: each tensor's buffer and length (<see cref="CompiledPlan.BufferUses"/>).</summary>
    internal IReadOnlyList<(int Buffer, int Length)> BufferUses { get; private set; } = [];

    /// <summary>True when another virtual buffer mapped to the same physical one is still live after op <paramref name="at"/>.</summary>
    private static bool IsShared(int v, int[] physical, int[] lastUse, int at)
    {
        for (int other = 0; other < physical.Length; other++)
        {
            if (other != v && physical[other] == physical[v] && lastUse[other] > at)
            {
                return true;
            }
        }

        return false;
    }
}
