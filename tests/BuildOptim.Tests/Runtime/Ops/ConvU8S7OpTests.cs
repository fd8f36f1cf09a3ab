using BuildOptim.Compression;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;

namespace BuildOptim.Tests.Runtime.Ops;

using Kernels = BuildOptim.Runtime.Kernels;

/// <summary>7-bit convolutions in plans: the trailing flag of ConvU8S8ToU8/ToF32, its checks, and what the compiler emits.</summary>
public class ConvU8S7OpTests
{
    private static readonly ConvGeometry s_geometry = Conv(3, 6, 7, 8, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1);

    /// <summary>A plan: float input (scale 1, zero point 0: the codes are the inputs) → 7-bit-flagged convolution → floats or codes.</summary>
    private static byte[] Plan(sbyte[] weights, ConvGeometry g, int[] flag, bool toCodes)
    {
        var writer = new PlanWriter();
        int input = writer.AddBuffer(BufferKind.Float32, g.InputLength);
        int codes = writer.AddBuffer(BufferKind.UInt8, g.InputLength);
        writer.AddOp(OpKind.QuantizeF32ToU8, [input], [codes], [g.InputLength, 0, BitConverter.SingleToInt32Bits(1f)]);
        long w = writer.AddData<sbyte>(weights);
        long bias = writer.AddData<int>(Enumerable.Range(0, g.M).Select(m => (m * 37) - 100).ToArray());
        int[] geometry = [g.C, g.H, g.W, g.M, g.KH, g.KW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW, g.Group, g.OH, g.OW];
        if (toCodes)
        {
            int y = writer.AddBuffer(BufferKind.UInt8, g.OutputLength);
            int f = writer.AddBuffer(BufferKind.Float32, g.OutputLength);
            long multiplier = writer.AddData<int>(Enumerable.Repeat(1 << 30, g.M).ToArray());
            long shift = writer.AddData<int>(Enumerable.Repeat(36, g.M).ToArray());
            writer.AddOp(OpKind.ConvU8S8ToU8, [codes], [y], [1, .. geometry, 7, 100, 0, 255, .. flag], w, bias, multiplier, shift);
            writer.AddOp(OpKind.DequantizeU8ToF32, [y], [f], [g.OutputLength, 0, BitConverter.SingleToInt32Bits(1f)]);
            writer.AddOutput(f, g.OutputLength);
        }
        else
        {
            int y = writer.AddBuffer(BufferKind.Float32, g.OutputLength);
            long scale = writer.AddData<float>(Enumerable.Repeat(0.25f, g.M).ToArray());
            writer.AddOp(OpKind.ConvU8S8ToF32, [codes], [y], [1, .. geometry, 7, BitConverter.SingleToInt32Bits(-1e9f), BitConverter.SingleToInt32Bits(1e9f), .. flag], w, bias, scale);
            writer.AddOutput(y, g.OutputLength);
        }

        writer.AddInput(input, g.InputLength);
        return writer.ToArray();
    }

    private static sbyte[] SevenBitWeights(ConvGeometry g) => Enumerable.Range(0, g.M * g.PatchLength).Select(i => (sbyte)((i * 29 % 127) - 63)).ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_flagged_convolution_runs_the_seven_bit_kernel(bool toCodes)
    {
        var g = s_geometry;
        var weights = SevenBitWeights(g);
        var x = Enumerable.Range(0, g.InputLength).Select(i => (float)(i * 53 % 256)).ToArray();
        var codes = x.Select(v => (byte)v).ToArray();
        var bias = Enumerable.Range(0, g.M).Select(m => (m * 37) - 100).ToArray();
        var expected = new float[g.OutputLength];
        var scratch = new byte[Kernels.ConvU8S8ScratchLength(g)];
        var acc = new int[Kernels.ConvU8S8AccumulatorLength(g)];
        if (toCodes)
        {
            var y = new byte[g.OutputLength];
            Kernels.ConvU8S8(codes, g, 7, weights, default, bias, Enumerable.Repeat(1 << 30, g.M).ToArray(), Enumerable.Repeat(36, g.M).ToArray(), 100, 0, 255, scratch, acc, y, SimdLevel.Scalar, null, sevenBit: true);
            expected = y.Select(v => (float)v).ToArray();
        }
        else
        {
            Kernels.ConvU8S8ToF32(codes, g, 7, weights, default, bias, Enumerable.Repeat(0.25f, g.M).ToArray(), -1e9f, 1e9f, scratch, acc, expected, SimdLevel.Scalar, null, sevenBit: true);
        }

        var sevenBit = new PlanRunner(ModelPlan.FromBytes(Plan(weights, g, [1], toCodes)));
        var eightBit = new PlanRunner(ModelPlan.FromBytes(Plan(weights, g, [], toCodes)));
        var actual = new float[g.OutputLength];
        sevenBit.Run(x, actual);
        Assert.Equal(expected, actual);
        eightBit.Run(x, actual);
        Assert.NotEqual(expected, actual);
    }

    [Theory]
    [InlineData("weights", "weights outside [-63, 63]")]
    [InlineData("flag", "has a 7-bit flag of 2, not 0 or 1")]
    [InlineData("depthwise", "is a 7-bit depthwise convolution")]
    [InlineData("count", "it takes 20")]
    public void A_hostile_seven_bit_convolution_fails_when_the_runner_is_created(string flaw, string message)
    {
        var g = flaw == "depthwise" ? Conv(4, 6, 7, 4, 3, 3, group: 4) : s_geometry;
        var weights = SevenBitWeights(g);
        if (flaw == "weights")
        {
            weights[3] = 64;
        }

        int[] flag = flaw switch { "flag" => [2], "count" => [1, 1], _ => [1] };
        var error = Assert.Throws<InvalidDataException>(() => new PlanRunner(ModelPlan.FromBytes(Plan(weights, g, flag, toCodes: true))));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void The_compiler_flags_the_seven_bit_convolutions_on_tiles_and_the_plan_stays_close()
    {
        var options = Models.FashionCnnOptions(Path.GetTempPath());
        var network = Models.Lower(options.ModelPath);
        var calibration = DataSets.LoadInputs(options.CalibrationPath!, network);
        var ranges = Calibrators.Calibrate(network, calibration, CalibrationMethod.MinMax);
        var seven = network.With(network.Layers.Select(l => l is ConvLayer c ? c with { WeightBits = 7 } : l).ToList());
        var plan7 = ModelPlan.FromBytes(PlanCompiler.Compile(seven, QuantizeMode.Int8, ranges).Bytes);
        var plan8 = ModelPlan.FromBytes(PlanCompiler.Compile(network, QuantizeMode.Int8, ranges).Bytes);

        int flagged = 0, depthwise = 0;
        foreach (var op in plan7.Ops.ToArray().Where(o => o.Kind == OpKind.ConvU8S8ToU8))
        {
            var p = ConvU8S8ToU8Parameters.Decode(op.P);
            Assert.Equal(Kernels.ConvRunsOnSevenBitTiles(p.Geometry), p.SevenBit);
            flagged += p.SevenBit ? 1 : 0;
            depthwise += p.Geometry.IsDepthwise ? 1 : 0;
        }

        Assert.True(flagged >= 1 && depthwise >= 1, $"{flagged} flagged, {depthwise} depthwise");
        Assert.DoesNotContain(plan8.Ops.ToArray(), o => o.Kind == OpKind.ConvU8S8ToU8 && ConvU8S8ToU8Parameters.Decode(o.P).SevenBit);

        // The 7-bit plan's logits stay close to the 8-bit plan's.
        var inputs = DataSets.LoadInputs(options.EvaluationPath!, network);
        var runner7 = new PlanRunner(plan7);
        var runner8 = new PlanRunner(plan8);
        var y7 = new float[runner7.OutputLength];
        var y8 = new float[runner8.OutputLength];
        int agree = 0;
        for (int s = 0; s < 200; s++)
        {
            runner7.Run(inputs.Sample(s), y7);
            runner8.Run(inputs.Sample(s), y8);
            agree += Array.IndexOf(y7, y7.Max()) == Array.IndexOf(y8, y8.Max()) ? 1 : 0;
        }

        Assert.True(agree >= 190, $"the 7-bit plan agrees with the 8-bit one on {agree} of 200 samples");
    }
}
