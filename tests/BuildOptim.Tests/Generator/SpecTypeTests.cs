using System.Reflection;
using BuildOptim.Generator;

namespace BuildOptim.Tests.Generator;

/// <summary>
/// Pipeline values must compare by value and must not root compilations: only strings, primitives,
/// enums, <see cref="EquatableArray{T}"/> and sealed records made of those may appear in them.
/// </summary>
public class SpecTypeTests
{
    private static readonly Type[] s_pipelineTypes = [typeof(DescriptorFile), typeof(ModelSpec), typeof(DiagnosticInfo), typeof(ParseResult), typeof(ServiceFeatures)];

    [Fact]
    public void Spec_types_hold_only_strings_primitives_and_equatable_arrays()
    {
        foreach (var type in s_pipelineTypes)
        {
            AssertAllowed(type, type.Name, []);
        }
    }

    [Fact]
    public void Spec_types_are_sealed_records()
    {
        foreach (var type in s_pipelineTypes)
        {
            Assert.True(type.IsSealed, $"{type.Name} is not sealed.");
            Assert.True(IsRecord(type), $"{type.Name} is not a record.");
        }
    }

    [Fact]
    public void Equal_descriptors_parse_to_equal_specs_with_equal_hash_codes()
    {
        var file = new DescriptorFile(GeneratorHarness.DescriptorPath, GeneratorHarness.FashionDescriptor);

        var first = Parser.Parse(file, "", CancellationToken.None);
        var second = Parser.Parse(file with { Content = new string(file.Content.ToCharArray()) }, "", CancellationToken.None);

        Assert.NotNull(first.Spec);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
        Assert.NotEqual(first, first with { Spec = first.Spec with { InputShape = new([1, 784]) } });
    }

    [Fact]
    public void EquatableArray_compares_elements_in_order()
    {
        Assert.Equal(new EquatableArray<int>([1, 28, 28]), new EquatableArray<int>([1, 28, 28]));
        Assert.Equal(new EquatableArray<int>([1, 28, 28]).GetHashCode(), new EquatableArray<int>([1, 28, 28]).GetHashCode());
        Assert.NotEqual(new EquatableArray<int>([28, 1, 28]), new EquatableArray<int>([1, 28, 28]));
        Assert.NotEqual(new EquatableArray<int>([1, 28]), new EquatableArray<int>([1, 28, 28]));
        Assert.Equal(default, EquatableArray<int>.Empty);
    }

    /// <summary>Checks a value produced by a pipeline step at run time (used by the caching tests).</summary>
    internal static void AssertPipelineValue(object value)
    {
        var type = value.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTuple<,>))
        {
            foreach (var field in type.GetFields())
            {
                AssertPipelineValue(field.GetValue(value)!);
            }

            return;
        }

        AssertAllowed(type, type.Name, []);
    }

    private static void AssertAllowed(Type type, string path, HashSet<Type> visited)
    {
        if (type == typeof(string) || type.IsPrimitive || type.IsEnum)
        {
            return;
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            AssertAllowed(underlying, path, visited);
            return;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(EquatableArray<>))
        {
            AssertAllowed(type.GetGenericArguments()[0], path + "[]", visited);
            return;
        }

        Assert.True(
            type.Assembly == typeof(ModelSpec).Assembly && type.IsSealed && IsRecord(type),
            $"{path} is a {type.FullName}: pipeline values may hold only strings, primitives, enums, EquatableArray<T> and sealed records of those (never a Compilation, ISymbol, SyntaxNode or Location).");
        if (!visited.Add(type))
        {
            return;
        }

        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertAllowed(field.FieldType, path + "." + field.Name, visited);
        }
    }

    private static bool IsRecord(Type type) =>
        type.GetProperty("EqualityContract", BindingFlags.Instance | BindingFlags.NonPublic) is not null;
}
