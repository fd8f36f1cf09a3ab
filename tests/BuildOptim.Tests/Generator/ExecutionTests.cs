using System.Reflection;
using System.Runtime.Loader;
using BuildOptim.Runtime;
using Microsoft.CodeAnalysis;
using static BuildOptim.Tests.Generator.GeneratorHarness;

namespace BuildOptim.Tests.Generator;

/// <summary>
/// Compiles a generated class with a hand-built plan embedded as its manifest resource, loads the
/// assembly and runs it. Spans cannot cross reflection, so the test compilation carries a small
/// static <c>Harness</c> class that calls the generated type with arrays.
/// </summary>
public class ExecutionTests
{
    internal const int K = 4;
    internal const int N = 3;

    // y = relu(bias + W·x), W [N,K] row-major; every value is exact in float, whatever the summation order.
    private static readonly float[] s_weights =
    [
        1f, 2f, 3f, 4f,
        -1f, 0.5f, 0f, 2f,
        0.25f, -0.25f, 1f, -1f,
    ];

    private static readonly float[] s_bias = [0.5f, -1f, 0f];

    private const string TinyDescriptor = """
        format=1
        className=TinyModel
        namespace=Demo
        resourceName=BuildOptim.TinyModel.bopt
        sourceModel=tiny.onnx
        inputName=x
        inputShape=2,2
        inputLength=4
        outputName=y
        outputShape=3
        outputLength=3
        dynamicBatch=true
        classifier=true
        precision=Float32
        """;

    private const string HarnessSource = """
        using System;
        using Demo;

        public static class Harness
        {
            public static float[] Run(float[] input)
            {
                var output = new float[TinyModel.OutputLength];
                new TinyModel().Run(input, output);
                return output;
            }

            public static float[] RunBatch(float[] input, int batchSize)
            {
                var output = new float[TinyModel.OutputLength * batchSize];
                new TinyModel().Run(input, output, batchSize);
                return output;
            }

            public static int Predict(float[] input) => new TinyModel().Predict(input);

            public static float[] RunWithParallelism(float[] input, int parallelism)
            {
                var output = new float[TinyModel.OutputLength];
                new TinyModel(parallelism).Run(input, output);
                return output;
            }

            public static void RunWithLengths(int inputLength, int outputLength) =>
                new TinyModel().Run(new float[inputLength], new float[outputLength]);

            public static void RunBatchWithLengths(int inputLength, int outputLength, int batchSize) =>
                new TinyModel().Run(new float[inputLength], new float[outputLength], batchSize);

            public static long AllocatedBytesByRunAndPredict(float[] input, int iterations)
            {
                var model = new TinyModel();
                var output = new float[TinyModel.OutputLength];
                for (int i = 0; i < 1000; i++)
                {
                    model.Run(input, output);
                    model.Predict(input);
                }

                // The fewest bytes of five rounds: a one-time allocation (the JIT on a loaded machine) shows in one only.
                long fewest = long.MaxValue;
                for (int round = 0; round < 5 && fewest != 0; round++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < iterations; i++)
                    {
                        model.Run(input, output);
                        model.Predict(input);
                    }

                    fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
                }

                return fewest;
            }

            public static long ScratchBytes() => new TinyModel().ScratchBytes;

            public static string Precision() => new TinyModel().Precision;

            public static int[] InputShape() => TinyModel.InputShape.ToArray();
        }
        """;

    [Fact]
    public void Hand_built_plan_runs_on_the_runtime_directly()
    {
        var runner = new PlanRunner(ModelPlan.FromBytes(TinyPlan()));
        var output = new float[N];

        runner.Run([1f, 2f, 3f, 4f], output);

        Assert.Equal(Expected([1f, 2f, 3f, 4f]), output);
    }

    [Fact]
    public void Generated_Run_computes_the_plan_from_the_embedded_resource()
    {
        using var model = LoadedModel.Compile(TinyDescriptor, TinyPlan());

        Assert.Equal([30.5f, 7f, 0f], model.Call<float[]>("Run", new[] { 1f, 2f, 3f, 4f }));
        Assert.Equal(Expected([0f, 0f, 1f, -1f]), model.Call<float[]>("Run", new[] { 0f, 0f, 1f, -1f }));
    }

    [Fact]
    public void Generated_constructor_takes_a_parallelism_and_rejects_one_out_of_range()
    {
        using var model = LoadedModel.Compile(TinyDescriptor, TinyPlan());

        Assert.Equal(Expected([1f, 2f, 3f, 4f]), model.Call<float[]>("RunWithParallelism", new[] { 1f, 2f, 3f, 4f }, 4));
        var error = Assert.ThrowsAny<Exception>(() => model.Call<float[]>("RunWithParallelism", new[] { 1f, 2f, 3f, 4f }, 0));
        Assert.IsType<ArgumentOutOfRangeException>(error.InnerException ?? error);
    }

    [Fact]
    public void Generated_batch_Run_computes_each_sample()
    {
        using var model = LoadedModel.Compile(TinyDescriptor, TinyPlan());

        var output = model.Call<float[]>("RunBatch", new[] { 1f, 2f, 3f, 4f, 0f, 0f, 1f, -1f }, 2);

        Assert.Equal([.. Expected([1f, 2f, 3f, 4f]), .. Expected([0f, 0f, 1f, -1f])], output);
    }

    [Fact]
    public void Generated_Predict_returns_the_argmax_of_the_output()
    {
        using var model = LoadedModel.Compile(TinyDescriptor, TinyPlan());

        Assert.Equal(0, model.Call<int>("Predict", new[] { 1f, 2f, 3f, 4f }));
        Assert.Equal(2, model.Call<int>("Predict", new[] { 0f, 0f, 1f, -1f }));
    }

    [Fact]
    public void Generated_Run_and_Predict_allocate_nothing()
    {
        using var model = LoadedModel.Compile(TinyDescriptor, TinyPlan());

        Assert.Equal(0L, model.Call<long>("AllocatedBytesByRunAndPredict", new[] { 1f, 2f, 3f, 4f }, 1000));
    }

    [Fact]
    public void Generated_properties_report_scratch_precision_and_shape()
    {
        using var model = LoadedModel.Compile(TinyDescriptor, TinyPlan());

        Assert.Equal((K + N) * sizeof(float), model.Call<long>("ScratchBytes"));
        Assert.Equal("Float32", model.Call<string>("Precision"));
        Assert.Equal([2, 2], model.Call<int[]>("InputShape"));
    }

    [Theory]
    [InlineData(5, 3, "input", "Expected 4 input floats (2×2), got 5.")]
    [InlineData(0, 3, "input", "Expected 4 input floats (2×2), got 0.")]
    [InlineData(4, 2, "output", "Expected 3 output floats, got 2.")]
    public void Generated_Run_rejects_wrong_lengths_naming_the_expected_length(int inputLength, int outputLength, string paramName, string message)
    {
        using var model = LoadedModel.Compile(TinyDescriptor, TinyPlan());

        var exception = Assert.Throws<ArgumentException>(() => model.Call<object>("RunWithLengths", inputLength, outputLength));

        Assert.Equal(paramName, exception.ParamName);
        Assert.StartsWith(message, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(7, 6, 2, "input", "Expected 8 input floats (2 × 2×2), got 7.")]
    [InlineData(8, 3, 2, "output", "Expected 6 output floats (2 × 3), got 3.")]
    public void Generated_batch_Run_rejects_wrong_lengths_naming_the_expected_length(int inputLength, int outputLength, int batchSize, string paramName, string message)
    {
        using var model = LoadedModel.Compile(TinyDescriptor, TinyPlan());

        var exception = Assert.Throws<ArgumentException>(() => model.Call<object>("RunBatchWithLengths", inputLength, outputLength, batchSize));

        Assert.Equal(paramName, exception.ParamName);
        Assert.StartsWith(message, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generated_batch_Run_rejects_a_negative_batch_size()
    {
        using var model = LoadedModel.Compile(TinyDescriptor, TinyPlan());

        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => model.Call<object>("RunBatchWithLengths", 0, 0, -1));

        Assert.Equal("batchSize", exception.ParamName);
    }

    [Fact]
    public void Generated_Predict_rejects_a_wrong_input_length()
    {
        using var model = LoadedModel.Compile(TinyDescriptor, TinyPlan());

        var exception = Assert.Throws<ArgumentException>(() => model.Call<int>("Predict", new float[3]));

        Assert.Equal("input", exception.ParamName);
        Assert.Contains("Expected 4 input floats", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_rejects_a_plan_that_does_not_match_the_class()
    {
        var otherPlan = PlanBytes.FullyConnectedF32(new float[5 * N], new float[N], k: 5, n: N);
        using var model = LoadedModel.Compile(TinyDescriptor, otherPlan);

        var exception = Assert.Throws<InvalidOperationException>(() => model.Call<float[]>("Run", new float[K]));

        Assert.Contains("BuildOptim.TinyModel.bopt", exception.Message, StringComparison.Ordinal);
        Assert.Contains("takes 5 input", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_reports_a_missing_resource()
    {
        using var model = LoadedModel.Compile(TinyDescriptor, plan: null);

        var exception = Assert.Throws<InvalidOperationException>(() => model.Call<float[]>("Run", new float[K]));

        Assert.Contains("BuildOptim.TinyModel.bopt", exception.Message, StringComparison.Ordinal);
    }

    /// <summary>The tiny dense model (y = relu(bias + W·x)) these tests and <see cref="ServiceExecutionTests"/> embed.</summary>
    internal static byte[] TinyPlan() => PlanBytes.FullyConnectedF32(s_weights, s_bias, K, N, Activation.Relu);

    internal static float[] Expected(float[] x)
    {
        var y = new float[N];
        for (int n = 0; n < N; n++)
        {
            float sum = s_bias[n];
            for (int k = 0; k < K; k++)
            {
                sum += s_weights[n * K + k] * x[k];
            }

            y[n] = Math.Max(sum, 0f);
        }

        return y;
    }

    /// <summary>The generated assembly, loaded into a collectible context that is unloaded on dispose.</summary>
    internal sealed class LoadedModel : IDisposable
    {
        private readonly AssemblyLoadContext _context;
        private readonly Type _harness;

        private LoadedModel(AssemblyLoadContext context, Type harness)
        {
            _context = context;
            _harness = harness;
        }

        public static LoadedModel Compile(string descriptor, byte[]? plan, string harness = HarnessSource, string resourceName = "BuildOptim.TinyModel.bopt", bool withServices = false)
        {
            string name = "GeneratedModel_" + Guid.NewGuid().ToString("N");
            var run = Run(descriptor, "/obj/TinyModel.boptgen", compilation: withServices ? CreateCompilation(ServiceReferences, Csharp14ParseOptions, name, harness) : CreateCompilation(References, name, harness));
            Assert.Empty(run.Diagnostics);

            ResourceDescription[] resources = plan is null
                ? []
                : [new ResourceDescription(resourceName, () => new MemoryStream(plan), isPublic: true)];
            using var image = new MemoryStream();
            var emit = run.Output.Emit(image, manifestResources: resources);
            Assert.True(emit.Success, string.Join(Environment.NewLine, emit.Diagnostics));

            image.Position = 0;
            var context = new AssemblyLoadContext(name, isCollectible: true);
            var assembly = context.LoadFromStream(image);
            return new LoadedModel(context, assembly.GetType("Harness", throwOnError: true)!);
        }

        public T Call<T>(string method, params object[] arguments) =>
            (T)_harness.GetMethod(method)!.Invoke(null, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null)!;

        public void Dispose() => _context.Unload();
    }
}
