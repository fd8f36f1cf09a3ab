using System.Reflection;
using BuildOptim.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using static BuildOptim.Tests.Generator.GeneratorHarness;

namespace BuildOptim.Tests.Generator;

public class IncrementalTests
{
    private static readonly string[] s_trackingNames =
        typeof(TrackingNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(field => field.IsLiteral)
            .Select(field => (string)field.GetRawConstantValue()!)
            .ToArray();

    [Fact]
    public void Adding_an_unrelated_syntax_tree_leaves_every_step_cached()
    {
        var compilation = CreateCompilation("App", "namespace App { public class Program { } }");
        var driver = CreateTrackingDriver().RunGenerators(compilation);

        driver = driver.RunGenerators(compilation.AddSyntaxTrees(
            CSharpSyntaxTree.ParseText("namespace App { public class Unrelated { } }", GeneratorHarness.ParseOptions)));

        AssertEveryStepCachedOrUnchanged(driver.GetRunResult().Results.Single());
    }

    [Fact]
    public void Editing_user_code_leaves_every_step_cached()
    {
        var compilation = CreateCompilation("App", "namespace App { public class Program { } }");
        var driver = CreateTrackingDriver().RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single();

        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(
            tree, tree.WithChangedText(tree.GetText().Replace(0, 0, "// edited\n"))));

        AssertEveryStepCachedOrUnchanged(driver.GetRunResult().Results.Single());
    }

    [Fact]
    public void Editing_the_descriptor_reruns_the_spec_and_regenerates_the_class()
    {
        var original = new InMemoryAdditionalText(DescriptorPath, FashionDescriptor);
        var compilation = CreateCompilation();
        var driver = CreateDriver([original], trackSteps: true).RunGenerators(compilation);

        driver = driver
            .ReplaceAdditionalText(original, new InMemoryAdditionalText(DescriptorPath, Descriptor(("classifier", "false"))))
            .RunGenerators(compilation);

        var result = driver.GetRunResult().Results.Single();
        Assert.Equal(IncrementalStepRunReason.Modified, result.TrackedSteps[TrackingNames.Specs].Single().Outputs.Single().Reason);
        Assert.DoesNotContain("Predict", result.GeneratedSources.Single().SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Rewriting_the_descriptor_with_identical_text_keeps_the_spec_unchanged()
    {
        var original = new InMemoryAdditionalText(DescriptorPath, FashionDescriptor);
        var compilation = CreateCompilation();
        var driver = CreateDriver([original], trackSteps: true).RunGenerators(compilation);

        driver = driver
            .ReplaceAdditionalText(original, new InMemoryAdditionalText(DescriptorPath, FashionDescriptor))
            .RunGenerators(compilation);

        AssertEveryStepCachedOrUnchanged(driver.GetRunResult().Results.Single());
    }

    private static GeneratorDriver CreateTrackingDriver() =>
        CreateDriver([new InMemoryAdditionalText(DescriptorPath, FashionDescriptor)], rootNamespace: "App", trackSteps: true);

    private static void AssertEveryStepCachedOrUnchanged(GeneratorRunResult result)
    {
        Assert.NotEmpty(s_trackingNames);
        foreach (var name in s_trackingNames)
        {
            Assert.True(result.TrackedSteps.ContainsKey(name), $"Step '{name}' was not tracked.");
        }

        // The built-in inputs (e.g. "Compilation") are tracked too and legitimately change: check only our steps.
        foreach (var name in s_trackingNames)
        {
            foreach (var (value, reason) in result.TrackedSteps[name].SelectMany(run => run.Outputs))
            {
                AssertCachedOrUnchanged(name, value, reason);
                SpecTypeTests.AssertPipelineValue(value);
            }
        }

        foreach (var (name, runs) in result.TrackedOutputSteps)
        {
            foreach (var (value, reason) in runs.SelectMany(run => run.Outputs))
            {
                AssertCachedOrUnchanged(name, value, reason);
            }
        }
    }

    private static void AssertCachedOrUnchanged(string step, object value, IncrementalStepRunReason reason) =>
        Assert.True(
            reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"Step '{step}' produced {reason} output {value}.");
}
