namespace BuildOptim.Runtime.Data;

/// <summary>A parsed Python tuple; lists parse to <see cref="List{T}"/>.</summary>
internal sealed record PythonTuple(List<object?> Items);

/// <summary>
/// A strict parser for the subset of Python literals an .npy header uses: dicts with string keys,
/// tuples, lists, strings without escapes, integers (with Python 2's optional <c>L</c>), True, False
/// and None. It only builds values; nothing is ever evaluated.
/// </summary>
/// <remarks>
/// Values map to <see cref="string"/>, <see cref="long"/>, <see cref="bool"/>, <c>null</c>,
/// <see cref="PythonTuple"/>, <see cref="List{T}"/> of <see cref="object"/> and
/// <see cref="Dictionary{TKey,TValue}"/> of string to object. Errors are <see cref="FormatException"/>.
/// </remarks>
internal ref struct PythonLiteral
{
    private const int MaxDepth = 16;

    private readonly ReadOnlySpan<char> _text;
    private int _position;

    private PythonLiteral(ReadOnlySpan<char> text)
    {
        _text = text;
        _position = 0;
    }

    /// <summary>Parses <paramref name="text"/> as exactly one dict literal, surrounded by optional whitespace.</summary>
    public static Dictionary<string, object?> ParseDict(ReadOnlySpan<char> text)
    {
        var parser = new PythonLiteral(text);
        parser.SkipWhitespace();
        if (parser.Peek() != '{')
        {
            throw parser.Error("expected a dict literal");
        }
        var dict = (Dictionary<string, object?>)parser.ParseValue(0)!;
        parser.SkipWhitespace();
        if (parser._position != text.Length)
        {
            throw parser.Error("unexpected text after the dict");
        }
        return dict;
    }

    private object? ParseValue(int depth)
    {
        if (depth > MaxDepth)
        {
            throw Error("nesting too deep");
        }
        SkipWhitespace();
        char c = Peek();
        switch (c)
        {
            case '{':
                return ParseDictBody(depth);
            case '[':
                _position++;
                return ParseSequence(']', depth, out _);
            case '(':
                _position++;
                List<object?> items = ParseSequence(')', depth, out bool sawComma);
                // (x) is just x in Python; only (), (x,) and (x, y...) are tuples.
                return items.Count == 1 && !sawComma ? items[0] : new PythonTuple(items);
            case '\'' or '"':
                return ParseString();
            case '-' or (>= '0' and <= '9'):
                return ParseInteger();
            default:
                if (TryKeyword("True"))
                {
                    return true;
                }
                if (TryKeyword("False"))
                {
                    return false;
                }
                if (TryKeyword("None"))
                {
                    return null;
                }
                throw Error(_position >= _text.Length ? "unexpected end of header" : $"unexpected character U+{(int)c:X4}");
        }
    }

    private Dictionary<string, object?> ParseDictBody(int depth)
    {
        _position++; // '{'
        var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (true)
        {
            SkipWhitespace();
            if (Peek() == '}')
            {
                _position++;
                return dict;
            }
            if (Peek() is not ('\'' or '"'))
            {
                throw Error("dict keys must be strings");
            }
            string key = ParseString();
            SkipWhitespace();
            Expect(':');
            object? value = ParseValue(depth + 1);
            if (!dict.TryAdd(key, value))
            {
                throw Error($"duplicate key '{key}'");
            }
            SkipWhitespace();
            if (Peek() == ',')
            {
                _position++;
            }
            else if (Peek() != '}')
            {
                throw Error("expected ',' or '}'");
            }
        }
    }

    private List<object?> ParseSequence(char close, int depth, out bool sawComma)
    {
        var items = new List<object?>();
        sawComma = false;
        while (true)
        {
            SkipWhitespace();
            if (Peek() == close)
            {
                _position++;
                return items;
            }
            items.Add(ParseValue(depth + 1));
            SkipWhitespace();
            if (Peek() == ',')
            {
                _position++;
                sawComma = true;
            }
            else if (Peek() != close)
            {
                throw Error($"expected ',' or '{close}'");
            }
        }
    }

    private string ParseString()
    {
        char quote = _text[_position++];
        int start = _position;
        while (_position < _text.Length && _text[_position] != quote)
        {
            if (_text[_position] is '\\' or '\n' or '\r')
            {
                throw Error("escapes and line breaks are not allowed in header strings");
            }
            _position++;
        }
        if (_position == _text.Length)
        {
            throw Error("unterminated string");
        }
        string value = _text[start.._position].ToString();
        _position++; // closing quote
        return value;
    }

    private long ParseInteger()
    {
        bool negative = Peek() == '-';
        if (negative)
        {
            _position++;
            SkipWhitespace();
        }
        int digitsStart = _position;
        long value = 0;
        while (_position < _text.Length && char.IsAsciiDigit(_text[_position]))
        {
            int digit = _text[_position] - '0';
            if (value > (long.MaxValue - digit) / 10)
            {
                throw Error("integer too large");
            }
            value = (value * 10) + digit;
            _position++;
        }
        if (_position == digitsStart)
        {
            throw Error("expected digits");
        }
        if (Peek() is 'L' or 'l')
        {
            _position++; // Python 2 long suffix; numpy filters it out of old headers too
        }
        if (char.IsAsciiLetterOrDigit(Peek()) || Peek() is '.' or '_')
        {
            throw Error("only plain integers are allowed");
        }
        return negative ? -value : value;
    }

    private bool TryKeyword(string keyword)
    {
        ReadOnlySpan<char> rest = _text[_position..];
        if (!rest.StartsWith(keyword, StringComparison.Ordinal))
        {
            return false;
        }
        if (rest.Length > keyword.Length && (char.IsAsciiLetterOrDigit(rest[keyword.Length]) || rest[keyword.Length] == '_'))
        {
            return false;
        }
        _position += keyword.Length;
        return true;
    }

    private void Expect(char c)
    {
        if (Peek() != c)
        {
            throw Error($"expected '{c}'");
        }
        _position++;
    }

    private readonly char Peek() => _position < _text.Length ? _text[_position] : '\0';

    private void SkipWhitespace()
    {
        while (_position < _text.Length && _text[_position] is ' ' or '\t' or '\n' or '\r')
        {
            _position++;
        }
    }

    private readonly FormatException Error(string problem) => new($"{problem} at offset {_position}");
}
