using BuildOptim.Compression;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Sharing;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Tests.Runtime.Ops;

/// <summary>The op registry, the typed parameters of every op kind, and the checks a runner makes when it loads a plan.</summary>
public class OpRegistryTests
{
    /// <summary>Plans of the sample and test models that hold every op kind the compiler emits for them, fp32 and int8.</summary>
    private static readonly Lazy<List<(string Name, byte[] Plan)>> s_plans = new(CompilePlans);

    [Fact]
    public void Every_op_kind_has_an_executor()
    {
        Assert.All(Enum.GetValues<OpKind>(), kind => Assert.True(OpRegistry.Supports(kind), $"{kind} has no registry line"));
    }

    [Fact]
    public void Parameters_of_every_compiled_op_decode_and_encode_back_unchanged()
    {
        var kinds = new HashSet<OpKind>();
        foreach (var (name, bytes) in s_plans.Value)
        {
            foreach (var op in ModelPlan.FromBytes(bytes).Ops)
            {
                var parameters = Decode(op);
                Assert.Equal(op.Kind, parameters.Kind);
                Assert.True(op.P.AsSpan().SequenceEqual(parameters.Encode()), $"{name}: {op.Kind} [{string.Join(",", op.P)}] encodes back as [{string.Join(",", parameters.Encode())}]");
                kinds.Add(op.Kind);
            }
        }

        Assert.True(kinds.Count >= 20, $"only {kinds.Count} op kinds compiled: {string.Join(", ", kinds)}");
    }

    [Fact]
    public void Runs_of_every_compiled_plan_allocate_nothing()
    {
        foreach (var (name, bytes) in s_plans.Value)
        {
            var runner = new PlanRunner(ModelPlan.FromBytes(bytes));
            var input = Enumerable.Range(0, runner.InputLength).Select(i => (i % 13) / 13f).ToArray();
            var output = new float[runner.OutputLength];
            for (int i = 0; i < 30; i++)
            {
                runner.Run(input, output);
            }

            Assert.True(Allocations.SteadyState(20, () => runner.Run(input, output)) == 0, $"{name} allocates per call");
        }
    }

    [Theory]
    [InlineData("count", "has 4 parameters; it takes 5")]
    [InlineData("negative", "has a negative K")]
    [InlineData("zeroPoint", "has a zero point of 256, outside [0, 255]")]
    [InlineData("clamp", "has an empty clamp range [9, 3]")]
    [InlineData("shift", "has a shift of 0, outside [1, 62]")]
    [InlineData("buffer", "needs a float buffer of 8 elements; buffer 0 is float, 4 elements")]
    [InlineData("kind", "Op kind 99 is not supported by this runtime")]
    [InlineData("data", "lies outside the plan")]
    public void A_plan_that_does_not_fit_its_ops_fails_when_the_runner_is_created(string flaw, string message)
    {
        var writer = new PlanWriter();
        int input = writer.AddBuffer(BufferKind.Float32, 4);
        int output = writer.AddBuffer(BufferKind.Float32, 3);
        int codes = writer.AddBuffer(BufferKind.UInt8, 4);
        int requantized = writer.AddBuffer(BufferKind.UInt8, 3);
        long weights = writer.AddData<float>(new float[12]);
        long bias = writer.AddData<float>(new float[3]);
        int[] dense = flaw switch
        {
            "count" => [1, 4, 3, 0],
            "negative" => [1, -4, 3, 0, 0],
            "buffer" => [2, 4, 3, 0, 0],
            _ => [1, 4, 3, 0, 0],
        };
        writer.AddOp(flaw == "kind" ? (OpKind)99 : OpKind.DenseF32, [input], [output], dense, weights, flaw == "data" ? 1L << 40 : bias);
        writer.AddOp(OpKind.QuantizeF32ToU8, [input], [codes], [4, flaw == "zeroPoint" ? 256 : 3, BitConverter.SingleToInt32Bits(0.1f)]);
        long multiplier = writer.AddData<int>([1 << 30, 1 << 30, 1 << 30]);
        long shift = writer.AddData<int>([31, flaw == "shift" ? 0 : 31, 31]);
        long int8Weights = writer.AddData<sbyte>(new sbyte[12]);
        long int8Bias = writer.AddData<int>(new int[3]);
        writer.AddOp(OpKind.DenseU8S8ToU8, [codes], [requantized], [1, 4, 3, 0, flaw == "clamp" ? 9 : 0, flaw == "clamp" ? 3 : 255], int8Weights, int8Bias, multiplier, shift);
        writer.AddInput(input, 4);
        writer.AddOutput(output, 3);
        var plan = ModelPlan.FromBytes(writer.ToArray());

        var error = Assert.Throws<InvalidDataException>(() => new PlanRunner(plan));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void A_plan_whose_ops_fit_loads_and_runs()
    {
        // The flawless twin of the plans above.
        var writer = new PlanWriter();
        int input = writer.AddBuffer(BufferKind.Float32, 4);
        int output = writer.AddBuffer(BufferKind.Float32, 3);
        writer.AddOp(new DenseF32Parameters(1, 4, 3, float.NegativeInfinity, float.PositiveInfinity), [input], [output], writer.AddData<float>(Enumerable.Range(0, 12).Select(i => (float)i).ToArray()), writer.AddData<float>([1f, 2f, 3f]));
        writer.AddInput(input, 4);
        writer.AddOutput(output, 3);
        var runner = new PlanRunner(ModelPlan.FromBytes(writer.ToArray()));
        var y = new float[3];
        runner.Run([1f, 1f, 1f, 1f], y);
        Assert.Equal([7f, 24f, 41f], y);
    }

    /// <summary>The typed parameters of <paramref name="op"/>, by its kind.</summary>
    internal static IOpParameters Decode(PlanOp op) => op.Kind switch
    {
        OpKind.QuantizeF32ToU8 => QuantizeF32ToU8Parameters.Decode(op.P),
        OpKind.DequantizeU8ToF32 => DequantizeU8ToF32Parameters.Decode(op.P),
        OpKind.DenseU8S8ToU8 => DenseU8S8ToU8Parameters.Decode(op.P),
        OpKind.DenseU8S8ToF32 => DenseU8S8ToF32Parameters.Decode(op.P),
        OpKind.DenseF32 => DenseF32Parameters.Decode(op.P),
        OpKind.LookupU8 => LookupU8Parameters.Decode(op.P),
        OpKind.ActivationF32 => ActivationF32Parameters.Decode(op.P),
        OpKind.SoftmaxF32 => SoftmaxF32Parameters.Decode(op.P),
        OpKind.Copy => CopyParameters.Decode(op.P),
        OpKind.ConvF32 => ConvF32Parameters.Decode(op.P),
        OpKind.ConvU8S8ToU8 => ConvU8S8ToU8Parameters.Decode(op.P),
        OpKind.ConvU8S8ToF32 => ConvU8S8ToF32Parameters.Decode(op.P),
        OpKind.PoolF32 => PoolF32Parameters.Decode(op.P),
        OpKind.PoolU8 => PoolU8Parameters.Decode(op.P),
        OpKind.GlobalPoolF32 => GlobalPoolF32Parameters.Decode(op.P),
        OpKind.GlobalPoolU8 => GlobalPoolU8Parameters.Decode(op.P),
        OpKind.BinaryF32 => BinaryF32Parameters.Decode(op.P),
        OpKind.AddU8 => AddU8Parameters.Decode(op.P),
        OpKind.MulU8 => MulU8Parameters.Decode(op.P),
        OpKind.ConcatF32 => ConcatF32Parameters.Decode(op.P, op.Inputs.Length),
        OpKind.ConcatU8 => ConcatU8Parameters.Decode(op.P, op.Inputs.Length),
        OpKind.Transpose => TransposeParameters.Decode(op.P),
        OpKind.Pad => PadParameters.Decode(op.P),
        OpKind.LrnF32 => LrnF32Parameters.Decode(op.P),
        OpKind.ChannelAffineF32 => ChannelAffineF32Parameters.Decode(op.P),
        OpKind.MatMulF32 => MatMulF32Parameters.Decode(op.P),
        OpKind.Constant => ConstantParameters.Decode(op.P),
        OpKind.DenseSharedU8U4ToU8 => DenseSharedU8U4ToU8Parameters.Decode(op.P),
        OpKind.DenseSharedU8U4ToF32 => DenseSharedU8U4ToF32Parameters.Decode(op.P),
        OpKind.ConvSharedU8U4ToU8 => ConvSharedU8U4ToU8Parameters.Decode(op.P),
        OpKind.ConvSharedU8U4ToF32 => ConvSharedU8U4ToF32Parameters.Decode(op.P),
        OpKind.CastF32 => CastF32Parameters.Decode(op.P),
        OpKind.BinaryMathF32 => BinaryMathF32Parameters.Decode(op.P),
        OpKind.ReduceF32 => ReduceF32Parameters.Decode(op.P),
        OpKind.LayerNormF32 => LayerNormF32Parameters.Decode(op.P),
        OpKind.ConvTransposeF32 => ConvTransposeF32Parameters.Decode(op.P),
        OpKind.ResizeNearestF32 => ResizeNearestF32Parameters.Decode(op.P),
        OpKind.ResizeBilinearF32 => ResizeBilinearF32Parameters.Decode(op.P),
        OpKind.CompareF32 => CompareF32Parameters.Decode(op.P),
        OpKind.WhereF32 => WhereF32Parameters.Decode(op.P),
        OpKind.GatherF32 => GatherF32Parameters.Decode(op.P),
        OpKind.StridedCopyF32 => StridedCopyF32Parameters.Decode(op.P),
        OpKind.MatMulBroadcastF32 => MatMulBroadcastF32Parameters.Decode(op.P),
        OpKind.DenseDynamicU8S8F32 or OpKind.DenseDynamicU7S7F32 => DenseDynamicU8S8F32Parameters.Decode(op.Kind, op.P),
        OpKind.GatherRowsS8F32 => GatherRowsS8F32Parameters.Decode(op.P),
        _ => throw new InvalidOperationException($"No parameters record for {op.Kind}."),
    };

    private static List<(string Name, byte[] Plan)> CompilePlans()
    {
        string cnn = Path.Combine(TestPaths.TestData, "cnn");
        var models = new (string Model, string Calibration)[]
        {
            (Models.FashionMlp, Models.FashionCalibration),
            (Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Models", "fashion_cnn.onnx"), Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Data", "calib.npy")),
            (Models.MlpTanh, Models.SmallCalibration),
            (Models.LayerNormMlp, Models.LayerNormMlpCalibration),
            (Path.Combine(cnn, "cnn_misc.onnx"), Path.Combine(cnn, "cnn_calib.npy")),
            (Path.Combine(cnn, "cnn_nhwc.onnx"), Path.Combine(cnn, "cnn_calib_nhwc.npy")),
        };
        var plans = new List<(string, byte[])>();
        foreach (var (modelPath, calibrationPath) in models)
        {
            var network = Models.Lower(modelPath);
            var calibration = DataSets.LoadInputs(calibrationPath, network);
            foreach (int clusters in new[] { 0, 16 })
            {
                var sharing = clusters == 0 ? null : WeightSharing.Apply(network, clusters);
                var model = sharing?.Network ?? network;
                var ranges = Calibrators.Calibrate(model, calibration, CalibrationMethod.MinMax);
                string name = Path.GetFileNameWithoutExtension(modelPath);
                plans.Add(($"{name} fp32", PlanCompiler.Compile(model, QuantizeMode.None, null).Bytes));
                plans.Add(($"{name} int8 share{clusters}", PlanCompiler.Compile(model, QuantizeMode.Int8, ranges, sharedWeights: sharing?.Layers).Bytes));
            }

            // 7-bit weights everywhere: the convolutions on the matrix-product tiles carry the 7-bit flag (ConvGemmU8S7.cs).
            var sevenBit = network.With(network.Layers.Select(l => l switch { ConvLayer c => c with { WeightBits = 7 }, DenseLayer d => d with { WeightBits = 7 }, _ => l }).ToList());
            plans.Add(($"{Path.GetFileNameWithoutExtension(modelPath)} int8 7-bit", PlanCompiler.Compile(sevenBit, QuantizeMode.Int8, Calibrators.Calibrate(network, calibration, CalibrationMethod.MinMax)).Bytes));
        }

        // A sequence model: its int8 plan is dynamic (int8 dense layers on rows quantized per call, an int8 embedding table).
        var tokens = Models.Lower(TokenModels.Write(Path.Combine(Path.GetTempPath(), "buildoptim-opregistry-" + Environment.ProcessId), 9).Path);
        plans.Add(("tokens fp32", PlanCompiler.Compile(tokens, QuantizeMode.None, null).Bytes));
        plans.Add(("tokens int8", PlanCompiler.Compile(tokens, QuantizeMode.Int8, new Dictionary<int, TensorRange>()).Bytes));
        return plans;
    }
}
