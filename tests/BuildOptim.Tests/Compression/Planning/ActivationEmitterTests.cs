using BuildOptim.Compression.Planning.Ops;
using BuildOptim.Onnx.Ir;

namespace BuildOptim.Tests.Compression.Planning;

/// <summary>What a new <see cref="ActivationKind"/> needs of the emitter: a runtime activation of its name and a table function.</summary>
public class ActivationEmitterTests
{
    [Fact]
    public void Every_activation_kind_has_a_runtime_activation_of_its_name_and_an_int8_table_function()
    {
        foreach (var kind in Enum.GetValues<ActivationKind>())
        {
            Assert.Equal(kind.ToString(), ActivationEmitter.ToRuntime(kind).ToString());
            var layer = new ActivationLayer { Name = kind.ToString(), Inputs = [0], Output = 1, Kind = kind, Alpha = 0.5f, Beta = 2f };
            double y = ActivationEmitter.Apply(layer, 0.75);
            Assert.False(double.IsNaN(y), $"{kind} has no table value at 0.75");
        }
    }
}
