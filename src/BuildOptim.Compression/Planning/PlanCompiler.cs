using BuildOptim.Compression.Planning.Ops;
using BuildOptim.Compression.Sharing;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning;

/// <summary>
/// Turns a <see cref="Network"/> into a plan. Each layer type has an emitter
/// (<see cref="LayerEmitters"/>); in int8 mode a layer runs on uint8 codes when its emitter supports
/// it, its tensors are calibrated and it is not kept in fp32; representations are converted
/// (QuantizeLinear / DequantizeLinear ops) only where a float layer meets an int8 one.
/// </summary>
public static class PlanCompiler
{
    /// <param name="ranges">Calibrated range of each value id (int8 only).</param>
    /// <param name="floatLayers">Names of layers kept in fp32 inside an int8 plan (fallback, sensitivity).</param>
    /// <param name="keepAllValues">Give every value its own float buffer (calibration reads them all).</param>
    /// <param name="sharedWeights">
    /// <see cref="WeightSharingResult.Layers"/> of the weight sharing that produced <paramref name="network"/>: int8 Dense and Conv
    /// layers listed there store 4-bit indices and int8 codebooks instead of int8 weights (same results).
    /// </param>
    /// <param name="lengthBlindBuffers">Assign buffers without regard to their lengths: the plan of a model with a dynamic sequence length must have one structure at every length.</param>
    public static CompiledPlan Compile(Network network, QuantizeMode mode, IReadOnlyDictionary<int, TensorRange>? ranges, IReadOnlySet<string>? floatLayers = null, bool keepAllValues = false, IReadOnlyDictionary<string, SharedWeights>? sharedWeights = null, bool lengthBlindBuffers = false)
    {
        if (mode == QuantizeMode.Int8 && ranges is null)
        {
            throw new ArgumentException("Int8 compilation needs calibrated ranges.", nameof(ranges));
        }

        var context = new CompileContext(network, mode, ranges, keepAllValues, sharedWeights, lengthBlindBuffers);
        var inputBuffers = EmitLayers(context, floatLayers);
        var outputBuffers = new List<int>();
        foreach (int output in network.Outputs)
        {
            int buffer = context.Float(output);
            if (inputBuffers.Contains(buffer) || outputBuffers.Contains(buffer))
            {
                int copy = context.NewVirtual(BufferKind.Float32, network.Value(output).Length, pinned: true);
                context.Emit(new CopyParameters(network.Value(output).Length), [buffer], [copy]);
                buffer = copy;
            }

            outputBuffers.Add(buffer);
        }

        var physical = context.Finish(inputBuffers, outputBuffers);
        for (int i = 0; i < network.Inputs.Count; i++)
        {
            context.Writer.AddInput(physical[inputBuffers[i]], network.Value(network.Inputs[i]).Length);
        }

        for (int i = 0; i < network.Outputs.Count; i++)
        {
            context.Writer.AddOutput(physical[outputBuffers[i]], network.Value(network.Outputs[i]).Length);
        }

        var floatBuffers = context.FloatValues.Where(kv => physical.ContainsKey(kv.Value)).ToDictionary(kv => kv.Key, kv => physical[kv.Value]);
        return new CompiledPlan(context.Writer.ToArray(), context.Summaries, floatBuffers) { BufferUses = context.BufferUses };
    }

    /// <summary>
    /// The int8 decision and the ops of every layer, into <paramref name="context"/>: in a <see cref="QuantizationScheme.Static"/>
    /// plan a layer runs on codes in int8 mode when its emitter supports it, its tensors are calibrated and float (integer and
    /// bool tensors, held as floats, stay exact) and it is not in <paramref name="floatLayers"/>; in a
    /// <see cref="QuantizationScheme.Dynamic"/> plan a layer whose emitter is an <see cref="IDynamicInt8Emitter"/> that accepts it
    /// runs with int8 weights on float activations, unless it is in <paramref name="floatLayers"/>. Returns the
    /// network inputs' float buffers. The QDQ export reads its codes off this same compilation (<c>CodeAssignment</c>).
    /// </summary>
    internal static List<int> EmitLayers(CompileContext context, IReadOnlySet<string>? floatLayers)
    {
        var network = context.Network;
        var logArguments = context.Mode == QuantizeMode.Int8 ? LogArguments(network, context.Ranges) : [];
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            var emitter = LayerEmitters.For(layer);
            bool int8 = context.Mode == QuantizeMode.Int8
                && !(floatLayers?.Contains(layer.Name) ?? false)
                && (context.Scheme == QuantizationScheme.Dynamic
                    ? emitter is IDynamicInt8Emitter dynamic && dynamic.SupportsDynamicInt8(layer, context)
                    : !logArguments.Contains(layer)
                        && emitter.SupportsInt8(layer, context)
                        && context.Calibrated(layer.Output) is not null
                        && layer.Inputs.All(v => context.Calibrated(v) is not null)
                        && network.Value(layer.Output).IsFloat
                        && layer.Inputs.All(v => network.Value(v).IsFloat));
            context.MarkInt8(i, int8);
        }

        var inputBuffers = new List<int>();
        foreach (int input in network.Inputs)
        {
            inputBuffers.Add(context.NewFloat(input, pinned: true));
        }

        foreach (var layer in network.Layers)
        {
            if (context.IsAbsorbed(layer))
            {
                continue;
            }

            var emitter = LayerEmitters.For(layer);
            if (context.RunsInt8(layer))
            {
                emitter.EmitInt8(layer, context);
            }
            else
            {
                emitter.EmitFloat(layer, context);
            }
        }

        return inputBuffers;
    }

    /// <summary>
    /// The layers that compute what a Log reads, back to where the values can be negative (by the calibrated ranges), and
    /// the Log itself: they stay in float inside an int8 plan. A logarithm is there to compress the dynamic range of a
    /// non-negative quantity (a power spectrum, mel energies, counts, probabilities), a range that 8-bit linear codes, with
    /// their 1/255 step, cannot carry: every value below the step would become the same floor.
    /// </summary>
    internal static HashSet<Layer> LogArguments(Network network, IReadOnlyDictionary<int, TensorRange>? ranges)
    {
        var kept = new HashSet<Layer>(ReferenceEqualityComparer.Instance);
        if (ranges is null)
        {
            return kept;
        }

        var producers = new Layer?[network.Values.Count];
        foreach (var layer in network.Layers)
        {
            producers[layer.Output] = layer;
        }

        var pending = new Stack<int>();
        foreach (var log in network.Layers.OfType<ActivationLayer>().Where(a => a.Kind == ActivationKind.Log))
        {
            kept.Add(log);
            pending.Push(log.Inputs[0]);
        }

        while (pending.TryPop(out int value))
        {
            if (producers[value] is { } producer and not ConstantLayer && ranges.TryGetValue(value, out var range) && range.Min >= 0 && kept.Add(producer))
            {
                foreach (int input in producer.Inputs)
                {
                    pending.Push(input);
                }
            }
        }

        return kept;
    }
}
