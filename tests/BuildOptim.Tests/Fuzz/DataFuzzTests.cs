using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using BuildOptim.Compression;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;
using BuildOptim.Tests.Runtime.Data;
using Xunit.Abstractions;

namespace BuildOptim.Tests.Fuzz;

/// <summary>
/// Seeded mutation fuzzing of the data loaders. Real fixtures (samples/*/Data, tests/TestData) and small
/// generated files are mutated byte-wise and structure-wise (npy header fields, zip size fields, CSV
/// tokens); every case must load, or fail with a <see cref="DataFormatException"/> or
/// <see cref="CompressionException"/> whose code docs/diagnostics.md documents and whose one-line message
/// names the file; it must allocate less than <see cref="MaxAllocatedBytesPerCase"/> and leave no file
/// open or behind.
/// </summary>
/// <remarks>
/// Case <c>k</c> of a format is <c>new Random(Seed + k)</c> through <see cref="DataMutator"/>: a failure
/// message gives the seed, the case index and the mutations, which is all it takes to replay it.
/// </remarks>
public sealed class DataFuzzTests(ITestOutputHelper output) : IDisposable
{
    public const int Seed = 1_300_000;

    public const int CasesPerFormat = 2500;

    public const long MaxAllocatedBytesPerCase = 512L << 20;

    private static readonly Lazy<Network> s_model = new(() => Models.Lower(Models.MlpTanh));

    private static readonly Lazy<HashSet<string>> s_documentedCodes = new(() => Regex
        .Matches(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "diagnostics.md")), @"^\| (BOPT\d{4}) \|", RegexOptions.Multiline)
        .Select(m => m.Groups[1].Value)
        .ToHashSet());

    private readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Theory]
    [InlineData(".npy")]
    [InlineData(".npz")]
    [InlineData(".csv")]
    public void Mutated_data_files_load_or_fail_with_a_documented_code(string extension)
    {
        var seeds = SeedFiles(extension);
        var failures = new List<string>();
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        string path = Path.Combine(_scratch.Path, "case" + extension);
        var clock = Stopwatch.StartNew();
        (TimeSpan Time, int Case) slowest = (TimeSpan.Zero, -1);
        long mostAllocated = 0;
        for (int k = 0; k < CasesPerFormat; k++)
        {
            var random = new Random(Seed + k);
            (string seedName, byte[] seed) = seeds[random.Next(seeds.Count)];
            var mutations = new List<string>();
            byte[] bytes = DataMutator.Mutate(extension, seed, random, mutations);
            string what = $"seed {Seed}, case {k} of {extension} (Random({Seed + k}); {seedName}: {string.Join("; ", mutations)})";
            File.WriteAllBytes(path, bytes);

            TimeSpan start = clock.Elapsed;
            long before = GC.GetAllocatedBytesForCurrentThread();
            string outcome = Run(path, what, failures);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            TimeSpan took = clock.Elapsed - start;

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            mostAllocated = Math.Max(mostAllocated, allocated);
            slowest = took > slowest.Time ? (took, k) : slowest;
            if (allocated > MaxAllocatedBytesPerCase)
            {
                failures.Add($"{what}: allocated {allocated} bytes");
            }
            CheckNothingLeftBehind(path, what, failures);
        }

        output.WriteLine($"{extension}: {CasesPerFormat} cases from {seeds.Count} seed files in {clock.Elapsed.TotalSeconds:0.0} s; slowest case {slowest.Case} {slowest.Time.TotalMilliseconds:0} ms; most allocated {mostAllocated >> 10} KiB");
        output.WriteLine(string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}")));
        Assert.True(failures.Count == 0, $"{failures.Count} of {CasesPerFormat} cases failed:\n{string.Join("\n", failures.Take(15))}");
        // A fuzzer whose cases all fail the same early check is not fuzzing: some must read, and fail later, or load.
        Assert.True(outcomes.Keys.Any(o => o.StartsWith("read", StringComparison.Ordinal)) && outcomes.Count >= 3, "the mutations should reach several outcomes");
    }

    /// <summary>
    /// Reads <paramref name="path"/> as the engine does (then each array as labels, its finiteness, the model's
    /// inputs and labels); returns the read's error code, or "read" and the codes the later steps refused with.
    /// </summary>
    private static string Run(string path, string what, List<string> failures)
    {
        IReadOnlyList<NdArray> arrays;
        try
        {
            arrays = DataFile.Read(path);
        }
        catch (Exception e)
        {
            return Check(e, path, what, failures);
        }

        var codes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (NdArray array in arrays)
        {
            Guard(() => array.ToLabels());
            Guard(array.ThrowIfNonFinite);
        }
        Guard(() =>
        {
            NdArray inputs = DataSets.SelectInputs(path, arrays, s_model.Value);
            DataSets.SelectLabels(path, arrays, null, inputs.SampleCount, s_model.Value.OutputLength);
        });
        return string.Join('+', ["read", .. codes]);

        void Guard(Action action)
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                codes.Add(Check(e, path, what, failures));
            }
        }
    }

    /// <summary>An expected failure is coded, documented, one line and names the file; anything else is a finding.</summary>
    private static string Check(Exception e, string path, string what, List<string> failures)
    {
        (string? code, string? file) = e switch
        {
            DataFormatException d => (d.Code, d.FilePath),
            CompressionException c => (c.Code, c.FilePath),
            _ => (null, null),
        };
        if (code is null)
        {
            failures.Add($"{what}: {e.GetType().Name}: {e.Message} at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
            return e.GetType().Name;
        }
        if (!s_documentedCodes.Value.Contains(code))
        {
            failures.Add($"{what}: {code} is not documented in docs/diagnostics.md: {e.Message}");
        }
        if (file != path || !e.Message.Contains(path, StringComparison.Ordinal) || e.Message.Contains('\n'))
        {
            failures.Add($"{what}: {code} message does not name the file in one line: {e.Message}");
        }
        return code;
    }

    /// <summary>The scratch folder holds just the case file, and nothing holds it open.</summary>
    private void CheckNothingLeftBehind(string path, string what, List<string> failures)
    {
        string[] left = Directory.GetFileSystemEntries(_scratch.Path);
        if (left.Length != 1 || left[0] != path)
        {
            failures.Add($"{what}: left behind [{string.Join(", ", left.Select(Path.GetFileName))}]");
        }
        try
        {
            using var exclusive = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            failures.Add($"{what}: the file is still open ({e.Message})");
        }
        File.Delete(path);
    }

    /// <summary>The files mutations start from, by name; sorted, so case k always starts from the same one.</summary>
    private static List<(string Name, byte[] Bytes)> SeedFiles(string extension)
    {
        var files = new List<(string, byte[])>();
        foreach (string folder in new[] { Path.Combine(TestPaths.TestData, "data"), Path.Combine(TestPaths.TestData, "models"), Path.Combine(TestPaths.RepoRoot, "samples", "FashionMnist", "Data") })
        {
            foreach (string file in Directory.GetFiles(folder, "*" + extension).Order(StringComparer.Ordinal))
            {
                byte[] bytes = File.ReadAllBytes(file);
                if (extension == ".csv" && bytes.Length > 20_000)
                {
                    bytes = Encoding.UTF8.GetBytes(string.Join('\n', File.ReadLines(file).Take(4)) + "\n"); // four 784-value rows reach the model checks
                }
                files.Add((Path.GetRelativePath(TestPaths.RepoRoot, file), bytes));
            }
        }

        var x = Enumerable.Range(0, 3 * 784).Select(i => (i % 17) / 16f).ToArray();
        byte[] inputs = HostileData.Float32Npy(x, 3, 1, 28, 28);
        byte[] labels = HostileData.Int64Npy(0, 9, 3);
        switch (extension)
        {
            case ".npy":
                files.Add(("generated inputs", inputs));
                files.Add(("generated labels", labels));
                files.Add(("generated uint8", Npy.Build("|u1", "(3, 784)", [.. x.Select(v => (byte)(v * 255))])));
                files.Add(("generated float16 v2", Npy.Build("<f2", "(2, 2)", Npy.Encode(ElementKind.Float16, [1, 2, 3, 4], false), major: 2)));
                break;
            case ".npz":
                files.Add(("generated deflated", HostileData.Zip(CompressionLevel.Optimal, ("x.npy", inputs), ("labels.npy", labels))));
                files.Add(("generated stored", HostileData.Zip(CompressionLevel.NoCompression, ("x.npy", inputs), ("labels.npy", labels))));
                break;
            case ".csv":
                string row = string.Join(',', x.Take(784).Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
                files.Add(("generated with header", Encoding.UTF8.GetBytes("# made by the fuzzer\n" + string.Join(',', Enumerable.Range(0, 784).Select(i => "p" + i)) + "\n" + row + "\n" + row + "\n")));
                files.Add(("generated quoted crlf", Encoding.UTF8.GetBytes("\uFEFF\"1\", 2 ,3\r\n4,\"5\",6\r\n")));
                break;
        }
        return files;
    }
}
