using System.IO.Compression;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Tests.Runtime.Data;

public sealed class DataFileTests : IDisposable
{
    private readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Theory]
    [InlineData("data.npy")]
    [InlineData("DATA.NPY")]
    [InlineData("data.Npz")]
    [InlineData("data.csv")]
    [InlineData("data.CSV")]
    public void DataFile_chooses_the_reader_from_the_extension_ignoring_case(string fileName)
    {
        byte[] npy = Npy.Build("<f4", "(1, 2)", Npy.Float32(1, 2));
        string path = Path.GetExtension(fileName).ToLowerInvariant() switch
        {
            ".npy" => _scratch.Write(fileName, npy),
            ".npz" => _scratch.Write(fileName, ZipOf("inputs.npy", npy)),
            _ => _scratch.WriteText(fileName, "1,2\n"),
        };

        NdArray array = Assert.Single(DataFile.Read(path));

        Assert.Equal([1, 2], array.Shape);
        Assert.Equal([1f, 2f], array.Data);
        Assert.Equal(Path.GetExtension(fileName).Equals(".npz", StringComparison.OrdinalIgnoreCase) ? "inputs" : "data", array.Name, ignoreCase: true);
    }

    [Theory]
    [InlineData("absent.npy")]
    [InlineData("absent.npz")]
    [InlineData("absent.csv")]
    [InlineData("absent.txt")]
    public void DataFile_missing_file_is_refused_with_BOPT1101(string fileName)
    {
        string path = Path.Combine(_scratch.Path, fileName);

        var error = DataAssert.Fails("BOPT1101", path, () => DataFile.Read(path));
        Assert.Contains("not found", error.Message);
    }

    [Theory]
    [InlineData("data.txt")]
    [InlineData("data.json")]
    [InlineData("data.npy.gz")]
    [InlineData("data")]
    public void DataFile_unknown_extension_is_refused_with_BOPT1102(string fileName)
    {
        string path = _scratch.WriteText(fileName, "1,2\n");

        var error = DataAssert.Fails("BOPT1102", path, () => DataFile.Read(path));
        Assert.Contains(".npy, .npz or .csv", error.Message);
    }

    [Theory]
    [InlineData("calib")]
    [InlineData("calib.npy")]
    public void DataFile_folder_is_refused_with_BOPT1102(string folderName)
    {
        string path = Path.Combine(_scratch.Path, folderName);
        Directory.CreateDirectory(path);

        var error = DataAssert.Fails("BOPT1102", path, () => DataFile.Read(path));
        Assert.Contains("folder", error.Message);
    }

    private static byte[] ZipOf(string entryName, byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using Stream stream = archive.CreateEntry(entryName).Open();
            stream.Write(bytes);
        }
        return buffer.ToArray();
    }
}
