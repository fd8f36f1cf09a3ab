using System.Text;
using BuildOptim.Compression;
using BuildOptim.Generator;
using BuildOptim.Onnx;

namespace BuildOptim.Tests.Compression;

/// <summary>
/// <c>ClassNames</c> from the user's file to the generated class: checked by the engine as untrusted input (BOPT1111, before
/// any compression), carried by the descriptor, and read back by the generator as the same names.
/// </summary>
public sealed class ClassNamesTests : ScratchFolderTest
{
    private static readonly int s_classes = OnnxFrontEnd.Load(Models.MlpTanh).OutputLength;

    private string NamesFile(string content, string name = "classes.txt")
    {
        Directory.CreateDirectory(Root);
        string path = Path.Combine(Root, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    private static string[] Names(int count) => [.. Enumerable.Range(0, count).Select(i => i switch
    {
        0 => "T-shirt/top",
        1 => "Class #1 (100%)",
        2 => "  say \"hi\"  ",
        _ => "class " + i,
    })];

    private (int Exit, string Errors, string OutputDirectory) Compress(string namesPath)
    {
        string output = Path.Combine(Root, "out");
        var errors = new StringWriter();
        int exit = BuildOptim.Cli.CommandLine.Run(
            ["compress", Models.MlpTanh, "--quantize", "None", "--gate", "Off", "--class-names", namesPath, "--class-name", "TanhModel", "--out", output],
            TextWriter.Null, errors);
        return (exit, errors.ToString(), output);
    }

    [Fact]
    public void Names_travel_from_the_file_through_the_descriptor_to_the_generated_class()
    {
        string[] names = Names(s_classes);
        var (exit, errors, output) = Compress(NamesFile(string.Join("\r\n", names) + "\r\n\r\n"));

        Assert.True(exit == 0, errors);
        string descriptor = File.ReadAllText(Path.Combine(output, Compressor.DescriptorFileName));
        Assert.Contains("classNames=" + s_classes + "\n", descriptor, StringComparison.Ordinal);
        Assert.Contains("classNames.1=Class %231 (100%25)\n", descriptor, StringComparison.Ordinal);
        Assert.Contains("scores=probabilities\n", descriptor, StringComparison.Ordinal); // mlp_tanh ends in a Softmax

        var spec = Parser.Parse(new DescriptorFile("/obj/model.boptgen", descriptor), "App", CancellationToken.None).Spec;
        Assert.NotNull(spec);
        Assert.Equal(names.Select(n => n.Trim()), spec.ClassNames);
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { "too few", "one\ntwo\n" },
        { "an empty line", "a\n\nb\n" },
        { "a control character", "a\u0007b\n" },
        { "a bidirectional override", "a\u202Eb\n" },
        { "a line separator", "a\u2028b\n" },
        { "a name too long", new string('x', 201) + "\n" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_bad_file_is_BOPT1111_before_anything_is_compressed(string what, string content)
    {
        // Pad to the right count with good names where the bad part is not the count itself.
        string body = what == "too few" ? content : content + string.Join("\n", Names(s_classes).Skip(content.Count(c => c == '\n')));
        var (exit, errors, output) = Compress(NamesFile(body));

        Assert.NotEqual(0, exit);
        Assert.Contains("BOPT1111", errors, StringComparison.Ordinal);
        Assert.Contains("classes.txt", errors, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, Compressor.PlanFileName)), what);
    }

    [Fact]
    public void A_file_that_is_not_UTF8_or_too_large_is_refused_unread()
    {
        Directory.CreateDirectory(Root);
        string latin1 = Path.Combine(Root, "latin1.txt");
        File.WriteAllBytes(latin1, [0x63, 0x61, 0x66, 0xE9, 0x0A]); // "café" in Latin-1
        Assert.Contains("not UTF-8", Compress(latin1).Errors, StringComparison.Ordinal);

        string huge = Path.Combine(Root, "huge.txt");
        using (var stream = File.Create(huge))
        {
            stream.SetLength((1 << 20) + 1);
        }

        Assert.Contains("at most 1048576 are read", Compress(huge).Errors, StringComparison.Ordinal);
    }

    [Fact]
    public void The_score_kind_follows_the_last_layer()
    {
        Assert.Equal("probabilities", BuildOptim.Compression.Artifacts.ClassNamesFile.ScoreKind(OnnxFrontEnd.Load(Models.MlpTanh)));
        Assert.Equal("logits", BuildOptim.Compression.Artifacts.ClassNamesFile.ScoreKind(OnnxFrontEnd.Load(Models.FashionMlp)));
    }

    [Fact]
    public void The_count_must_be_the_output_length()
    {
        var (_, errors, _) = Compress(NamesFile(string.Join("\n", Names(s_classes + 1))));

        Assert.Contains($"{s_classes + 1} names for the model's {s_classes} classes", errors, StringComparison.Ordinal);
    }
}
