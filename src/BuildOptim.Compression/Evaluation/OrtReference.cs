using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace BuildOptim.Compression.Evaluation;

/// <summary>The trusted fp32 reference: ONNX Runtime running the original model file.</summary>
public static class OrtReference
{
    /// <summary>An input tensor of the element type the model declares, from the float values the engine holds.</summary>
    private static OrtValue TypedValue(TensorElementType type, float[] values, long[] shape) => type switch
    {
        TensorElementType.Int64 => OrtValue.CreateTensorValueFromMemory(values.Select(v => (long)v).ToArray(), shape),
        TensorElementType.Int32 => OrtValue.CreateTensorValueFromMemory(values.Select(v => (int)v).ToArray(), shape),
        TensorElementType.Bool => OrtValue.CreateTensorValueFromMemory(values.Select(v => v != 0).ToArray(), shape),
        _ => OrtValue.CreateTensorValueFromMemory(values, shape),
    };

    private const int BatchSize = 64;

    /// <summary>Outputs of the original model for every sample, [sampleCount × outputLength].</summary>
    public static float[] Run(string modelPath, Network model, NdArray inputs)
    {
        try
        {
            return RunSessions(modelPath, model, inputs);
        }
        catch (Exception e) when (IsMissingOnnxRuntime(e))
        {
            // The BuildOptim package ships the CLI without ONNX Runtime: restore puts the packages in the NuGet package
            // folders and the task passes those to the host. A build that skipped restore, or ran on a platform the
            // package has no natives for, ends here rather than in an internal error.
            string version = typeof(OrtReference).Assembly.GetReferencedAssemblies()
                .FirstOrDefault(a => a.Name == "Microsoft.ML.OnnxRuntime")?.Version?.ToString(3) ?? "";
            throw new CompressionException(Diagnostics.ReferenceRuntimeFailed, modelPath,
                $"ONNX Runtime {version}, the fp32 reference, could not be loaded for {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}: " +
                $"{e.Message.Split('\n')[0]} Run `dotnet restore` (it puts the Microsoft.ML.OnnxRuntime and Microsoft.ML.OnnxRuntime.Managed packages in the NuGet package folder), " +
                "or build on linux-x64, linux-arm64, win-x64, win-arm64 or osx-arm64.");
        }
    }

    private static bool IsMissingOnnxRuntime(Exception e) => e switch
    {
        FileNotFoundException f => f.FileName?.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal) == true,
        DllNotFoundException => true,
        TypeInitializationException t => t.InnerException is { } inner && IsMissingOnnxRuntime(inner),
        _ => false,
    };

    // Not inlined: the ONNX Runtime types load when this method is compiled, inside Run's try.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static float[] RunSessions(string modelPath, Network model, NdArray inputs)
    {
        try
        {
            using var options = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                IntraOpNumThreads = 1,
                InterOpNumThreads = 1,
                LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            };
            using var session = new InferenceSession(modelPath, options);
            using var runOptions = new RunOptions();
            int batch = model.DynamicBatch ? BatchSize : 1;
            int inLength = model.InputLength;
            int outLength = model.OutputLength;
            var result = new float[(long)inputs.SampleCount * outLength];
            var inputValues = model.Inputs.Select(model.Value).ToList();
            var outputValues = model.Outputs.Select(model.Value).ToList();
            var inputNames = inputValues.Select(v => v.Name).ToArray();
            var outputNames = outputValues.Select(v => v.Name).ToArray();
            for (int start = 0; start < inputs.SampleCount; start += batch)
            {
                int count = Math.Min(batch, inputs.SampleCount - start);
                var feeds = new List<OrtValue>();
                try
                {
                    // The packed samples, split per input and typed as the model declares it (int64 token ids, bool masks).
                    int offset = 0;
                    foreach (var value in inputValues)
                    {
                        int length = value.Length;
                        var chunk = new float[count * length];
                        for (int s = 0; s < count; s++)
                        {
                            inputs.Sample(start + s).Slice(offset, length).CopyTo(chunk.AsSpan(s * length));
                        }

                        long[] shape = [count, .. value.Shape[1..].Select(d => (long)d)];
                        feeds.Add(TypedValue(session.InputMetadata[value.Name].ElementDataType, chunk, shape));
                        offset += length;
                    }

                    using var outputs = session.Run(runOptions, inputNames, feeds, outputNames);
                    int outOffset = 0;
                    for (int o = 0; o < outputs.Count; o++)
                    {
                        int length = outputValues[o].Length;
                        var data = outputs[o].GetTensorDataAsSpan<float>();
                        if (data.Length != count * length)
                        {
                            throw new CompressionException(Diagnostics.ReferenceRuntimeFailed, modelPath, $"ONNX Runtime produced {data.Length} values of output '{outputNames[o]}' for {count} samples of '{modelPath}', expected {count * length}.");
                        }

                        for (int s = 0; s < count; s++)
                        {
                            data.Slice(s * length, length).CopyTo(result.AsSpan((start + s) * outLength + outOffset, length));
                        }

                        outOffset += length;
                    }
                }
                finally
                {
                    feeds.ForEach(f => f.Dispose());
                }
            }

            return result;
        }
        catch (OnnxRuntimeException e)
        {
            throw new CompressionException(Diagnostics.ReferenceRuntimeFailed, modelPath, $"ONNX Runtime could not run '{modelPath}' as the fp32 reference: {e.Message.Split('\n')[0]}");
        }
    }
}
