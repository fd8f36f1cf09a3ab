using System.Buffers.Binary;
using BuildOptim.Compression;
using BuildOptim.Runtime;
using Onnx;

namespace BuildOptim.Tests.Runtime;

/// <summary>
/// The sequence-length table of a plan (format 4) is read from a file like the rest of the plan: every malformed table is an
/// <see cref="InvalidDataException"/> at load, never a wrong length or an out-of-range access later.
/// </summary>
public sealed class SequenceLengthTests : ScratchFolderTest
{
    [Fact]
    public void A_sequence_plan_evaluates_its_terms_at_every_length_in_range()
    {
        var plan = ModelPlan.FromBytes(SequencePlan());

        Assert.True(plan.HasSequenceLength);
        Assert.Equal(plan.MaxSequenceLength, plan.SequenceLength);
        foreach (int n in new[] { 1, 2, 17, plan.MaxSequenceLength })
        {
            var specialized = plan.Specialize(n);
            Assert.Equal(n, specialized.SequenceLength);
            Assert.Equal(n, specialized.InputLength);
            Assert.Equal(n, plan.GetOutputLength(0, n));
            Assert.True(plan.TryGetSequenceLength(0, n, out int found));
            Assert.Equal(n, found);
        }

        Assert.False(plan.TryGetSequenceLength(0, plan.MaxSequenceLength + 1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => plan.Specialize(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => plan.Specialize(plan.MaxSequenceLength + 1));
        Assert.Throws<InvalidOperationException>(() => new PlanRunner(ModelPlan.FromBytes(FixedPlan())).SetSequenceLength(3));
    }

    [Fact]
    public void Lengths_seen_before_a_longer_one_grew_the_buffers_still_run_without_allocating()
    {
        using var runner = new PlanRunner(ModelPlan.FromBytes(SequencePlan()));
        int[] lengths = [3, 9, 40, 2];
        float[][] inputs = lengths.Select(n => Enumerable.Range(0, n).Select(i => i - (n / 2f)).ToArray()).ToArray();
        float[][] outputs = lengths.Select(n => new float[n]).ToArray();
        for (int i = 0; i < lengths.Length; i++)
        {
            runner.Run(inputs[i], outputs[i]); // each longer length grows the buffers
        }

        int call = 0;
        long allocated = Allocations.SteadyState(100, () =>
        {
            int i = call++ % lengths.Length;
            runner.Run(inputs[i], outputs[i]);
        });

        Assert.Equal(0, allocated);
        for (int i = 0; i < lengths.Length; i++)
        {
            Assert.Equal(inputs[i].Select(v => Math.Max(v, 0f)), outputs[i]);
        }
    }

    public static TheoryData<string, int, int> Corruptions => new()
    {
        { "table past the end", 44, int.MaxValue },
        { "table length past the end", 48, int.MaxValue },
        { "table too short", 48, 8 },
        { "minimum of zero", -16, 0 },
        { "maximum below the minimum", -12, 0 },
        { "maximum beyond 2^20", -12, (1 << 20) + 1 },
        { "more terms than bytes", -8, 1000 },
        { "unknown target", 0, 7 },
        { "buffer that does not exist", 1, 100_000 },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void A_malformed_table_is_refused_at_load(string what, int at, int value)
    {
        byte[] bytes = SequencePlan();
        int table = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(44));
        int offset = at switch
        {
            44 or 48 => at,
            < 0 => table + SequenceLengths.HeaderSize + at, // header words: 16 bytes before the first term
            _ => table + SequenceLengths.HeaderSize + (4 * at), // first term: target, index
        };
        if (what == "buffer that does not exist")
        {
            // The first term is an io length; make it a buffer term with an index out of range.
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(table + SequenceLengths.HeaderSize), (int)SequenceTarget.BufferLength);
        }

        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), value);

        var e = Assert.Throws<InvalidDataException>(() => ModelPlan.FromBytes(bytes));
        Assert.Contains("sequence", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_term_that_overflows_at_some_length_fails_when_that_length_is_prepared()
    {
        byte[] bytes = SequencePlan();
        int table = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(44));
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(table + SequenceLengths.HeaderSize + 32), 1L << 40); // c2 of the first term
        var plan = ModelPlan.FromBytes(bytes);

        Assert.Throws<InvalidDataException>(() => plan.Specialize(plan.MaxSequenceLength));
    }

    /// <summary>Relu on [batch, tokens], compiled with a dynamic sequence.</summary>
    private byte[] SequencePlan() => Compile(dynamic: true);

    private byte[] FixedPlan() => Compile(dynamic: false);

    private byte[] Compile(bool dynamic)
    {
        var builder = new OnnxModelBuilder().ReluOutput();
        if (dynamic)
        {
            builder.Graph.Input[0].Type.TensorType.Shape.Dim[1] = new TensorShapeProto.Types.Dimension { DimParam = "tokens" };
            builder.Graph.Output[0].Type.TensorType.Shape.Dim[1] = new TensorShapeProto.Types.Dimension { DimParam = "tokens" };
        }

        Directory.CreateDirectory(Root);
        string model = Path.Combine(Root, dynamic ? "dynamic.onnx" : "fixed.onnx");
        File.WriteAllBytes(model, builder.ToBytes());
        var options = new CompressionOptions { ModelPath = model, Quantize = QuantizeMode.None, OutputDirectory = Path.Combine(Root, dynamic ? "d" : "f") };
        Assert.True(Compressor.Run(options).ArtifactsWritten);
        return File.ReadAllBytes(Path.Combine(options.OutputDirectory, Compressor.PlanFileName));
    }
}
