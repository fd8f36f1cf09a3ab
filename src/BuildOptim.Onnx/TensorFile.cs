using Google.Protobuf;
using Onnx;

namespace BuildOptim.Onnx;

/// <summary>Reads serialized ONNX <c>TensorProto</c> files (the backend test suite's <c>input_N.pb</c>/<c>output_N.pb</c>).</summary>
public static class TensorFile
{
    public static Tensor Read(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return OnnxModelLoader.ToTensor(TensorProto.Parser.ParseFrom(stream), path);
        }
        catch (Exception e) when (OnnxModelLoader.IsCorruptProtobuf(e))
        {
            throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"'{path}' is not a serialized ONNX tensor: {e.Message}");
        }
    }
}
