using BuildOptim.Runtime;
using static BuildOptim.Tests.Generator.GeneratorHarness;

namespace BuildOptim.Tests.Generator;

/// <summary>
/// The generated service surface run for real: a hand-built plan embedded in a compiled assembly, the pool under concurrent
/// callers, DI, class names and scores, and tensor spans.
/// </summary>
public class ServiceExecutionTests
{
    // The model of ExecutionTests: y = relu(bias + W·x), 4 inputs, 3 outputs.
    private const int K = ExecutionTests.K;

    // The names hold what a descriptor must encode: '#' (%23) and '%' (%25).
    private const string TinyDescriptor = """
        format=1
        className=TinyModel
        namespace=Demo
        resourceName=BuildOptim.TinyModel.bopt
        inputName=x
        inputShape=2,2
        inputLength=4
        outputName=y
        outputShape=3
        outputLength=3
        dynamicBatch=true
        classifier=true
        scores=logits
        classNames=3
        classNames.0=cat %231
        classNames.1=dog 100%25
        classNames.2=bird
        precision=Float32
        """;

    private const string HarnessSource = """
        using System;
        using System.Linq;
        using System.Numerics.Tensors;
        using System.Threading.Tasks;
        using BuildOptim.Runtime;
        using Demo;
        using Microsoft.Extensions.DependencyInjection;

        public static class Harness
        {
            public static float[] Run(float[] input)
            {
                using var model = new TinyModel();
                var output = new float[TinyModel.OutputLength];
                model.Run(input, output);
                return output;
            }

            public static string[] ClassNames() => TinyModel.ClassNames.ToArray();

            public static void RunAfterDispose(int parallelism)
            {
                var model = new TinyModel(parallelism);
                model.Dispose();
                model.Dispose(); // a second call does nothing
                model.Run(new float[TinyModel.InputLength], new float[TinyModel.OutputLength]);
            }

            public static object[] PredictWithScore(float[] input)
            {
                using var model = new TinyModel();
                var p = model.PredictWithScore(input);
                return [p.ClassIndex, p.Label!, p.Score, model.PredictLabel(input)];
            }

            public static Prediction[] PredictTopK(float[] input, int k)
            {
                using var model = new TinyModel();
                var top = new Prediction[k];
                int count = model.PredictTopK(input, top);
                return top[..count];
            }

            public static float[] PredictProbabilities(float[] input)
            {
                using var model = new TinyModel();
                var probabilities = new float[TinyModel.OutputLength];
                model.PredictProbabilities(input, probabilities);
                return probabilities;
            }

            public static long AllocatedByScores(float[] input, int iterations)
            {
                using var model = new TinyModel();
                var top = new Prediction[2];
                var probabilities = new float[TinyModel.OutputLength];
                long fewest = long.MaxValue;
                for (int round = 0; round < 6 && fewest != 0; round++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < iterations; i++)
                    {
                        model.PredictWithScore(input);
                        model.PredictTopK(input, top);
                        model.PredictProbabilities(input, probabilities);
                        model.PredictLabel(input);
                    }

                    if (round > 0)
                    {
                        fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
                    }
                }

                return fewest;
            }

            /// <summary>Many callers on a pool of two: every output must equal a lone instance's.</summary>
            public static float[][] RunOnPool(float[][] inputs, int maxInstances)
            {
                using var pool = TinyModel.CreatePool(maxInstances);
                var outputs = new float[inputs.Length][];
                Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
                {
                    var output = new float[TinyModel.OutputLength];
                    for (int repeat = 0; repeat < 50; repeat++)
                    {
                        using var lease = pool.Rent();
                        lease.Model.Run(inputs[i], output);
                    }

                    outputs[i] = output;
                });
                if (pool.Count > maxInstances)
                {
                    throw new InvalidOperationException("The pool created " + pool.Count + " instances.");
                }

                return outputs;
            }

            public static long AllocatedByRentRunReturn(float[] input, int iterations)
            {
                using var pool = TinyModel.CreatePool(2);
                var output = new float[TinyModel.OutputLength];
                long fewest = long.MaxValue;
                for (int round = 0; round < 6 && fewest != 0; round++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < iterations; i++)
                    {
                        using var lease = pool.Rent();
                        lease.Model.Run(input, output);
                    }

                    if (round > 0)
                    {
                        fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
                    }
                }

                return fewest;
            }

            public static object[] ResolveFromDI(float[] input)
            {
                var services = new ServiceCollection();
                services.AddBuildOptimModel<TinyModel>(maxInstances: 3);
                ModelPool<TinyModel> pool;
                var output = new float[TinyModel.OutputLength];
                TinyModel rented;
                using (var provider = services.BuildServiceProvider())
                {
                    pool = provider.GetRequiredService<ModelPool<TinyModel>>();
                    if (!ReferenceEquals(pool, provider.GetRequiredService<ModelPool<TinyModel>>()))
                    {
                        throw new InvalidOperationException("The pool is not a singleton.");
                    }

                    using (var lease = pool.Rent())
                    {
                        lease.Model.Run(input, output);
                        rented = lease.Model;
                    }
                }

                // Disposing the container disposed the pool and its instances.
                bool renting = true;
                try { pool.Rent(); } catch (ObjectDisposedException) { renting = false; }
                bool running = true;
                try { rented.Run(input, output); } catch (ObjectDisposedException) { running = false; }
                return [output, pool.MaxInstances, renting, running];
            }

            public static float[] RunTensor(float[] input, int[] inputDims, int[] outputDims)
            {
                using var model = new TinyModel();
                var output = new float[outputDims.Aggregate(1, (a, b) => a * b)];
                model.Run(new ReadOnlyTensorSpan<float>(input, inputDims.Select(d => (nint)d).ToArray()), new TensorSpan<float>(output, outputDims.Select(d => (nint)d).ToArray()));
                return output;
            }

            public static void RunStridedTensor()
            {
                using var model = new TinyModel();
                // Every other value of 8: shape [2,2] with strides [4,2] is not dense.
                var values = new float[8];
                var strided = new ReadOnlyTensorSpan<float>(values, [2, 2], [4, 2]);
                model.Run(strided, new TensorSpan<float>(new float[3], [3]));
            }
        }
        """;

    private static byte[] TinyPlan() => ExecutionTests.TinyPlan();

    private static ExecutionTests.LoadedModel Compile() => ExecutionTests.LoadedModel.Compile(TinyDescriptor, TinyPlan(), HarnessSource, withServices: true);

    [Fact]
    public void Class_names_and_scores_come_with_the_prediction()
    {
        using var model = Compile();
        float[] input = [0.5f, -1f, 2f, 0.25f];
        float[] output = model.Call<float[]>("Run", input);

        Assert.Equal(["cat #1", "dog 100%", "bird"], model.Call<string[]>("ClassNames"));
        var probabilities = model.Call<float[]>("PredictProbabilities", input);
        double sum = output.Sum(v => Math.Exp(v));
        Assert.Equal(output.Select(v => (float)(Math.Exp(v) / sum)), probabilities, (a, b) => Math.Abs(a - b) < 1e-6f);

        var top = model.Call<object[]>("PredictWithScore", input);
        int best = Array.IndexOf(output, output.Max());
        Assert.Equal(best, (int)top[0]);
        Assert.Equal(new[] { "cat #1", "dog 100%", "bird" }[best], (string)top[1]);
        Assert.Equal(probabilities[best], (float)top[2]);
        Assert.Equal(top[1], top[3]);

        var ranked = model.Call<Prediction[]>("PredictTopK", new[] { 1f, 2f, 3f, 4f }, 5);
        Assert.Equal(3, ranked.Length); // k is capped at the number of classes
        Assert.True(ranked[0].Score >= ranked[1].Score && ranked[1].Score >= ranked[2].Score);
        Assert.Equal(Expected([1f, 2f, 3f, 4f]).Select((v, i) => (v, i)).OrderByDescending(x => x.v).Select(x => x.i), ranked.Select(p => p.ClassIndex));
        Assert.Equal(1f, ranked.Sum(p => p.Score), 5);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void A_disposed_instance_refuses_to_run(int parallelism)
    {
        // The runner's helper threads stop at once on Dispose (ParallelismTests); the generated class passes it on.
        using var model = Compile();

        Assert.Throws<ObjectDisposedException>(() => model.Call<object>("RunAfterDispose", parallelism));
    }

    [Fact]
    public void Scores_top_k_and_labels_allocate_nothing()
    {
        using var model = Compile();

        Assert.Equal(0L, model.Call<long>("AllocatedByScores", new[] { 1f, 2f, 3f, 4f }, 500));
    }

    [Fact]
    public void A_pool_under_concurrent_callers_gives_each_input_the_output_of_a_lone_instance()
    {
        using var model = Compile();
        var random = new Random(18);
        float[][] inputs = [.. Enumerable.Range(0, 64).Select(_ => Enumerable.Range(0, K).Select(_ => (float)random.NextDouble() * 4 - 2).ToArray())];

        var outputs = model.Call<float[][]>("RunOnPool", inputs, 2);

        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(model.Call<float[]>("Run", inputs[i]), outputs[i]); // bit for bit
        }
    }

    [Fact]
    public void Rent_run_and_return_allocate_nothing_in_the_steady_state()
    {
        using var model = Compile();

        Assert.Equal(0L, model.Call<long>("AllocatedByRentRunReturn", new[] { 1f, 2f, 3f, 4f }, 1000));
    }

    [Fact]
    public void AddBuildOptimModel_registers_a_singleton_pool_that_the_container_disposes()
    {
        using var model = Compile();

        var result = model.Call<object[]>("ResolveFromDI", new[] { 1f, 2f, 3f, 4f });

        Assert.Equal(Expected([1f, 2f, 3f, 4f]), (float[])result[0]);
        Assert.Equal(3, (int)result[1]);
        Assert.False((bool)result[2]); // renting from a disposed pool throws
        Assert.False((bool)result[3]); // and its instances were disposed
    }

    [Theory]
    [InlineData(new[] { 2, 2 }, new[] { 3 })]
    [InlineData(new[] { 1, 2, 2 }, new[] { 1, 3 })]
    public void Tensor_spans_of_the_model_shape_run_like_flat_spans(int[] inputDims, int[] outputDims)
    {
        using var model = Compile();

        Assert.Equal(Expected([1f, 2f, 3f, 4f]), model.Call<float[]>("RunTensor", new[] { 1f, 2f, 3f, 4f }, inputDims, outputDims));
    }

    [Fact]
    public void Tensor_spans_carry_a_batch()
    {
        using var model = Compile();

        var output = model.Call<float[]>("RunTensor", new[] { 1f, 2f, 3f, 4f, 0f, 0f, 1f, -1f }, new[] { 2, 2, 2 }, new[] { 2, 3 });

        Assert.Equal([.. Expected([1f, 2f, 3f, 4f]), .. Expected([0f, 0f, 1f, -1f])], output);
    }

    [Theory]
    [InlineData(new[] { 4 }, new[] { 3 }, "input", "Expected a tensor of shape [2, 2] or [batch, 2, 2], got [4].")]
    [InlineData(new[] { 2, 1, 2 }, new[] { 3 }, "input", "Expected a tensor of shape [2, 2] or [batch, 2, 2], got [2, 1, 2].")]
    [InlineData(new[] { 2, 2 }, new[] { 1, 1, 3 }, "output", "Expected a tensor of shape [3] or [batch, 3], got [1, 1, 3].")]
    [InlineData(new[] { 2, 2 }, new[] { 2, 3 }, "output", "Expected an output tensor of 1 samples (as the input), got 2.")]
    public void A_tensor_of_another_shape_is_refused_with_both_shapes(int[] inputDims, int[] outputDims, string paramName, string message)
    {
        using var model = Compile();
        int inputLength = inputDims.Aggregate(1, (a, b) => a * b);

        var e = Assert.Throws<ArgumentException>(() => model.Call<float[]>("RunTensor", new float[inputLength], inputDims, outputDims));

        Assert.Equal(paramName, e.ParamName);
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_strided_tensor_is_refused()
    {
        using var model = Compile();

        var e = Assert.Throws<ArgumentException>(() => model.Call<object>("RunStridedTensor"));

        Assert.Contains("dense", e.Message, StringComparison.Ordinal);
    }

    private static float[] Expected(float[] x) => ExecutionTests.Expected(x);
}
