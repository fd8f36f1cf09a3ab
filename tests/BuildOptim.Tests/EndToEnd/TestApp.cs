using System.Globalization;
using BuildOptim.Tests;

namespace BuildOptim.Tests.EndToEnd;

/// <summary>
/// A fresh app outside the repository that references the packed BuildOptim, as a user writes it:
/// a csproj with the PackageReference and ModelToCompress items, a Program.cs, and data files.
/// </summary>
public sealed class TestApp
{
    public const string RootNamespace = "E2EApp";

    private readonly PackagedBuildFixture _fixture;

    private TestApp(PackagedBuildFixture fixture, string name)
    {
        _fixture = fixture;
        Directory = Path.Combine(fixture.Root, name);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }
    public string ProjectFile => Path.Combine(Directory, "App.csproj");
    public string EvaluationData => Path.Combine(Directory, "Data", "eval.npz");
    public string CalibrationData => Path.Combine(Directory, "Data", "calib.npy");

    /// <summary>The CLI's output folder for the model with this file name (no extension).</summary>
    public string ArtifactsOf(string modelKey) =>
        Path.Combine(Directory, "obj", "Debug", "net10.0", "buildoptim", modelKey);

    public string PlanOf(string modelKey) => Path.Combine(ArtifactsOf(modelKey), "model.bopt");

    /// <summary>
    /// tests/TestData/models/mlp_tanh.onnx (784-64-32-10, softmax output) with its calibration and
    /// evaluation sets. The app prints the bytes allocated by 1000 Run calls, then every evaluation
    /// sample's outputs as float bit patterns: <c>output INDEX xxxxxxxx ...</c>, after the build's summary line
    /// (<c>summary BuildOptim: ...</c>, the generated <c>CompressionSummary</c>).
    /// </summary>
    public static TestApp CreateClassifier(PackagedBuildFixture fixture, string name, string extraMetadata = "")
    {
        var app = new TestApp(fixture, name);
        app.CopyTestData("models/mlp_tanh.onnx", "Models/mlp_tanh.onnx");
        app.CopyTestData("models/mlp_tanh_calib.npy", "Data/calib.npy");
        app.CopyTestData("models/mlp_eval.npz", "Data/eval.npz");
        app.WriteFile("Data/classes.txt", string.Join("\n", ClassNames) + "\n");
        app.WriteProject($"""
            <ModelToCompress Include="Models/mlp_tanh.onnx" Calibration="Data/calib.npy" Evaluation="Data/eval.npz" ClassNames="Data/classes.txt" {extraMetadata} />
            """);
        app.WriteProgram("""
            using BuildOptim.Runtime.Data;
            using E2EApp;

            Console.WriteLine("summary " + MlpTanhModel.CompressionSummary); // what the build compressed: `dotnet run` hides the build's output
            NdArray inputs = NpzReader.Read(args[0]).Single(a => a.Name != "labels");
            var model = new MlpTanhModel();
            var output = new float[MlpTanhModel.OutputLength];

            model.Run(inputs.Sample(0), output); // warm-up
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                model.Run(inputs.Sample(i % inputs.SampleCount), output);
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before; // read before formatting rents a buffer
            Console.WriteLine($"allocated-bytes-1000-runs {allocated}");

            for (int s = 0; s < inputs.SampleCount; s++)
            {
                model.Run(inputs.Sample(s), output);
                Console.WriteLine($"output {s} " + string.Join(" ", output.Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8"))));
            }

            // The service surface through the package: class names from ClassNames, scores, and a pool.
            using var pool = MlpTanhModel.CreatePool(2);
            using (var lease = pool.Rent())
            {
                var top = lease.Model.PredictWithScore(inputs.Sample(0));
                Console.WriteLine($"label 0 {top.ClassIndex} {lease.Model.PredictLabel(inputs.Sample(0))} {top.Score:R} {MlpTanhModel.ClassNames.Length}");
            }
            """);
        return app;
    }

    /// <summary>The class names the classifier app declares (<c>ClassNames</c>): one per output of mlp_tanh.</summary>
    public static readonly string[] ClassNames = [.. Enumerable
        .Range(0, BuildOptim.Onnx.OnnxFrontEnd.Load(Path.Combine(TestPaths.TestData, "models", "mlp_tanh.onnx")).OutputLength)
        .Select(i => i switch { 1 => "one #1", 2 => "two (100%)", _ => "class " + i })];

    /// <summary>An app whose build is expected to fail; its Program.cs uses nothing generated.</summary>
    public static TestApp CreateEmpty(PackagedBuildFixture fixture, string name, string items)
    {
        var app = new TestApp(fixture, name);
        app.WriteProject(items);
        app.WriteProgram("System.Console.WriteLine(\"unused\");");
        return app;
    }

    public void CopyTestData(string testDataPath, string appPath)
    {
        string destination = Path.Combine(Directory, appPath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        File.Copy(Path.Combine(TestPaths.TestData, testDataPath), destination, overwrite: true);
    }

    public void WriteFile(string appPath, string contents)
    {
        string destination = Path.Combine(Directory, appPath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        File.WriteAllText(destination, contents);
    }

    public void WriteProject(string items) => File.WriteAllText(ProjectFile, $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
            <RootNamespace>{RootNamespace}</RootNamespace>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="BuildOptim" Version="{PackagedBuildFixture.PackageVersion}" />
            {items}
          </ItemGroup>
        </Project>
        """);

    public void WriteProgram(string source) => File.WriteAllText(Path.Combine(Directory, "Program.cs"), source);

    public CommandResult Build(params string[] extraArguments) => DotNetCli.Build(Directory, extraArguments);

    public CommandResult Run(params string[] arguments) =>
        DotNetCli.Run(Directory, ["run", "--no-build", "--", .. arguments]);

    /// <summary>Copies the current artifacts of every model aside and returns the copy's folder.</summary>
    public string SnapshotArtifacts()
    {
        string source = Path.Combine(Directory, "obj", "Debug", "net10.0", "buildoptim");
        string snapshot = Path.Combine(_fixture.Root, "snapshot-" + Path.GetFileName(Directory) + "-" + DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture));
        foreach (string file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(snapshot, Path.GetRelativePath(source, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return snapshot;
    }
}
