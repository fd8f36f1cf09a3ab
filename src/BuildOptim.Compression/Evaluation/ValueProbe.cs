using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression.Evaluation;

/// <summary>What a pass over the data sees of one tensor for one sample.</summary>
internal delegate void TensorVisitor(int value, ReadOnlySpan<float> values);

/// <summary>
/// The fp32 plan of a network with every value in its own buffer, compiled once, so that every intermediate
/// tensor can be read after a run: calibration (ranges, histograms), neuron pruning and merging (activations),
/// and the conformance runner all look at values through it. It runs the Runtime's own float kernels.
/// </summary>
internal sealed class ValueProbe
{
    private readonly Network _network;
    private readonly CompiledPlan _plan;
    private readonly PlanRunner _runner;
    private readonly float[] _output;

    public ValueProbe(Network network)
    {
        _network = network;
        _plan = PlanCompiler.Compile(network, QuantizeMode.None, null, keepAllValues: true);
        _runner = new PlanRunner(ModelPlan.FromBytes(_plan.Bytes));
        _output = new float[_runner.OutputLength];
    }

    /// <summary>The values that have a float tensor in the plan.</summary>
    public IEnumerable<int> Values => _plan.FloatBuffers.Keys;

    /// <summary>Runs one sample of a single-input network.</summary>
    public void Run(ReadOnlySpan<float> sample) => _runner.Run(sample, _output);

    /// <summary>Runs one sample of a network with several inputs (one array per graph input, in order).</summary>
    public void Run(IReadOnlyList<float[]> inputs)
        => _runner.RunMany(inputs, _network.Outputs.Select(o => new float[_network.Value(o).Length]).ToList());

    /// <summary>The tensor of <paramref name="id"/> from the last run.</summary>
    public ReadOnlySpan<float> Value(int id) => _runner.FloatBuffer(_plan.FloatBuffers[id])[.._network.Value(id).Length];

    /// <summary>Runs every sample and hands every value's tensor to <paramref name="visit"/>.</summary>
    public void Visit(NdArray samples, TensorVisitor visit)
    {
        for (int s = 0; s < samples.SampleCount; s++)
        {
            Run(samples.Sample(s));
            VisitValues(visit);
        }
    }

    /// <summary>Hands every value's tensor from the last run to <paramref name="visit"/>.</summary>
    public void VisitValues(TensorVisitor visit)
    {
        foreach (int value in _plan.FloatBuffers.Keys)
        {
            visit(value, Value(value));
        }
    }
}
