using Microsoft.CodeAnalysis;
using static BuildOptim.Tests.Generator.GeneratorHarness;

namespace BuildOptim.Tests.Generator;

/// <summary>
/// A descriptor with <c>plan=absent</c> (the model failed its gate) still generates the class, with the same members, so
/// code that uses it compiles in the IDE; the class has no plan, and its constructor says why.
/// </summary>
public class SignatureOnlyTests
{
    private const string SignatureOnly = """
        format=1
        className=TinyModel
        namespace=Demo
        resourceName=BuildOptim.TinyModel.bopt
        sourceModel=tiny.onnx
        inputShape=2,2
        inputLength=4
        outputShape=3
        outputLength=3
        dynamicBatch=true
        classifier=true
        precision=Int8
        plan=absent
        summary=BuildOptim: tiny.onnx -> TinyModel (int8): 1 KB -> 256 B, gate FAILED: accuracy drop 9.00 pt > MaxAccuracyDrop 1
        """;

    private const string Harness = """
        using Demo;

        public static class Harness
        {
            public static float[] Run()
            {
                var output = new float[TinyModel.OutputLength];
                new TinyModel().Run(new float[TinyModel.InputLength], output);
                return output;
            }

            public static int Predict() => new TinyModel(2).Predict(new float[4]);
        }
        """;

    [Fact]
    public void A_signature_only_descriptor_yields_a_class_that_compiles_without_warnings()
    {
        var run = Run(SignatureOnly, compilation: CreateCompilation("SignatureOnly", Harness));

        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Id != "CS1591")); // CS1591: the harness's own members
        var type = run.Type("Demo.TinyModel");
        Assert.Contains(type.GetMembers(), m => m.Name == "Run");
        Assert.Contains(type.GetMembers(), m => m.Name == "Predict");
    }

    [Fact]
    public void Its_constructor_throws_naming_the_model_and_the_failed_gate()
    {
        using var model = ExecutionTests.LoadedModel.Compile(SignatureOnly, plan: null, Harness);

        foreach (string method in new[] { "Run", "Predict" })
        {
            var error = Assert.Throws<InvalidOperationException>(() => model.Call<object>(method));
            Assert.StartsWith("TinyModel has no compressed plan: the last compression of tiny.onnx failed its accuracy gate", error.Message, StringComparison.Ordinal);
            Assert.Contains("gate FAILED: accuracy drop 9.00 pt > MaxAccuracyDrop 1", error.Message);
            Assert.Contains("report.html", error.Message);
        }
    }

    [Fact]
    public void A_format_2_signature_only_descriptor_with_a_sequence_length_compiles()
    {
        const string descriptor = """
            format=2
            className=TextModel
            namespace=Demo
            sourceModel=text.onnx
            inputs=1
            input.0.name=input_ids
            input.0.type=int64
            input.0.shape=8
            input.0.length=8
            input.0.sequence=0,1,0
            outputs=1
            output.0.name=pooled
            output.0.shape=4
            output.0.length=4
            sequenceLength=1,128
            plan=absent
            """;

        var run = Run(descriptor, compilation: CreateCompilation("SignatureOnlyText", """
            public static class Use
            {
                public static void Call(Demo.TextModel model, long[] ids, float[] pooled) => model.Run(ids, pooled);
                public static int Length(int n) => Demo.TextModel.InputIdsLength(n);
            }
            """));

        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompileErrors);
        Assert.Contains("has no compressed plan", run.Text);
    }

    [Fact]
    public void A_plan_value_other_than_present_or_absent_is_a_malformed_descriptor()
    {
        var run = Run(Descriptor(("plan", "maybe")));

        Assert.Equal("BOPT4001", Assert.Single(run.Diagnostics).Id);
        Assert.Contains("'plan' must be 'present' or 'absent', found 'maybe'", run.Diagnostics[0].GetMessage());
    }

    [Fact]
    public void Plan_present_generates_the_same_class_as_no_plan_key()
    {
        Assert.Equal(Run(Descriptor()).Text, Run(Descriptor(("plan", "present"))).Text);
        Assert.NotEqual(Run(Descriptor()).Text, Run(Descriptor(("plan", "absent"))).Text);
    }
}
