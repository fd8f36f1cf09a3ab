using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;
using Microsoft.ML.OnnxRuntime;

namespace BuildOptim.Compression.Evaluation;

/// <summary>The trusted fp32 reference: ONNX Runtime running the original model file.</summary>
public static class OrtReference
{
    private const int BatchSize = 64;

    /// <summary>Outputs of the original model for every sample, [sampleCount × outputLength].</summary>
    public static float[] Run(string modelPath, Network model, NdArray inputs)
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
            var inputNames = new[] { model.InputName };
            var outputNames = new[] { model.OutputName };
            for (int start = 0; start < inputs.SampleCount; start += batch)
            {
                int count = Math.Min(batch, inputs.SampleCount - start);
                var chunk = inputs.Data.AsSpan(start * inLength, count * inLength).ToArray();
                long[] shape = [count, .. model.InputShape.Select(d => (long)d)];
                using var value = OrtValue.CreateTensorValueFromMemory(chunk, shape);
                using var outputs = session.Run(runOptions, inputNames, [value], outputNames);
                var data = outputs[0].GetTensorDataAsSpan<float>();
                if (data.Length != count * outLength)
                {
                    throw new CompressionException(Diagnostics.ReferenceRuntimeFailed, modelPath, $"ONNX Runtime produced {data.Length} output values for {count} samples of '{modelPath}', expected {count * outLength}.");
                }

                data.CopyTo(result.AsSpan(start * outLength));
            }

            return result;
        }
        catch (OnnxRuntimeException e)
        {
            throw new CompressionException(Diagnostics.ReferenceRuntimeFailed, modelPath, $"ONNX Runtime could not run '{modelPath}' as the fp32 reference: {e.Message.Split('\n')[0]}");
        }
    }
}
