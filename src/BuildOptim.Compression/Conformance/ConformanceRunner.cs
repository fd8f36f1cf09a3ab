using BuildOptim.Compression.Evaluation;
using System.Globalization;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Lowering;
using Graph = BuildOptim.Onnx.Graph;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;

namespace BuildOptim.Compression.Conformance;

public enum CaseOutcome
{
    Pass,
    Fail,
    Unsupported,
}

/// <summary>The result of one backend-test case.</summary>
public sealed record CaseResult(string Name, CaseOutcome Outcome, string Detail);

/// <summary>A backend-test case lowered with the shapes of its data, with each data set's inputs and expected outputs.</summary>
internal sealed record ConformanceCase(string Name, Network Network, List<List<Tensor>> Inputs, List<List<Tensor>> Expected);

/// <summary>
/// Runs ONNX backend node-test cases (<c>model.onnx</c> + <c>test_data_set_*</c>) on BuildOptim's
/// own lowering, compiler and Runtime kernels.
/// </summary>
/// <remarks>
/// fp32 passes when every output element satisfies <c>|actual − expected| ≤ atol + rtol·|expected|</c>
/// with <see cref="Rtol"/> and <see cref="Atol"/>. int8 (calibrated on the case's own inputs) passes
/// when <c>|actual − expected| ≤ Int8Tolerance · max(range(expected), max|expected|) + Atol</c>:
/// a few quantization steps of the output's range. Inputs may be float32, int64, int32 or bool, fed to the plan as
/// the exact floats it holds them as (integers within ±2^24); int64, int32 and bool outputs must match exactly.
/// </remarks>
public static class ConformanceRunner
{
    public const double Rtol = 1e-3;
    public const double Atol = 1e-5;
    public const double Int8Tolerance = 0.04;

    public static IEnumerable<string> FindCases(string root)
        => Directory.EnumerateFiles(root, "model.onnx", SearchOption.AllDirectories)
            .Select(Path.GetDirectoryName)
            .Where(d => d is not null && Directory.EnumerateDirectories(d, "test_data_set_*").Any())
            .Select(d => d!)
            .OrderBy(d => d, StringComparer.Ordinal);

    public static CaseResult Run(string caseDirectory, bool int8)
    {
        string name = Path.GetFileName(caseDirectory);
        try
        {
            var (_, network, inputsPerSet, expectedPerSet) = Load(caseDirectory);
            int dataSets = inputsPerSet.Count;
            CompiledPlan plan;
            if (int8)
            {
                var ranges = Calibrate(network, inputsPerSet);
                plan = PlanCompiler.Compile(network, QuantizeMode.Int8, ranges);
            }
            else
            {
                plan = PlanCompiler.Compile(network, QuantizeMode.None, null);
            }

            var runner = new PlanRunner(ModelPlan.FromBytes(plan.Bytes));
            double worst = 0;
            string worstWhere = "";
            for (int set = 0; set < dataSets; set++)
            {
                var inputs = inputsPerSet[set].Select(AsFloats).ToList();
                var outputs = network.Outputs.Select(o => new float[network.Value(o).Length]).ToList();
                runner.RunMany(inputs, outputs);
                for (int o = 0; o < outputs.Count; o++)
                {
                    var expected = expectedPerSet[set][o];
                    var want = AsFloats(expected);
                    if (want.Length != outputs[o].Length)
                    {
                        return new CaseResult(name, CaseOutcome.Fail, $"output {o} has {outputs[o].Length} values, expected {want.Length}");
                    }

                    bool exact = !network.Value(network.Outputs[o]).IsFloat;
                    double scale = int8 ? Int8Tolerance * Math.Max(Range(want), want.Select(Math.Abs).DefaultIfEmpty(0).Max()) : 0;
                    for (int i = 0; i < want.Length; i++)
                    {
                        double error = Math.Abs((double)outputs[o][i] - want[i]);
                        double allowed = exact ? 0 : int8 ? scale + Atol : Atol + Rtol * Math.Abs(want[i]);
                        bool bad = double.IsNaN(outputs[o][i]) != double.IsNaN(want[i]) || (!double.IsNaN(want[i]) && error > allowed);
                        double excess = bad ? error / Math.Max(allowed, 1e-30) : error / Math.Max(allowed, 1e-30) * 0;
                        if (bad && (worst <= 1 || excess > worst))
                        {
                            worst = Math.Max(excess, 1.0001);
                            worstWhere = string.Create(CultureInfo.InvariantCulture, $"output {o}[{i}] = {outputs[o][i]:G6}, expected {want[i]:G6} (error {error:G3}, allowed {allowed:G3})");
                        }
                    }
                }
            }

            return worst > 1
                ? new CaseResult(name, CaseOutcome.Fail, worstWhere)
                : new CaseResult(name, CaseOutcome.Pass, "");
        }
        catch (OnnxModelException e) when (e.Code is OnnxDiagnostics.UnsupportedOperator or OnnxDiagnostics.UnsupportedModel)
        {
            return new CaseResult(name, CaseOutcome.Unsupported, UnsupportedReason(e));
        }
        catch (NotSupportedException e)
        {
            return new CaseResult(name, CaseOutcome.Unsupported, e.Message);
        }
        catch (Exception e)
        {
            return new CaseResult(name, CaseOutcome.Fail, $"{e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
    }

    /// <summary>
    /// A case lowered with the shapes of its data: inputs in parameter slots (weights, axes, shapes, pads, bounds) bound as
    /// the constants real models hold there, and each data set's float inputs and expected outputs.
    /// </summary>
    /// <exception cref="NotSupportedException">The case has inputs or outputs of a type BuildOptim does not run, or a parameter input that varies.</exception>
    internal static ConformanceCase Load(string caseDirectory)
    {
        var graph = OnnxModelLoader.Load(Path.Combine(caseDirectory, "model.onnx"));
        if (graph.Inputs.Concat(graph.Outputs).FirstOrDefault(v => v.Type == ElementType.Other) is { } other)
        {
            throw new NotSupportedException($"'{other.Name}' is not a tensor of a supported type");
        }

        var dataSets = Directory.EnumerateDirectories(caseDirectory, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal).ToList();
        var inputsPerSet = dataSets.Select(d => ReadSet(d, "input", graph.Inputs.Count)).ToList();
        var expectedPerSet = dataSets.Select(d => ReadSet(d, "output", graph.Outputs.Count)).ToList();
        var parameters = ParameterInputs(graph);
        for (int i = graph.Inputs.Count - 1; i >= 0; i--)
        {
            var input = graph.Inputs[i];
            if (!parameters.Contains(input.Name))
            {
                continue;
            }

            var value = inputsPerSet[0][i];
            bool varies = inputsPerSet.Any(set => value.IsFloat ? !set[i].Floats!.SequenceEqual(value.Floats!) : !set[i].Int64s!.SequenceEqual(value.Int64s!));
            if (varies)
            {
                throw new NotSupportedException($"parameter input '{input.Name}' changes between data sets");
            }

            graph.Initializers[input.Name] = ConstantFoldingName(value, input.Name);
            graph.Inputs.RemoveAt(i);
            foreach (var set in inputsPerSet)
            {
                set.RemoveAt(i);
            }
        }

        foreach (var (input, i) in graph.Inputs.Select((input, i) => (input, i)))
        {
            if (!GraphLowering.IsRuntimeType(input.Type))
            {
                throw new NotSupportedException($"input '{input.Name}' is {input.Type} data");
            }

            if (inputsPerSet.Any(set => !set[i].IsFloat && set[i].Int64s!.Any(v => Math.Abs(v) > NetworkValue.MaxExactInteger)))
            {
                throw new NotSupportedException($"input '{input.Name}' holds integers beyond ±2^24, which float32 does not hold exactly");
            }
        }

        var shapes = graph.Inputs.Select((input, i) => (input.Name, inputsPerSet[0][i].Dims)).ToDictionary(p => p.Name, p => p.Dims);
        return new ConformanceCase(Path.GetFileName(caseDirectory), OnnxFrontEnd.Import(graph, shapes), inputsPerSet, expectedPerSet);
    }

    private static string UnsupportedReason(OnnxModelException e)
    {
        // "... uses operator 'Foo', which ..." -> "Foo"
        int at = e.Message.IndexOf("operator '", StringComparison.Ordinal);
        if (at >= 0)
        {
            int start = at + "operator '".Length;
            int end = e.Message.IndexOf('\'', start);
            return e.Message[start..end];
        }

        return e.Message;
    }

    /// <summary>The range of every value over the case's data sets (int8 plans and their QDQ export are calibrated on them).</summary>
    internal static Dictionary<int, TensorRange> Calibrate(Network network, List<List<Tensor>> inputsPerSet)
    {
        var probe = new ValueProbe(network);
        var ranges = probe.Values.ToDictionary(v => v, _ => TensorRange.Empty);
        foreach (var set in inputsPerSet)
        {
            probe.Run(set.Select(AsFloats).ToList());
            probe.VisitValues((value, values) => ranges[value] = ranges[value].Include(values));
        }

        return ranges;
    }

    /// <summary>Input slots that real models fill with constants (weights, axes, shapes, pads, bounds), per op.</summary>
    private static readonly Dictionary<string, int[]> s_parameterSlots = new(StringComparer.Ordinal)
    {
        ["Conv"] = [1, 2],
        ["BatchNormalization"] = [1, 2, 3, 4],
        ["Pad"] = [1, 2, 3],
        ["Clip"] = [1, 2],
        ["Reshape"] = [1],
        ["Unsqueeze"] = [1],
        ["Squeeze"] = [1],
        ["Slice"] = [1, 2, 3, 4],
        ["ConstantOfShape"] = [0],
        ["Dropout"] = [1, 2],
        ["Range"] = [0, 1, 2],
        ["ReduceSum"] = [1],
        ["ReduceMean"] = [1],
        ["ReduceMax"] = [1],
        ["ReduceMin"] = [1],
        ["ReduceSumSquare"] = [1],
        ["ReduceL2"] = [1],
        ["LayerNormalization"] = [1, 2],
        ["InstanceNormalization"] = [1, 2],
        ["ConvTranspose"] = [1, 2],
        ["Resize"] = [1, 2, 3],
        ["Upsample"] = [1],
        ["Split"] = [1],
        ["Expand"] = [1],
        ["Tile"] = [1],
    };

    private static HashSet<string> ParameterInputs(Graph graph)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            if (s_parameterSlots.TryGetValue(node.OpType, out var slots))
            {
                foreach (int slot in slots.Where(s => s < node.Inputs.Count && node.Inputs[s].Length > 0))
                {
                    names.Add(node.Inputs[slot]);
                }
            }
        }

        return names;
    }

    /// <summary>A tensor's values as the plan holds them: floats, or integers and bools as exact floats.</summary>
    private static float[] AsFloats(Tensor t) => t.IsFloat ? t.Floats! : t.Int64s!.Select(v => (float)v).ToArray();

    private static Tensor ConstantFoldingName(Tensor t, string name) => t.IsFloat ? new Tensor(name, t.Dims, t.Floats!) : new Tensor(name, t.Dims, t.Int64s!, t.Type);

    private static List<Tensor> ReadSet(string directory, string prefix, int count)
        => Enumerable.Range(0, count).Select(i => TensorFile.Read(Path.Combine(directory, $"{prefix}_{i}.pb"))).ToList();

    private static double Range(float[] values)
    {
        if (values.Length == 0)
        {
            return 0;
        }

        var finite = values.Where(float.IsFinite).ToList();
        return finite.Count == 0 ? 0 : finite.Max() - finite.Min();
    }
}
