using static BuildOptim.Tests.OnnxModelBuilder;

namespace BuildOptim.Tests.Compression;

/// <summary>
/// A one-layer BERT-style encoder as exporters write it — int64 ids, mask and token types in; embeddings gathered, the
/// additive attention mask computed from the mask, heads split and merged, scaled dot-product attention, the [CLS] vector
/// picked — compiled by BuildOptim and compared with ONNX Runtime.
/// </summary>
public class TransformerDataPathTests
{
    private const int Vocabulary = 30, Hidden = 8, Heads = 2, HeadSize = Hidden / Heads, Tokens = 5;

    private static float[] Weights(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
    }

    private static TypedModel Encoder()
    {
        var model = new TypedModel(opset: 14)
            .Input("input_ids", new long[] { 1, 17, 4, 2, 0 }, 1, Tokens)
            .Input("attention_mask", new long[] { 1, 1, 1, 1, 0 }, 1, Tokens)
            .Input("token_type_ids", new long[] { 0, 0, 0, 1, 1 }, 1, Tokens)
            .Initializer("word_embeddings", Weights(Vocabulary * Hidden, 1), Vocabulary, Hidden)
            .Initializer("position_embeddings", Weights(16 * Hidden, 2), 16, Hidden)
            .Initializer("type_embeddings", Weights(2 * Hidden, 3), 2, Hidden)
            .Initializer("positions", Enumerable.Range(0, Tokens).Select(i => (long)i).ToArray(), 1, Tokens)
            .Initializer("qkv_weight", Weights(Hidden * 3 * Hidden, 4), Hidden, 3 * Hidden)
            .Initializer("split", new long[] { Hidden, Hidden, Hidden }, 3)
            .Initializer("heads_shape", new long[] { 1, Tokens, Heads, HeadSize }, 4)
            .Initializer("merged_shape", new long[] { 1, Tokens, Hidden }, 3)
            .Initializer("one", new[] { 1f })
            .Initializer("min", new[] { -3.4028235e38f })
            .Initializer("scale", new[] { MathF.Sqrt(HeadSize) })
            .Initializer("mask_axes", new long[] { 1, 2 }, 2)
            .Initializer("cls", new long[] { 0 })
            .Node("Gather", ["word_embeddings", "input_ids"], ["words"])
            .Node("Gather", ["position_embeddings", "positions"], ["positioned"])
            .Node("Gather", ["type_embeddings", "token_type_ids"], ["typed"])
            .Node("Add", ["words", "positioned"], ["sum1"])
            .Node("Add", ["sum1", "typed"], ["embeddings"])
            .Node("Unsqueeze", ["attention_mask", "mask_axes"], ["mask4"])
            .Node("Cast", ["mask4"], ["mask_f"], Attr("to", 1L))
            .Node("Sub", ["one", "mask_f"], ["inverted"])
            .Node("Cast", ["inverted"], ["masked"], Attr("to", 9L))
            .Node("MatMul", ["embeddings", "qkv_weight"], ["qkv"])
            .Node("Split", ["qkv", "split"], ["q", "k", "v"], Attr("axis", 2L));
        foreach (string part in new[] { "q", "k", "v" })
        {
            model.Node("Reshape", [part, "heads_shape"], [part + "_heads"])
                .Node("Transpose", [part + "_heads"], [part + "_t"], Attr("perm", part == "k" ? [0L, 2L, 3L, 1L] : [0L, 2L, 1L, 3L]));
        }

        return model
            .Node("MatMul", ["q_t", "k_t"], ["scores"])
            .Node("Div", ["scores", "scale"], ["scaled"])
            .Node("Where", ["masked", "min", "scaled"], ["filled"])
            .Node("Softmax", ["filled"], ["probabilities"], Attr("axis", -1L))
            .Node("MatMul", ["probabilities", "v_t"], ["context_t"])
            .Node("Transpose", ["context_t"], ["context"], Attr("perm", 0L, 2L, 1L, 3L))
            .Node("Reshape", ["context", "merged_shape"], ["last_hidden_state"])
            .Node("Gather", ["last_hidden_state", "cls"], ["pooled"], Attr("axis", 1L))
            .Output("last_hidden_state")
            .Output("pooled");
    }

    [Fact]
    public void A_bert_style_encoder_with_int64_inputs_runs_as_onnx_runtime_does()
    {
        Encoder().AssertMatchesOnnxRuntime(tolerance: 1e-5f);
    }

    [Fact]
    public void Its_int8_plan_stays_within_a_few_quantization_steps_of_onnx_runtime()
    {
        var model = Encoder();
        var expected = model.RunOnnxRuntime();
        var actual = model.RunPlan(int8: true);
        for (int o = 0; o < expected.Count; o++)
        {
            Assert.All(expected[o].Zip(actual[o]), p => Assert.InRange(p.Second - p.First, -0.05f, 0.05f));
        }
    }
}
