using System.Text;
using BuildOptim.Tests.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BuildOptim.Tests.Fuzz;

/// <summary>
/// A seeded mutation fuzzer for the generator's input: mutated <c>.boptgen</c> descriptors either generate one model
/// class that compiles, with no other type, attribute or module initializer, or are refused with BOPT4001–BOPT4004;
/// the generator never throws.
/// </summary>
public sealed class DescriptorFuzzTests
{
    private const int Cases = 250;
    private const int Seed = 20261204;

    /// <summary>Fragments an attacker or a corrupted file would bring: separators, code, keys, huge numbers.</summary>
    private static readonly string[] s_fragments =
    [
        "\u2028", "\u2029", "\u0085", "\u202E", "\u200B", "\0", "\r", "\n", "\t", "#", "=", "\"", "\\", "{", "}", "*/", "/*", "///", "<", ">", "&",
        "[System.Runtime.CompilerServices.ModuleInitializer]", "class Evil { static void M() {} }", "global::", "@class", "className=Evil",
        "inputLength=", "outputShape=", "precision=Float32", "format=2", "2147483647", "2147483648", "-1", "0", "99999999999999999999",
        "1,1,1,1,1,1,1,1", "true", "false", "é", "𝒳", "\uD800",
    ];

    /// <summary>A format-2 descriptor (several typed inputs and outputs) to mutate besides the format-1 one.</summary>
    private const string MultiTensorDescriptor = """
        format=2
        className=PairModel
        namespace=Demo
        inputs=2
        input.0.name=input_ids
        input.0.type=int64
        input.0.shape=4
        input.0.length=4
        input.1.name=mask
        input.1.type=bool
        input.1.shape=2,2
        input.1.length=4
        outputs=2
        output.0.name=hidden
        output.0.shape=4,3
        output.0.length=12
        output.1.name=pooled
        output.1.length=3
        precision=Float32
        """;

    /// <summary>A classifier with its class names (percent-encoded where the descriptor needs it), for the third seed.</summary>
    private static readonly string s_namedClassifier = GeneratorHarness.FashionDescriptor + "\nscores=probabilities\nclassNames=10\n"
        + string.Join("\n", Enumerable.Range(0, 10).Select(i => $"classNames.{i}=class %23{i} \"q\" \\ 100%25"));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Mutated_descriptors_generate_one_compilable_class_or_a_coded_diagnostic(int format)
    {
        // 3: format 1 with class names and a score kind.
        string seedDescriptor = format switch { 1 => GeneratorHarness.FashionDescriptor, 2 => MultiTensorDescriptor, _ => s_namedClassifier };
        var random = new Random(Seed + format);
        var references = GeneratorHarness.References;
        int generated = 0, refused = 0;
        for (int i = 0; i < Cases; i++)
        {
            string descriptor = Mutate(seedDescriptor, random);
            var compilation = GeneratorHarness.CreateCompilation();
            var driver = GeneratorHarness.CreateDriver([new InMemoryAdditionalText(GeneratorHarness.DescriptorPath, descriptor)])
                .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
            var result = driver.GetRunResult().Results.Single();
            string context = $"case {i} (seed {Seed}): {Escape(descriptor)}";

            Assert.True(result.Exception is null, $"{context}: the generator threw {result.Exception}");
            Assert.All(diagnostics, d => Assert.True(d.Id.StartsWith("BOPT400", StringComparison.Ordinal), $"{context}: {d}"));
            if (result.GeneratedSources.IsEmpty)
            {
                Assert.NotEmpty(diagnostics);
                refused++;
                continue;
            }

            generated++;
            var source = Assert.Single(result.GeneratedSources);
            var root = source.SyntaxTree.GetRoot();
            // The model class, in its two partial declarations (the second holds the service members).
            Assert.True(root.DescendantNodes().OfType<BaseTypeDeclarationSyntax>().Select(t => t.Identifier.Text).Distinct().Count() == 1, $"{context}: more than one type\n{source.SourceText}");
            Assert.DoesNotContain(root.DescendantNodes().OfType<AttributeSyntax>(), a => !a.Name.ToString().Contains("GeneratedCode", StringComparison.Ordinal) && !a.Name.ToString().Contains("DoesNotReturn", StringComparison.Ordinal));
            var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            Assert.True(errors.Count == 0, $"{context}: {string.Join("; ", errors)}");
        }

        // The fuzzer must explore both sides, or it tests nothing.
        Assert.InRange(generated, Cases / 10, Cases);
        Assert.InRange(refused, Cases / 10, Cases);
    }

    private static string Mutate(string text, Random random)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n').ToList();
        int mutations = 1 + random.Next(3);
        for (int m = 0; m < mutations; m++)
        {
            int line = random.Next(lines.Count);
            string current = lines[line];
            int at = current.Length == 0 ? 0 : random.Next(current.Length + 1);
            switch (random.Next(6))
            {
                case 0: // insert a fragment inside a value
                case 1:
                    lines[line] = current.Insert(at, s_fragments[random.Next(s_fragments.Length)]);
                    break;
                case 2: // truncate the line
                    lines[line] = current[..at];
                    break;
                case 3: // duplicate or drop a line
                    if (random.Next(2) == 0)
                    {
                        lines.Insert(line, current);
                    }
                    else
                    {
                        lines.RemoveAt(line);
                    }

                    break;
                case 4: // flip a bit of one character
                    if (current.Length > 0)
                    {
                        int index = random.Next(current.Length);
                        var chars = current.ToCharArray();
                        chars[index] = (char)(chars[index] ^ (1 << random.Next(16)));
                        lines[line] = new string(chars);
                    }

                    break;
                default: // replace a value wholesale
                    int equals = current.IndexOf('=');
                    if (equals > 0)
                    {
                        lines[line] = current[..(equals + 1)] + s_fragments[random.Next(s_fragments.Length)] + s_fragments[random.Next(s_fragments.Length)];
                    }

                    break;
            }
        }

        return string.Join("\n", lines);
    }

    private static string Escape(string text)
    {
        var builder = new StringBuilder();
        foreach (char c in text)
        {
            builder.Append(c is >= ' ' and < (char)127 ? c.ToString() : $"\\u{(int)c:X4}");
        }

        return builder.ToString();
    }
}
