using System;
using System.Text;

namespace BuildOptim.Generator;

/// <summary>
/// Builds C# text line by line at the current indentation. Multi-line blocks (raw string literals
/// written in the emitter at any indentation) are re-indented line by line, so the emitter can keep
/// its templates readable. Line endings are always <c>\n</c> so output does not depend on the host.
/// </summary>
internal sealed class SourceWriter
{
    private const int SpacesPerLevel = 4;
    private readonly StringBuilder _builder = new();
    private int _indentation;

    public void Indent() => _indentation++;

    public void Unindent()
    {
        if (_indentation == 0)
        {
            throw new InvalidOperationException("Unbalanced indentation.");
        }

        _indentation--;
    }

    public void WriteLine() => _builder.Append('\n');

    /// <summary>Writes <paramref name="text"/>, one or more lines, each at the current indentation.</summary>
    public void WriteLine(string text)
    {
        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.Length > 0)
            {
                _builder.Append(' ', _indentation * SpacesPerLevel);
                _builder.Append(line);
            }

            _builder.Append('\n');
        }
    }

    /// <summary>Writes <paramref name="header"/> and an opening brace and indents; dispose the result to close the block.</summary>
    public Block OpenBlock(string header)
    {
        WriteLine(header);
        WriteLine("{");
        Indent();
        return new Block(this);
    }

    public override string ToString() => _builder.ToString();

    internal readonly struct Block : IDisposable
    {
        private readonly SourceWriter _writer;

        public Block(SourceWriter writer)
        {
            _writer = writer;
        }

        public void Dispose()
        {
            _writer.Unindent();
            _writer.WriteLine("}");
        }
    }
}
