using System.Diagnostics;
using System.Text.RegularExpressions;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Tests.Onnx;
using Google.Protobuf;
using Onnx;
using Xunit.Abstractions;

namespace BuildOptim.Tests.Fuzz;

/// <summary>
/// A seeded mutation fuzzer for the ONNX front end: real models of the repository and the hostile corpus,
/// mutated (<see cref="ProtobufMutator"/>), then loaded and lowered as <c>Compressor.Run</c> does. Every
/// case must end in success or an <see cref="OnnxModelException"/> with a documented code, within an
/// allocation bound, and a lowered network must be consistent. A failure names its case and seed; the
/// same case index always builds the same bytes, and the failing bytes are saved for a closer look.
/// </summary>
public class OnnxFuzzTests(ITestOutputHelper output)
{
    /// <summary>
    /// The fixed seed: case <c>i</c> mutates with <c>new Random(Seed + i)</c>. For a longer exploration set
    /// <c>BOPT_FUZZ_SEED</c> and <c>BOPT_FUZZ_CASES</c>; the suite itself always runs the fixed cases.
    /// </summary>
    public static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("BOPT_FUZZ_SEED"), out int seed) ? seed : 20_13;

    public static readonly int Cases = int.TryParse(Environment.GetEnvironmentVariable("BOPT_FUZZ_CASES"), out int cases) ? cases : 2000;

    /// <summary>
    /// What one case may allocate: the constant data one lowering may create (<see cref="ModelLimits.MaxTensorElements"/>
    /// float32 elements, 1 GB, beyond twice these small models' own data) and 256 MB for parsing and the rest.
    /// An unchecked size asks for far more (the hostile corpus asked for 0.5 to 12 GB).
    /// </summary>
    private const long AllocationBound = ModelLimits.MaxTensorElements * 4L + (256L << 20);

    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Small backend-test models whose attributes reach the spatial, shape and folding code.</summary>
    private static readonly string[] ConformanceSeeds =
    [
        "test_averagepool_2d_ceil", "test_averagepool_2d_pads_count_include_pad", "test_averagepool_2d_precomputed_same_upper",
        "test_maxpool_2d_dilations", "test_maxpool_1d_default", "test_conv_with_strides_and_asymmetric_padding",
        "test_conv_with_autopad_same", "test_gemm_all_attributes", "test_gemm_transposeA", "test_constant_pad_axes",
        "test_concat_3d_axis_negative_2", "test_reshape_zero_and_negative_dim", "test_reshape_allowzero_reordered",
        "test_transpose_all_permutations_4", "test_unsqueeze_unsorted_axes", "test_squeeze_negative_axes",
        "test_flatten_negative_axis2", "test_softmax_axis_1", "test_logsoftmax_default_axis", "test_lrn",
        "test_batchnorm_epsilon", "test_matmul_4d_1d", "test_range_float_type_positive_delta",
        "test_constantofshape_float_ones", "test_clip_splitbounds", "test_dropout_default_ratio", "test_sum_example",
        "test_prelu_broadcast", "test_globalaveragepool",
    ];

    [Fact]
    public async Task Mutated_models_load_and_lower_or_fail_with_a_documented_model_error()
    {
        var seeds = SeedModels();
        int realSeeds = seeds.Count - HostileOnnxModels.All.Count;
        var documented = DocumentedCodes();
        string file = Path.Combine(Path.GetTempPath(), $"fuzz-{Guid.NewGuid():N}.onnx");
        var failures = new List<string>();
        var outcomes = new Dictionary<string, int>();
        long mostAllocated = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            for (int i = 0; i < Cases && failures.Count < 10; i++)
            {
                var random = new Random(Seed + i);
                // Three cases in four start from a real model, the rest from the hostile corpus.
                var (seedName, seedBytes) = random.Next(4) < 3 ? seeds[random.Next(realSeeds)] : seeds[random.Next(realSeeds, seeds.Count)];
                var log = new List<string>();
                byte[] mutated = ProtobufMutator.Mutate(seedBytes, random, log);
                File.WriteAllBytes(file, mutated);

                var run = Task.Run(() => RunCase(file));
                string? problem;
                string outcome;
                if (await Task.WhenAny(run, Task.Delay(CaseTimeout)) != run)
                {
                    (problem, outcome) = ($"did not finish in {CaseTimeout.TotalSeconds} s", "hang");
                }
                else
                {
                    var result = await run;
                    (problem, outcome) = Judge(result, file, documented);
                    mostAllocated = Math.Max(mostAllocated, result.Allocated);
                }

                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                if (problem is not null)
                {
                    string saved = Path.Combine(Path.GetTempPath(), $"bopt-fuzz-case-{i}.onnx");
                    File.WriteAllBytes(saved, mutated);
                    failures.Add($"case {i} (Random({Seed} + {i})), seed model {seedName}, {string.Join("; ", log)}: {problem} [bytes: {saved}]");
                    if (outcome == "hang")
                    {
                        break; // the hung case still holds a thread; stop here
                    }
                }
            }
        }
        finally
        {
            File.Delete(file);
        }

        output.WriteLine($"{Cases} cases (seed {Seed}) over {seeds.Count} seed models in {clock.Elapsed.TotalSeconds:F1} s, at most {mostAllocated >> 20} MB allocated by one case: "
            + string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Load and lower as <c>Compressor.Run</c> does (test models that it refuses for their inputs: with the declared shapes).</summary>
    private static CaseResult RunCase(string file)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var networks = new List<Network>();
        var errors = new List<Exception>();
        void Attempt(Func<Network> lower)
        {
            try
            {
                networks.Add(lower());
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        }

        Graph graph;
        try
        {
            graph = OnnxModelLoader.Load(file);
        }
        catch (Exception e)
        {
            return new CaseResult(networks, e, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Attempt(() => OnnxFrontEnd.Import(graph));

        // Backend-test models have several inputs or a fixed batch, which LowerModel refuses before lowering
        // anything; lower those with their declared shapes, as `buildoptim conformance` does.
        bool refusedForItsInputs = graph.Inputs.Count != 1 || graph.Inputs[0].Dims is [{ } batch, ..] && batch != 1;
        if (refusedForItsInputs && graph.Inputs.All(i => i.Type == ElementType.Float))
        {
            Attempt(() => OnnxFrontEnd.Import(graph, graph.Inputs.ToDictionary(i => i.Name, i => i.Dims.Select(d => d ?? 1).ToArray())));
        }

        // An unexpected exception outranks a coded one.
        var error = errors.FirstOrDefault(e => e is not OnnxModelException) ?? errors.FirstOrDefault();
        return new CaseResult(networks, error, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static (string? Problem, string Outcome) Judge(CaseResult result, string file, IReadOnlySet<string> documented)
    {
        if (result.Allocated > AllocationBound)
        {
            return ($"allocated {result.Allocated:N0} bytes", "over the allocation bound");
        }

        if (result.Error is { } error and not OnnxModelException)
        {
            return ($"{error.GetType().Name}: {error.Message}\n{error.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}", "internal error");
        }

        if (result.Error is OnnxModelException model && (!documented.Contains(model.Code) || !model.Message.Contains(file, StringComparison.Ordinal)))
        {
            return ($"{model.Code} is not documented or the message does not name the file: {model.Message}", "undocumented");
        }

        foreach (var network in result.Networks)
        {
            if (NetworkProblem(network) is { } problem)
            {
                return ($"inconsistent network: {problem}", "inconsistent");
            }
        }

        return (null, result.Networks.Count > 0 ? "lowered" : ((OnnxModelException)result.Error!).Code);
    }

    /// <summary>What the rest of the engine relies on: shapes within the budget, constant data and weights of the size their shapes say.</summary>
    private static string? NetworkProblem(Network network)
    {
        foreach (var value in network.Values)
        {
            if (value.Shape.Any(d => d < 0) || value.Shape.Aggregate(1L, (p, d) => Math.Min(p * d, long.MaxValue / int.MaxValue)) > ModelLimits.MaxTensorElements)
            {
                return $"value '{value.Name}' has shape [{string.Join(",", value.Shape)}]";
            }
        }

        foreach (var layer in network.Layers)
        {
            int length = network.Value(layer.Output).Length;
            string? problem = layer switch
            {
                ConstantLayer k when k.Data.Length != length => $"{k.Data.Length} values for {length}",
                DenseLayer d when d.Weights.Length != (long)d.K * d.N || d.Bias.Length != d.N => $"{d.Weights.Length} weights for {d.K}x{d.N}",
                ConvLayer c when c.Weights.Length != (long)c.M * (c.C / c.Group) * c.KH * c.KW || c.Bias.Length != c.M => $"{c.Weights.Length} weights for {c.M}x{c.C / c.Group}x{c.KH}x{c.KW}",
                ChannelAffineLayer a when network.Value(a.Inputs[0]).Shape is not [_, var channels, ..] || a.Scale.Length != channels => $"{a.Scale.Length} scales",
                _ => null,
            };
            if (problem is not null)
            {
                return $"{layer.GetType().Name} '{layer.Name}': {problem}";
            }
        }

        return null;
    }

    private static List<(string Name, byte[] Bytes)> SeedModels()
    {
        var seeds = new List<(string, byte[])>
        {
            ("fashion_mlp", File.ReadAllBytes(Models.FashionMlp)),
            ("fashion_cnn", File.ReadAllBytes(Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Models", "fashion_cnn.onnx"))),
            ("mlp_tanh", File.ReadAllBytes(Models.MlpTanh)),
            ("mlp_matmul", File.ReadAllBytes(Models.MlpMatMul)),
        };
        seeds.AddRange(ConformanceSeeds.Select(name => (name, WithParametersAsInitializers(Path.Combine(TestPaths.TestData, "onnx-node", name)))));
        seeds.AddRange(HostileOnnxModels.All.Select(m => ("hostile/" + m.Name, m.Build())));
        return seeds;
    }

    /// <summary>A backend-test model with every input but the first float one bound to its test data, as a real model holds its parameters.</summary>
    private static byte[] WithParametersAsInitializers(string caseDirectory)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(caseDirectory, "model.onnx")));
        var inputs = model.Graph.Input.ToList();
        int dataInput = inputs.FindIndex(i => i.Type?.TensorType?.ElemType == 1);
        for (int i = 0; i < inputs.Count; i++)
        {
            if (i == dataInput)
            {
                continue;
            }

            var data = TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(caseDirectory, "test_data_set_0", $"input_{i}.pb")));
            data.Name = inputs[i].Name;
            model.Graph.Initializer.Add(data);
            model.Graph.Input.Remove(inputs[i]);
        }

        return model.ToByteArray();
    }

    private static IReadOnlySet<string> DocumentedCodes()
    {
        string table = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "diagnostics.md"));
        return Regex.Matches(table, @"^\| (BOPT\d{4}) \|", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
    }

    private sealed record CaseResult(List<Network> Networks, Exception? Error, long Allocated);
}
