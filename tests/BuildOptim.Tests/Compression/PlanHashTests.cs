using System.Runtime.InteropServices;
using System.Security.Cryptography;
using BuildOptim.Compression;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Sharing;
using BuildOptim.Onnx.Ir;

namespace BuildOptim.Tests.Compression;

/// <summary>
/// Golden hashes: the SHA-256 of every plan the engine compiles for the sample and test models (fp32 and int8, with and
/// without 4-bit weight sharing) and of the outputs the runtime computes from it on the first calibration samples. A
/// refactoring of the plan writers, the emitters or the runtime must leave both unchanged, byte for byte and bit for bit.
/// </summary>
/// <remarks>
/// <para>
/// When a change of the plan format or of a kernel's results is intended (a new format version, a different rounding),
/// run this test, check that only the cases you meant to change fail, and paste the table its failure message prints
/// over <see cref="s_expected"/>, in the same commit as the change and saying why in its message.
/// </para>
/// <para>
/// int8 plans depend on the fp32 run that calibrates them, whose transcendental activations (Tanh, Sigmoid, Exp) come from
/// the C runtime's <c>MathF</c>: the hashes were recorded on Linux x64 (glibc) and the test runs there only.
/// </para>
/// </remarks>
public sealed class PlanHashTests
{
    private const int OutputSamples = 16;

    private static readonly Dictionary<string, string> s_expected = new()
    {
        ["cnn_initializers_as_inputs/Int8/share0"] = "plan=941ee1176b1ae96e34397a7de5ea18ab9213e26eb3e05ccb4c7782e717d01983 outputs=4284cb67f464027c61499f2a6b5a019949f63c225c4ded78eb38c06192f1c223",
        ["cnn_initializers_as_inputs/Int8/share16"] = "plan=f50c2a953a3144f3a8e68a71e6746356f2991df204f8fe6864a29d6ae04ed691 outputs=63ce2b43cf79551727e835a6b11060ae0842cae6c9768a7e1b902f137a8746a3",
        ["cnn_initializers_as_inputs/None/share0"] = "plan=ffa5524da8b3d9bd71cdc7b5a0c19d2b53f4578ecf965680d20a1c1027c62e14 outputs=39f9ef3e21c5d091a3ca0a6dadb0677a11a88f507e5ba5fb80c0829f9d69397f",
        ["cnn_initializers_as_inputs/None/share16"] = "plan=edd21200f18b4aa30faff04e1eac954976c31e488c80c02278fe3d0e0ff535d0 outputs=492e90f173bc0f1148332b224996e935424fc13761fcc332861f9f752dcc80f3",
        ["cnn_misc/Int8/share0"] = "plan=fc86150a1a084545c0ba929fc8b5aeb0db38ec983a09429847ddd93a223ffb27 outputs=08463d14832c3d98ab485f67da6d014d0d69aee2da963fcfe75f0c7fbab38a8c",
        ["cnn_misc/Int8/share16"] = "plan=07669f70c1c93b7d7bbb6bdf21eb39e110cba372a0c353db261f48917b59a83a outputs=ef0f4deabdbd619e89526b5ee0b488257623f781ebdc831b7aea994920da2ce6",
        ["cnn_misc/None/share0"] = "plan=73c7e9c9526dd1a0b1bd4adb6138b47d904982b827cf57e3cd12b59650ba5d31 outputs=fa0d8614c133cb2a75f976b31b7313c2d40f8b8b59e578df9b09af1de4574bd5",
        ["cnn_misc/None/share16"] = "plan=bc8e1a04e75ee5fb5fdd72abbdab695e2b33f026ed965b7917b532a93f7baac4 outputs=8d40d054893b60d547eb4fcb06022811b5160a76520af685197dea4bbc3b537a",
        ["cnn_nhwc/Int8/share0"] = "plan=a9962547b99d67376bed6815f930109b2dcfb3db4b0d565442254963181d02e9 outputs=4284cb67f464027c61499f2a6b5a019949f63c225c4ded78eb38c06192f1c223",
        ["cnn_nhwc/Int8/share16"] = "plan=6a9f0c6ff219c59f1cee30d7cb3a86b0451df7791e13988b04b12d909b9d3ae2 outputs=63ce2b43cf79551727e835a6b11060ae0842cae6c9768a7e1b902f137a8746a3",
        ["cnn_nhwc/None/share0"] = "plan=313e8ab5d63bfe41356859fe65fa3ae54c11802a702aa98adf4d2d737855927f outputs=39f9ef3e21c5d091a3ca0a6dadb0677a11a88f507e5ba5fb80c0829f9d69397f",
        ["cnn_nhwc/None/share16"] = "plan=c8a3d353b5a5a65575459d97d3ff646333c000155971afbc6178ccba47144f20 outputs=492e90f173bc0f1148332b224996e935424fc13761fcc332861f9f752dcc80f3",
        ["fashion_cnn/Int8/share0"] = "plan=2b8ba783410ed51a85903ec4e037cf98cf0891990a4e64e06423d4e4d1314e60 outputs=4d2186fcd3c2b85d546a80820e8ccf4ea617705d85acf69d82e957b0815a060f",
        ["fashion_cnn/Int8/share16"] = "plan=5c405a38fdbae283923175e6d613ce68774137982c792c967b603a52777d2d4a outputs=a1a70176f956e8c70ecbffca31e517882ddc8714f382e41ea1d2d0b8ae4457bb",
        ["fashion_cnn/None/share0"] = "plan=9af4049505c4cf95bcd7476c96aae7dac69b6a9bef2c05aeb799f6a87d1dc3a6 outputs=5b467f4169ee9f35f57f3440f1cdb48a26c0a8d880d1c826bd94b87c863475f1",
        ["fashion_cnn/None/share16"] = "plan=0628cead923b4a3c1b88806054c11df03af1b3fbb6e323ffbc6454e89a05a62e outputs=1b351bb374c07250f1c1912aaf160133d885977d96e8c641b8949937d4faafcf",
        ["fashion_mlp/Int8/share0"] = "plan=5f2b2f859e4852ac7be9ab360637e6a68e659d63d7e8b6eb50ed2cf9df402d89 outputs=61db7744cc546b4d28956b7ca47af531dbf459a9f1b4c37adbc67a53a4f1f8e0",
        ["fashion_mlp/Int8/share16"] = "plan=9180496a457525c290d60f71c099c319ab2aa59ad4c75bfd06465da1e28959a7 outputs=2ff58cc0f279567d737eae678f9a9289bbf46c15214e871f5dd128fb7aa4e754",
        ["fashion_mlp/None/share0"] = "plan=860cad2696da2c9f978ad26e68015540a99e49cb6553737bbf0bd45325d2f2b6 outputs=4e08f7c714882345480c6d45f7e4bdf5d279cadb227af9318be3dd786bba7abd",
        ["fashion_mlp/None/share16"] = "plan=3db1b07c05dbd88081fa921acc08d8d2fe72f9bf331f13c4d74f65c3c2e3bdb0 outputs=a732e8abed15d4a773d2006f24ebcc62bbc3dcc5057ef563dcb790e6f187da0c",
        ["mlp_matmul/Int8/share0"] = "plan=9a0776af2463762ed7fa982df3c6edb16c65a316d753ffb2f5768690b8381004 outputs=1a1c0ca676be83a277f4a7bea92fbfd62c0cdf04059dd6abd6ac236c226fb1d2",
        ["mlp_matmul/Int8/share16"] = "plan=dde69be18de8ea0810e05c94ff236f936c758cb466bc0da6711270f4f5bd958e outputs=ce3ff64b62e9ae986d134cd4031559facb9584f47c85ddc748ab3d45ccc56978",
        ["mlp_matmul/None/share0"] = "plan=94a704108cde1df6a099fd085fd3d9c561576bea041af1ab7e22b96de7c26394 outputs=0890fa9b5c46f25b5d8ce19bc4357c460b7c19978d2fe999288d1cc2e9a7f79f",
        ["mlp_matmul/None/share16"] = "plan=0b2cefffe381c68e404edf76c93ff96212e26fb83f47b213e04fe275721a8086 outputs=0133cc6f140d6b257633539958875b7dce679ba7bca896c633072cdf87c2e3dd",
        ["mlp_tanh/Int8/share0"] = "plan=9cc8f35670148620450b44942a5bdda0c5337bcb3864a0b62d60138d396d29fd outputs=8338fe424c2d42aac2de5edb847407d015a73d625ba478b880b89c880284d1f3",
        ["mlp_tanh/Int8/share16"] = "plan=1225460896c6b6a1e7ac7ded31271712c506072f4b543b7671b10af5b8d5e690 outputs=fc54c6f37876327b0886422fc0c7d168cdb2a5a9526400934e812dfd8234624f",
        ["mlp_tanh/None/share0"] = "plan=fd5f5e2dd92abb56d3287e32a9a074cf82aaa13bd867cc9d381f6929d77cac34 outputs=588f8a764ca9decf6c1fdd285ffef9e5a2c8549fd1e5361e2bea347cc65d91f2",
        ["mlp_tanh/None/share16"] = "plan=57f7e2575d94506e44fde5aef676f581f11d70f13e46c1d0ffec33fd2c24a6bf outputs=cde7682013ca4dda0d68f17208cb3067575da7555cdfee369ba5c8c664869874",
    };

    public static TheoryData<string> ModelNames => [.. s_models.Keys];

    private static readonly Dictionary<string, (string Model, string Calibration)> s_models = new()
    {
        ["fashion_mlp"] = (Models.FashionMlp, Models.FashionCalibration),
        ["fashion_cnn"] = (Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Models", "fashion_cnn.onnx"), Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Data", "calib.npy")),
        ["mlp_tanh"] = (Models.MlpTanh, Models.SmallCalibration),
        ["mlp_matmul"] = (Models.MlpMatMul, Models.SmallCalibration),
        ["cnn_misc"] = (Cnn("cnn_misc.onnx"), Cnn("cnn_calib.npy")),
        ["cnn_nhwc"] = (Cnn("cnn_nhwc.onnx"), Cnn("cnn_calib_nhwc.npy")),
        ["cnn_initializers_as_inputs"] = (Cnn("cnn_initializers_as_inputs.onnx"), Cnn("cnn_calib.npy")),
    };

    private static string Cnn(string file) => Path.Combine(TestPaths.TestData, "cnn", file);

    [LinuxX64Theory]
    [MemberData(nameof(ModelNames))]
    public void Plans_and_their_outputs_keep_their_hashes(string name)
    {
        var actual = Hashes(name);
        var mismatches = actual.Where(kv => !s_expected.TryGetValue(kv.Key, out string? expected) || expected != kv.Value).ToList();
        Assert.True(
            mismatches.Count == 0,
            $"Plan or output hashes changed for {string.Join(", ", mismatches.Select(kv => kv.Key))}. If intended, update s_expected with:\n"
            + string.Join("\n", actual.Select(kv => $"        [\"{kv.Key}\"] = \"{kv.Value}\",")));
    }

    /// <summary>"plan=… outputs=…" for fp32 and int8, each without and with 16-cluster weight sharing, as <c>Compressor</c> compiles them.</summary>
    private static SortedDictionary<string, string> Hashes(string name)
    {
        var (modelPath, calibrationPath) = s_models[name];
        var network = Models.Lower(modelPath);
        var calibration = DataSets.LoadInputs(calibrationPath, network);
        int samples = Math.Min(OutputSamples, calibration.SampleCount);
        var hashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (int clusters in new[] { 0, 16 })
        {
            var sharing = clusters == 0 ? null : WeightSharing.Apply(network, clusters);
            var model = sharing?.Network ?? network;
            var ranges = Calibrators.Calibrate(model, calibration, CalibrationMethod.MinMax);
            foreach (var mode in new[] { QuantizeMode.None, QuantizeMode.Int8 })
            {
                var plan = PlanCompiler.Compile(model, mode, mode == QuantizeMode.Int8 ? ranges : null, sharedWeights: sharing?.Layers);
                var outputs = Compressor.RunPlan(plan.Bytes, calibration, samples);
                hashes[$"{name}/{mode}/share{clusters}"] = $"plan={Sha256(plan.Bytes)} outputs={Sha256(MemoryMarshal.AsBytes(outputs.AsSpan()))}";
            }
        }

        return hashes;
    }

    private static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A theory run on Linux x64 only, where the hashes were recorded (see the class remarks).</summary>
    private sealed class LinuxX64TheoryAttribute : TheoryAttribute
    {
        public LinuxX64TheoryAttribute()
        {
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            {
                Skip = "The golden hashes were recorded on Linux x64 (glibc's MathF feeds calibration).";
            }
        }
    }
}
