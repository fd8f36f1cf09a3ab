using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace BuildOptim.Generator;

/// <summary>The class of a model with several inputs or outputs, or typed inputs (a format-2 descriptor).</summary>
internal static partial class Emitter
{
    private const string LengthSuffix = "Length";

    /// <summary>The local of a Run whose inputs have a sequence length (no tensor identifier may take it).</summary>
    internal const string SequenceLengthLocal = "sequenceLength";
    private const string MinSequenceLengthName = "MinSequenceLength";
    private const string MaxSequenceLengthName = "MaxSequenceLength";
    private const string ThrowSequenceLengthName = "ThrowNoSequenceLength";

    private static void EmitMultiTensorClass(SourceWriter writer, ModelSpec spec)
    {
        writer.WriteLine($$"""
            /// <summary>{{Xml(MultiTensorSummary(spec))}}</summary>
            /// <remarks>
            /// The compressed plan is embedded in this assembly and read in place. An instance owns its scratch
            /// memory and is not thread-safe: create one per thread (instances share the plan).
            /// </remarks>
            [{{GeneratedCodeAttribute}}({{Literal(GeneratorName)}}, {{Literal(s_generatorVersion)}})]
            """);
        using (writer.OpenBlock("public sealed partial class " + spec.ClassName + " : " + DisposableType))
        {
            writer.WriteLine($$"""
                /// <summary>
                /// What the build did, as its summary line said: sizes, accuracies, agreement and the gate (empty when the
                /// descriptor carries none). <c>dotnet run</c> hides the build's output; an app can print this.
                /// </summary>
                public const string {{CompressionSummaryName}} = {{Literal(spec.Summary)}};

                /// <summary>Name of the manifest resource that holds the compressed plan.</summary>
                public const string {{ResourceNameName}} = {{Literal(spec.ResourceName)}};

                """);
            if (spec.HasSequenceLength)
            {
                writer.WriteLine($$"""
                    /// <summary>The shortest sequence (the inputs' dynamic dimension, such as a token count) <see cref="{{RunName}}"/> takes.</summary>
                    public const int {{MinSequenceLengthName}} = {{Number(spec.MinSequenceLength)}};

                    /// <summary>The longest sequence <see cref="{{RunName}}"/> takes.</summary>
                    public const int {{MaxSequenceLengthName}} = {{Number(spec.MaxSequenceLength)}};

                    """);
            }

            int io = 0;
            foreach (var (tensor, role) in spec.Inputs.Select(t => (t, "input")).Concat(spec.Outputs.Select(t => (t, "output"))))
            {
                if (tensor.PerSequence)
                {
                    string accessor = role == "input" ? "GetInputLength" : "GetOutputLength";
                    int index = role == "input" ? io : io - spec.Inputs.Count;
                    writer.WriteLine($$"""
                        /// <summary>Values in one sample of {{role}} '{{Xml(tensor.Name)}}' ({{tensor.Type}}) at sequence length <paramref name="{{SequenceLengthLocal}}"/>: {{Xml(Formula(tensor.Sequence))}}.</summary>
                        /// <exception cref="global::System.ArgumentOutOfRangeException"><paramref name="{{SequenceLengthLocal}}"/> is outside [<see cref="{{MinSequenceLengthName}}"/>, <see cref="{{MaxSequenceLengthName}}"/>].</exception>
                        public static int {{LengthName(tensor)}}(int {{SequenceLengthLocal}}) => {{SharedPlanName}}.{{accessor}}({{Number(index)}}, {{SequenceLengthLocal}});

                        """);
                }
                else
                {
                    writer.WriteLine($$"""
                        /// <summary>Values in one sample of {{role}} '{{Xml(tensor.Name)}}' ({{tensor.Type}}, {{ShapeText(tensor.Shape)}}).</summary>
                        public const int {{LengthName(tensor)}} = {{Number(tensor.Length)}};

                        """);
                }

                io++;
            }

            writer.WriteLine($$"""
                private static {{ModelPlanType}}? {{PlanField}};
                private static object? {{PlanLockField}};
                private readonly {{PlanRunnerType}} {{RunnerField}};
                """);
            if (spec.Classifier && !spec.Outputs[0].PerSequence)
            {
                writer.WriteLine($$"""
                    private readonly float[] {{PredictScratchField}} = new float[{{LengthName(spec.Outputs[0])}}];
                    """);
            }

            writer.WriteLine($$"""

                /// <summary>Creates an instance that computes on the calling thread; instances share the embedded plan.</summary>
                /// <exception cref="{{InvalidOperationExceptionType}}">The plan is missing from this assembly or does not match this class.</exception>
                public {{spec.ClassName}}()
                    : this(1)
                {
                }

                /// <summary>Creates an instance whose large convolutions are split across up to <paramref name="parallelism"/> threads; same outputs.</summary>
                /// <param name="parallelism">1 to 64; 1 uses no other thread.</param>
                /// <exception cref="{{InvalidOperationExceptionType}}">The plan is missing from this assembly or does not match this class.</exception>
                public {{spec.ClassName}}(int parallelism)
                {
                    {{RunnerField}} = new {{PlanRunnerType}}({{SharedPlanName}}, parallelism);
                    if ({{PlanMatchesCondition(spec)}})
                    {
                        {{ThrowPlanMismatchName}}();
                    }
                }

                """);
            EmitMultiTensorRun(writer, spec);
            if (spec.Classifier && !spec.Outputs[0].PerSequence)
            {
                string inputs = string.Join(", ", spec.Inputs.Select(t => SpanType(t.Type, readOnly: true) + " " + t.Identifier));
                string arguments = string.Join(", ", spec.Inputs.Select(t => t.Identifier));
                writer.WriteLine($$"""

                    /// <summary>Runs one sample without allocating and returns the index of its largest output (the first on ties).</summary>
                    public int {{PredictName}}({{inputs}})
                    {
                        {{RunName}}({{arguments}}, {{PredictScratchField}});
                        return {{KernelsType}}.ArgMax({{PredictScratchField}});
                    }
                    """);
            }

            writer.WriteLine($$"""

                /// <summary>Bytes of scratch memory this instance holds (activations and accumulators).</summary>
                public long {{ScratchBytesName}} => {{RunnerField}}.{{ScratchBytesName}};

                /// <summary>Precision of the compressed model: <c>Int8</c> or <c>Float32</c>.</summary>
                public string {{PrecisionName}} => {{Literal(spec.Precision)}};

                {{DisposeDeclaration}}

                private static {{ModelPlanType}} {{SharedPlanName}} =>
                    {{LazyInitializerType}}.EnsureInitialized(ref {{PlanField}}, ref {{PlanLockField}}, static () => {{LoadPlan(spec)}});

                [{{DoesNotReturnAttribute}}]
                private static void {{ThrowLengthMismatchName}}(int {{ExpectedParameter}}, int {{ActualParameter}}, string {{ParamNameParameter}})
                    => throw new {{ArgumentExceptionType}}("Expected " + {{ExpectedParameter}}.ToString({{InvariantCulture}}) + " values, got " + {{ActualParameter}}.ToString({{InvariantCulture}}) + ".", {{ParamNameParameter}});

                [{{DoesNotReturnAttribute}}]
                private static void {{ThrowSequenceLengthName}}(int {{ActualParameter}}, string {{ParamNameParameter}})
                    => throw new {{ArgumentExceptionType}}("A span of " + {{ActualParameter}}.ToString({{InvariantCulture}}) + " values holds no sequence length this model takes.", {{ParamNameParameter}});

                [{{DoesNotReturnAttribute}}]
                private static void {{ThrowPlanMismatchName}}()
                    => throw new {{InvalidOperationExceptionType}}("The embedded plan '" + {{ResourceNameName}} + "' does not take the inputs and outputs {{spec.ClassName}} declares. Rebuild the project so BuildOptim regenerates the plan and the class together.");
                """);
        }
    }

    private static void EmitMultiTensorRun(SourceWriter writer, ModelSpec spec)
    {
        string parameters = string.Join(", ",
            spec.Inputs.Select(t => SpanType(t.Type, readOnly: true) + " " + t.Identifier)
                .Concat(spec.Outputs.Select(t => SpanOfFloat + " " + t.Identifier)));
        var doc = new StringBuilder();
        string Sized(TensorSpec t) => "<see cref=\"" + LengthName(t) + (t.PerSequence ? "(int)\"/>(n)" : "\"/>");
        foreach (var t in spec.Inputs)
        {
            doc.Append("/// <param name=\"").Append(t.Identifier).Append("\">Input '").Append(Xml(t.Name)).Append("': ").Append(Sized(t)).Append(" values.</param>\n");
        }

        foreach (var t in spec.Outputs)
        {
            doc.Append("/// <param name=\"").Append(t.Identifier).Append("\">Receives output '").Append(Xml(t.Name)).Append("': ").Append(Sized(t)).Append(" floats.</param>\n");
        }

        writer.WriteLine($$"""
            /// <summary>Runs one sample without allocating: one span per graph input, then one per graph output, in graph order.{{(spec.HasSequenceLength ? " The sequence length n (from " + MinSequenceLengthName + " to " + MaxSequenceLengthName + ") is taken from the inputs' lengths; the first run at each n prepares the model for it (allocates), later runs at that n allocate nothing." : "")}}</summary>
            {{doc.ToString().TrimEnd('\n')}}
            /// <exception cref="{{ArgumentExceptionType}}">A span does not hold exactly one sample.</exception>
            /// <exception cref="global::System.ArgumentOutOfRangeException">An integer input is beyond ±2^24 (the plan computes in float32).</exception>
            """);
        using (writer.OpenBlock("public void " + RunName + "(" + parameters + ")"))
        {
            if (spec.HasSequenceLength)
            {
                int first = Enumerable.Range(0, spec.Inputs.Count).First(i => spec.Inputs[i].PerSequence);
                string id = spec.Inputs[first].Identifier;
                writer.WriteLine($$"""
                    if (!{{SharedPlanName}}.TryGetSequenceLength({{Number(first)}}, {{id}}.Length, out int {{SequenceLengthLocal}}))
                    {
                        {{ThrowSequenceLengthName}}({{id}}.Length, nameof({{id}}));
                    }

                    """);
            }

            foreach (var t in spec.Inputs.Concat(spec.Outputs))
            {
                string expected = t.PerSequence ? LengthName(t) + "(" + SequenceLengthLocal + ")" : LengthName(t);
                writer.WriteLine($$"""
                    if ({{t.Identifier}}.Length != {{expected}})
                    {
                        {{ThrowLengthMismatchName}}({{expected}}, {{t.Identifier}}.Length, nameof({{t.Identifier}}));
                    }

                    """);
            }

            if (spec.HasSequenceLength)
            {
                writer.WriteLine(RunnerField + ".SetSequenceLength(" + SequenceLengthLocal + ");");
            }

            for (int i = 0; i < spec.Inputs.Count; i++)
            {
                writer.WriteLine(RunnerField + ".SetInput(" + Number(i) + ", " + spec.Inputs[i].Identifier + ");");
            }

            writer.WriteLine(RunnerField + ".Execute();");
            for (int i = 0; i < spec.Outputs.Count; i++)
            {
                writer.WriteLine(RunnerField + ".GetOutput(" + Number(i) + ", " + spec.Outputs[i].Identifier + ");");
            }
        }
    }

    /// <summary>True when the runner's plan does not have this class's tensors (a stale build).</summary>
    private static string PlanMatchesCondition(ModelSpec spec)
    {
        var checks = new List<string>
        {
            RunnerField + ".InputCount != " + Number(spec.Inputs.Count),
            RunnerField + ".OutputCount != " + Number(spec.Outputs.Count),
        };
        checks.Add(spec.HasSequenceLength
            ? "!" + RunnerField + ".HasSequenceLength || " + RunnerField + ".MinSequenceLength != " + MinSequenceLengthName + " || " + RunnerField + ".MaxSequenceLength != " + MaxSequenceLengthName
            : RunnerField + ".HasSequenceLength");
        checks.AddRange(spec.Inputs.Select((t, i) => (t, i)).Where(x => !x.t.PerSequence).Select(x => RunnerField + ".GetInputLength(" + Number(x.i) + ") != " + LengthName(x.t)));
        checks.AddRange(spec.Outputs.Select((t, i) => (t, i)).Where(x => !x.t.PerSequence).Select(x => RunnerField + ".GetOutputLength(" + Number(x.i) + ") != " + LengthName(x.t)));
        return string.Join(" || ", checks);
    }

    /// <summary><c>384 × n</c>, <c>n + 2</c>, <c>12 × n² + ...</c>: a tensor's length at sequence length n, for its documentation.</summary>
    private static string Formula(EquatableArray<long> c)
    {
        var parts = new List<string>();
        if (c[2] != 0)
        {
            parts.Add((c[2] == 1 ? string.Empty : Number(c[2]) + " × ") + "n²");
        }

        if (c[1] != 0)
        {
            parts.Add((c[1] == 1 ? string.Empty : Number(c[1]) + " × ") + "n");
        }

        if (c[0] != 0 || parts.Count == 0)
        {
            parts.Add(Number(c[0]));
        }

        return string.Join(" + ", parts).Replace("+ -", "- ");
    }

    /// <summary><c>InputIdsLength</c> for the parameter <c>inputIds</c>.</summary>
    private static string LengthName(TensorSpec tensor) => char.ToUpperInvariant(tensor.Identifier[0]) + tensor.Identifier.Substring(1) + LengthSuffix;

    private static string SpanType(string type, bool readOnly) => (readOnly ? "global::System.ReadOnlySpan<" : "global::System.Span<") + type switch
    {
        "int64" => "long",
        "int32" => "int",
        "bool" => "bool",
        _ => "float",
    } + ">";

    /// <summary><c>float32 model compressed by BuildOptim from m.onnx. Inputs 'input_ids' int64 [128], ...; outputs ...</c></summary>
    private static string MultiTensorSummary(ModelSpec spec)
    {
        string Tensors(EquatableArray<TensorSpec> tensors)
            => string.Join(", ", tensors.Select(t => "'" + t.Name + "' " + t.Type + " " + BracketShape(t.Shape, spec.DynamicBatch)));
        var text = new StringBuilder();
        text.Append(spec.Precision.ToLowerInvariant()).Append(" model compressed by BuildOptim");
        if (spec.SourceModel.Length > 0)
        {
            text.Append(" from ").Append(spec.SourceModel);
        }

        text.Append(". Inputs ").Append(Tensors(spec.Inputs)).Append("; outputs ").Append(Tensors(spec.Outputs)).Append('.');
        return text.ToString();
    }
}
