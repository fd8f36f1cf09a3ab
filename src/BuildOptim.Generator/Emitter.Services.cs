using System.Linq;
using Microsoft.CodeAnalysis;

namespace BuildOptim.Generator;

/// <summary>
/// The service-ready surface of a model class, in a second <c>partial</c> declaration appended to its source: pooling
/// (<see cref="ModelSpec"/> classes implement <c>ICompressedModel&lt;T&gt;</c>), classifier scores and class names, the
/// tensor-span overloads when the app references System.Numerics.Tensors; and, as their own sources, the DI extension and
/// the embedding generator when the app references their libraries (<see cref="ServiceFeatures"/>).
/// </summary>
internal static partial class Emitter
{
    // Public members (names the class itself may not take, see Parser.ValidateClassName).
    internal const string CreatePoolName = "CreatePool";
    internal const string PredictWithScoreName = "PredictWithScore";
    internal const string PredictTopKName = "PredictTopK";
    internal const string PredictProbabilitiesName = "PredictProbabilities";
    internal const string PredictLabelName = "PredictLabel";
    internal const string ClassNamesName = "ClassNames";
    internal const string ScoreKindName = "ScoreKind";

    internal const string ServiceCollectionExtensionsHintName = "Microsoft.Extensions.DependencyInjection.BuildOptimServiceCollectionExtensions.g.cs";
    private const string ServiceCollectionExtensionsName = "BuildOptimServiceCollectionExtensions";
    internal const string AddModelName = "AddBuildOptimModel";

    // Types.
    private const string CompressedModelType = "global::BuildOptim.Runtime.ICompressedModel";
    private const string ModelPoolFactoryType = "global::BuildOptim.Runtime.ModelPool";
    private const string PredictionType = "global::BuildOptim.Runtime.Prediction";
    private const string ClassScoresType = "global::BuildOptim.Runtime.ClassScores";
    private const string ClassScoreKindType = "global::BuildOptim.Runtime.ClassScoreKind";
    private const string TensorShapesType = "global::BuildOptim.Runtime.TensorShapes";
    private const string ReadOnlyTensorSpanOfFloat = "global::System.Numerics.Tensors.ReadOnlyTensorSpan<float>";
    private const string TensorSpanOfFloat = "global::System.Numerics.Tensors.TensorSpan<float>";
    private const string MemoryMarshalType = "global::System.Runtime.InteropServices.MemoryMarshal";
    private const string ServiceCollectionType = "global::Microsoft.Extensions.DependencyInjection.IServiceCollection";
    private const string ServiceCollectionServiceExtensionsType = "global::Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions";

    // Private members and parameters.
    private const string ClassNamesField = "s_classNames";
    private const string ScoresField = "_scores";
    private const string TopParameter = "top";
    private const string ProbabilitiesParameter = "probabilities";
    private const string MaxInstancesParameter = "maxInstances";
    private const string ParallelismParameter = "parallelism";

    /// <summary>The second partial declaration of the model class (appended to its source: one type, one file).</summary>
    public static string EmitServiceMembers(ModelSpec spec, ServiceFeatures features)
    {
        var writer = new SourceWriter();
        writer.WriteLine();
        if (spec.Namespace.Length == 0)
        {
            EmitServicePartial(writer, spec, features);
        }
        else
        {
            using (writer.OpenBlock("namespace " + spec.Namespace))
            {
                EmitServicePartial(writer, spec, features);
            }
        }

        return writer.ToString();
    }

    /// <summary>The sources of other types a model gets from the app's optional libraries (the embedding generator).</summary>
    public static void AddServiceSources(SourceProductionContext context, ModelSpec spec, ServiceFeatures features)
    {
        if (features.EmbeddingGenerator && TextEmbedding.From(spec) is { } embedding)
        {
            context.AddSource(EmbeddingGeneratorHintName(spec), Microsoft.CodeAnalysis.Text.SourceText.From(EmitEmbeddingGenerator(spec, embedding), System.Text.Encoding.UTF8));
        }
    }

    private static void EmitServicePartial(SourceWriter writer, ModelSpec spec, ServiceFeatures features)
    {
        string self = spec.ClassName;
        using (writer.OpenBlock("partial class " + self + " : " + CompressedModelType + "<" + self + ">"))
        {
            writer.WriteLine($$"""
                /// <summary>A new instance with its own scratch memory: what <see cref="{{ModelPoolFactoryType}}"/> calls.</summary>
                static {{self}} {{CompressedModelType}}<{{self}}>.Create(int {{ParallelismParameter}}) => new {{self}}({{ParallelismParameter}});

                /// <summary>
                /// A bounded, thread-safe pool of instances for serving many requests at once: each <c>Rent()</c> hands out an
                /// instance no other caller holds, and disposing the lease returns it. Renting and returning allocate nothing
                /// once the instances exist.
                /// </summary>
                /// <param name="{{MaxInstancesParameter}}">The most instances alive at once; 0 takes <see cref="global::System.Environment.ProcessorCount"/>.</param>
                /// <param name="{{ParallelismParameter}}">Threads each instance may use (see the constructor).</param>
                public static global::BuildOptim.Runtime.ModelPool<{{self}}> {{CreatePoolName}}(int {{MaxInstancesParameter}} = 0, int {{ParallelismParameter}} = 1)
                    => {{ModelPoolFactoryType}}.Create<{{self}}>({{MaxInstancesParameter}}, {{ParallelismParameter}});
                """);
            if (HasScores(spec))
            {
                writer.WriteLine();
                EmitClassifierMembers(writer, spec);
            }

            if (features.TensorSpans && !spec.IsMultiTensor)
            {
                writer.WriteLine();
                EmitTensorRun(writer, spec, features.TensorSpanDiagnosticId);
            }
        }
    }

    /// <summary>A classifier whose single output has a fixed length: its scores can be ranked.</summary>
    private static bool HasScores(ModelSpec spec)
        => spec.Classifier && (!spec.IsMultiTensor || (spec.Outputs.Count == 1 && !spec.Outputs[0].PerSequence));

    private static void EmitClassifierMembers(SourceWriter writer, ModelSpec spec)
    {
        string outputLength = spec.IsMultiTensor ? LengthName(spec.Outputs[0]) : OutputLengthName;
        string parameters = spec.IsMultiTensor
            ? string.Join(", ", spec.Inputs.Select(t => SpanType(t.Type, readOnly: true) + " " + t.Identifier))
            : ReadOnlySpanOfFloat + " " + InputParameter;
        string arguments = spec.IsMultiTensor ? string.Join(", ", spec.Inputs.Select(t => t.Identifier)) : InputParameter;
        bool named = spec.ClassNames.Count > 0;
        string labels = named ? ClassNamesField : "default";
        string kind = spec.ScoreKind switch
        {
            "probabilities" => "Probabilities",
            "logProbabilities" => "LogProbabilities",
            _ => "Logits",
        };

        writer.WriteLine($$"""
            /// <summary>What the output holds, and so how <see cref="{{PredictWithScoreName}}"/> turns it into probabilities.</summary>
            public const {{ClassScoreKindType}} {{ScoreKindName}} = {{ClassScoreKindType}}.{{kind}};

            private readonly float[] {{ScoresField}} = new float[{{outputLength}}];
            """);
        if (named)
        {
            // Names from the user's ClassNames file: validated by the engine and the parser, written only as escaped literals.
            writer.WriteLine($$"""

                private static readonly string[] {{ClassNamesField}} =
                {
                """);
            writer.Indent();
            foreach (string name in spec.ClassNames)
            {
                writer.WriteLine(Literal(name) + ",");
            }

            writer.Unindent();
            writer.WriteLine($$"""
                };

                /// <summary>The name of each class, in the output's order (from the ClassNames file).</summary>
                public static {{ReadOnlySpanOfString}} {{ClassNamesName}} => {{ClassNamesField}};

                /// <summary>Runs one sample without allocating and returns the name of its most probable class (the first on ties).</summary>
                public string {{PredictLabelName}}({{parameters}}) => {{PredictWithScoreName}}({{arguments}}).Label!;
                """);
        }

        writer.WriteLine($$"""

            /// <summary>
            /// Runs one sample without allocating and returns its most probable class (the first on ties){{(named ? ", its name" : "")}} and its
            /// probability.
            /// </summary>
            public {{PredictionType}} {{PredictWithScoreName}}({{parameters}})
            {
                {{RunName}}({{arguments}}, {{ScoresField}});
                return {{ClassScoresType}}.Top({{ScoresField}}, {{ScoreKindName}}, {{labels}});
            }

            /// <summary>
            /// Runs one sample without allocating and fills <paramref name="{{TopParameter}}"/> with its most probable classes, most
            /// probable first (on ties, the lower index first); k is the span's length.
            /// </summary>
            /// <returns>How many were written: the smaller of k and the number of classes.</returns>
            public int {{PredictTopKName}}({{parameters}}, global::System.Span<{{PredictionType}}> {{TopParameter}})
            {
                {{RunName}}({{arguments}}, {{ScoresField}});
                return {{ClassScoresType}}.TopK({{ScoresField}}, {{ScoreKindName}}, {{labels}}, {{TopParameter}});
            }

            /// <summary>Runs one sample without allocating and writes the probability of every class into <paramref name="{{ProbabilitiesParameter}}"/>.</summary>
            /// <exception cref="{{ArgumentExceptionType}}"><paramref name="{{ProbabilitiesParameter}}"/> does not hold one value per class.</exception>
            public void {{PredictProbabilitiesName}}({{parameters}}, {{SpanOfFloat}} {{ProbabilitiesParameter}})
            {
                if ({{ProbabilitiesParameter}}.Length != {{outputLength}})
                {
                    throw new {{ArgumentExceptionType}}("Expected " + {{outputLength}}.ToString({{InvariantCulture}}) + " probabilities (one per class), got " + {{ProbabilitiesParameter}}.Length.ToString({{InvariantCulture}}) + ".", nameof({{ProbabilitiesParameter}}));
                }

                {{RunName}}({{arguments}}, {{ProbabilitiesParameter}});
                {{ClassScoresType}}.Probabilities({{ProbabilitiesParameter}}, {{ScoreKindName}}, {{ProbabilitiesParameter}});
            }
            """);
    }

    private const string ReadOnlySpanOfString = "global::System.ReadOnlySpan<string>";

    /// <summary><c>Run(ReadOnlyTensorSpan&lt;float&gt;, TensorSpan&lt;float&gt;)</c>: the shapes are checked against the model's.</summary>
    private static void EmitTensorRun(SourceWriter writer, ModelSpec spec, string experimentalId)
    {
        string dynamicBatch = spec.DynamicBatch ? "true" : "false";
        string accepted = "[" + string.Join(",", spec.InputShape.Select(Number)) + "] or [" + (spec.DynamicBatch ? "batch" : "1") + "," + string.Join(",", spec.InputShape.Select(Number)) + "]";
        if (experimentalId.Length > 0)
        {
            writer.WriteLine("#pragma warning disable " + experimentalId + " // the tensor-span types are experimental in this System.Numerics.Tensors");
        }

        writer.WriteLine($$"""
            /// <summary>
            /// Runs the sample{{(spec.DynamicBatch ? "s" : "")}} of <paramref name="{{InputParameter}}"/>, a dense tensor of shape {{Xml(accepted)}}, into
            /// <paramref name="{{OutputParameter}}"/>, a dense tensor of the output's shape and the same batch, without allocating.
            /// </summary>
            /// <exception cref="{{ArgumentExceptionType}}">A tensor's shape is not the model's (the message shows both), the batches differ, or a tensor is not dense.</exception>
            public void {{RunName}}({{ReadOnlyTensorSpanOfFloat}} {{InputParameter}}, {{TensorSpanOfFloat}} {{OutputParameter}})
            {
                int {{BatchSizeParameter}} = {{TensorShapesType}}.BatchSize({{InputParameter}}.Lengths, {{InputShapeName}}, {{dynamicBatch}}, nameof({{InputParameter}}));
                int outputBatch = {{TensorShapesType}}.BatchSize({{OutputParameter}}.Lengths, {{OutputShapeName}}, {{dynamicBatch}}, nameof({{OutputParameter}}));
                if (outputBatch != {{BatchSizeParameter}})
                {
                    throw new {{ArgumentExceptionType}}("Expected an output tensor of " + {{BatchSizeParameter}}.ToString({{InvariantCulture}}) + " samples (as the input), got " + outputBatch.ToString({{InvariantCulture}}) + ".", nameof({{OutputParameter}}));
                }

                {{TensorShapesType}}.RequireDense({{InputParameter}}.IsDense, nameof({{InputParameter}}));
                {{TensorShapesType}}.RequireDense({{OutputParameter}}.IsDense, nameof({{OutputParameter}}));
                var inputValues = {{MemoryMarshalType}}.CreateReadOnlySpan(in {{InputParameter}}.GetPinnableReference(), checked((int){{InputParameter}}.FlattenedLength));
                var outputValues = {{MemoryMarshalType}}.CreateSpan(ref {{OutputParameter}}.GetPinnableReference(), checked((int){{OutputParameter}}.FlattenedLength));
                {{(spec.DynamicBatch ? RunName + "(inputValues, outputValues, " + BatchSizeParameter + ");" : RunName + "(inputValues, outputValues);")}}
            }
            """);
        if (experimentalId.Length > 0)
        {
            writer.WriteLine("#pragma warning restore " + experimentalId);
        }
    }

    /// <summary>
    /// <c>services.AddBuildOptimModel&lt;TModel&gt;()</c>, once per compilation: internal, so two projects that each generate it never
    /// clash, and in the DI namespace, so it needs no <c>using</c>.
    /// </summary>
    public static string EmitServiceCollectionExtensions() => $$"""
        // <auto-generated/>
        #nullable enable

        namespace Microsoft.Extensions.DependencyInjection
        {
            /// <summary>Registers models compressed by BuildOptim with a service collection.</summary>
            [{{GeneratedCodeAttribute}}({{Literal(GeneratorName)}}, {{Literal(s_generatorVersion)}})]
            internal static class {{ServiceCollectionExtensionsName}}
            {
                /// <summary>
                /// Registers a singleton <see cref="global::BuildOptim.Runtime.ModelPool{TModel}"/> of <typeparamref name="TModel"/>: inject
                /// the pool and <c>Rent()</c> an instance per request (each instance is used by one caller at a time). The container
                /// disposes the pool, and with it every instance, when it is disposed.
                /// </summary>
                /// <typeparam name="TModel">A class generated by BuildOptim.</typeparam>
                /// <param name="services">The service collection.</param>
                /// <param name="{{MaxInstancesParameter}}">The most instances alive at once; 0 takes <see cref="global::System.Environment.ProcessorCount"/>.</param>
                /// <param name="{{ParallelismParameter}}">Threads each instance may use; 1 computes on the calling thread.</param>
                public static {{ServiceCollectionType}} {{AddModelName}}<TModel>(this {{ServiceCollectionType}} services, int {{MaxInstancesParameter}} = 0, int {{ParallelismParameter}} = 1)
                    where TModel : class, {{CompressedModelType}}<TModel>
                {
                    global::System.ArgumentNullException.ThrowIfNull(services);
                    global::System.ArgumentOutOfRangeException.ThrowIfNegative({{MaxInstancesParameter}});
                    global::System.ArgumentOutOfRangeException.ThrowIfGreaterThan({{MaxInstancesParameter}}, global::BuildOptim.Runtime.ModelPool<TModel>.MaxPoolSize);
                    global::System.ArgumentOutOfRangeException.ThrowIfLessThan({{ParallelismParameter}}, 1);
                    return {{ServiceCollectionServiceExtensionsType}}.AddSingleton(services, _ => {{ModelPoolFactoryType}}.Create<TModel>({{MaxInstancesParameter}}, {{ParallelismParameter}}));
                }
            }
        }

        """;
}
