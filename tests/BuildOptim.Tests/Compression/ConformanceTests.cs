using BuildOptim.Compression.Conformance;

namespace BuildOptim.Tests.Compression;

/// <summary>The vendored ONNX backend node tests run on BuildOptim's own kernels (see tests/TestData/onnx-node/README.md).</summary>
public class ConformanceTests
{
    private static string Root => Path.Combine(TestPaths.TestData, "onnx-node");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_vendored_backend_case_passes(bool int8)
    {
        var cases = ConformanceRunner.FindCases(Root).ToList();
        Assert.True(cases.Count >= 150, $"only {cases.Count} vendored cases found");
        var results = cases.Select(c => ConformanceRunner.Run(c, int8)).ToList();
        var failures = results.Where(r => r.Outcome != CaseOutcome.Pass).Select(r => $"{r.Outcome} {r.Name}: {r.Detail}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void An_unsupported_operator_is_reported_not_thrown()
    {
        string dir = Path.Combine(Path.GetTempPath(), "bopt-conf-" + Guid.NewGuid().ToString("N"), "test_fake_einsum");
        Directory.CreateDirectory(Path.Combine(dir, "test_data_set_0"));
        try
        {
            var graph = new global::Onnx.GraphProto { Name = "g" };
            graph.Node.Add(new global::Onnx.NodeProto { OpType = "Einsum", Input = { "x" }, Output = { "y" } });
            var model = new global::Onnx.ModelProto { IrVersion = 7, Graph = graph, OpsetImport = { new global::Onnx.OperatorSetIdProto { Version = 13 } } };
            File.WriteAllBytes(Path.Combine(dir, "model.onnx"), Google.Protobuf.MessageExtensions.ToByteArray(model));
            var result = ConformanceRunner.Run(dir, int8: false);
            Assert.Equal(CaseOutcome.Unsupported, result.Outcome);
            Assert.Equal("Einsum", result.Detail);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, recursive: true);
        }
    }
}
