namespace BuildOptim.Tests.Fuzz;

/// <summary>
/// Seeded mutations of serialized protobuf (ONNX) bytes. Besides blind bit flips, byte overwrites and
/// truncation, it finds the wire structure (varints, including packed ones such as tensor dims, and
/// length prefixes of nested messages) so it can set a dimension, attribute or count to an extreme value
/// or make a length prefix lie, which blind mutations almost never reach.
/// </summary>
internal static class ProtobufMutator
{
    /// <summary>Values a varint is set to: the edges of int32/int64, negatives (10-byte varints), zero.</summary>
    private static readonly long[] Extremes =
    [
        0, 1, -1, 2, 3, -2, 7, 255, 256, 65535, 65536, 40000, int.MaxValue, (long)int.MaxValue + 1, uint.MaxValue,
        (long)uint.MaxValue + 1, 3_000_000_000, 1L << 40, long.MaxValue, long.MinValue, int.MinValue,
    ];

    private enum Kind { Varint, Length }

    /// <summary>A varint or length prefix at [Start, End); <paramref name="Outer"/> is the length prefix of the message holding it.</summary>
    private sealed record Field(Kind Kind, int Start, int End, long Value, Field? Outer);

    /// <summary>Applies 1 to 3 mutations to a copy of <paramref name="model"/>; <paramref name="log"/> says which.</summary>
    public static byte[] Mutate(byte[] model, Random random, List<string> log)
    {
        var bytes = model;
        int count = random.Next(10) switch { < 7 => 1, < 9 => 2, _ => 3 };
        for (int m = 0; m < count && bytes.Length > 0; m++)
        {
            // Mostly structure-preserving: blind mutations mostly end in the protobuf parser.
            bytes = random.Next(20) switch
            {
                < 12 => SetVarint(bytes, random, log),
                < 13 => BumpLength(bytes, random, log),
                < 16 => FlipBits(bytes, random, log),
                < 19 => OverwriteBytes(bytes, random, log),
                _ => Truncate(bytes, random, log),
            };
        }

        return bytes;
    }

    private static byte[] FlipBits(byte[] bytes, Random random, List<string> log)
    {
        var result = (byte[])bytes.Clone();
        int flips = random.Next(1, 9);
        for (int i = 0; i < flips; i++)
        {
            int at = random.Next(result.Length);
            int bit = random.Next(8);
            result[at] ^= (byte)(1 << bit);
            log.Add($"flip bit {bit} of byte {at}");
        }

        return result;
    }

    private static byte[] OverwriteBytes(byte[] bytes, Random random, List<string> log)
    {
        ReadOnlySpan<byte> interesting = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0x08, 0x10];
        var result = (byte[])bytes.Clone();
        int writes = random.Next(1, 9);
        for (int i = 0; i < writes; i++)
        {
            int at = random.Next(result.Length);
            result[at] = random.Next(2) == 0 ? interesting[random.Next(interesting.Length)] : (byte)random.Next(256);
            log.Add($"byte {at} = 0x{result[at]:X2}");
        }

        return result;
    }

    private static byte[] Truncate(byte[] bytes, Random random, List<string> log)
    {
        int length = random.Next(bytes.Length);
        log.Add($"truncate to {length} of {bytes.Length} bytes");
        return bytes[..length];
    }

    private static byte[] SetVarint(byte[] bytes, Random random, List<string> log)
    {
        var fields = Walk(bytes).Where(f => f.Kind == Kind.Varint).ToList();
        if (fields.Count == 0)
        {
            return FlipBits(bytes, random, log);
        }

        var field = fields[random.Next(fields.Count)];
        long value = random.Next(3) switch
        {
            0 => Extremes[random.Next(Extremes.Length)],
            1 => field.Value + random.Next(-3, 4),
            _ => field.Value * (1L << random.Next(1, 33)),
        };
        log.Add($"varint at {field.Start} = {value} (was {field.Value})");
        return Replace(bytes, field, value);
    }

    private static byte[] BumpLength(byte[] bytes, Random random, List<string> log)
    {
        var fields = Walk(bytes).Where(f => f.Kind == Kind.Length).ToList();
        if (fields.Count == 0)
        {
            return FlipBits(bytes, random, log);
        }

        var field = fields[random.Next(fields.Count)];
        long value = random.Next(4) == 0 ? Extremes[random.Next(Extremes.Length)] : Math.Max(0, field.Value + random.Next(-16, 17));
        log.Add($"length at {field.Start} = {value} (was {field.Value})");
        return Splice(bytes, field.Start, field.End, Encode(value));
    }

    /// <summary>Re-encodes one varint and every length prefix around it, so only the chosen value changes.</summary>
    private static byte[] Replace(byte[] bytes, Field field, long value)
    {
        byte[] encoded = Encode(value);
        int growth = encoded.Length - (field.End - field.Start);
        bytes = Splice(bytes, field.Start, field.End, encoded);
        for (var outer = field.Outer; outer is not null && growth != 0; outer = outer.Outer)
        {
            // Each enclosing prefix lies before everything spliced so far, so its position still holds.
            encoded = Encode(outer.Value + growth);
            int prefixGrowth = encoded.Length - (outer.End - outer.Start);
            bytes = Splice(bytes, outer.Start, outer.End, encoded);
            growth += prefixGrowth;
        }

        return bytes;
    }

    private static byte[] Splice(byte[] bytes, int start, int end, byte[] replacement)
        => [.. bytes.AsSpan(0, start), .. replacement, .. bytes.AsSpan(end)];

    private static byte[] Encode(long value)
    {
        var result = new List<byte>(10);
        ulong v = (ulong)value;
        do
        {
            byte b = (byte)(v & 0x7F);
            v >>= 7;
            result.Add(v == 0 ? b : (byte)(b | 0x80));
        }
        while (v != 0);
        return [.. result];
    }

    /// <summary>Every varint and length prefix of a message, recursing into fields that parse as messages or packed varints.</summary>
    private static List<Field> Walk(byte[] bytes)
    {
        var fields = new List<Field>();
        TryWalk(bytes, 0, bytes.Length, outer: null, depth: 0, fields);
        return fields;
    }

    private static bool TryWalk(byte[] bytes, int start, int end, Field? outer, int depth, List<Field> fields)
    {
        int mark = fields.Count;
        int pos = start;
        while (pos < end)
        {
            if (!TryReadVarint(bytes, ref pos, end, out ulong tag) || tag >> 3 == 0)
            {
                fields.RemoveRange(mark, fields.Count - mark);
                return false;
            }

            switch (tag & 7)
            {
                case 0:
                {
                    int valueStart = pos;
                    if (!TryReadVarint(bytes, ref pos, end, out ulong value))
                    {
                        fields.RemoveRange(mark, fields.Count - mark);
                        return false;
                    }

                    fields.Add(new Field(Kind.Varint, valueStart, pos, (long)value, outer));
                    break;
                }

                case 1:
                    pos += 8;
                    break;
                case 5:
                    pos += 4;
                    break;
                case 2:
                {
                    int lengthStart = pos;
                    if (!TryReadVarint(bytes, ref pos, end, out ulong length) || length > (ulong)(end - pos))
                    {
                        fields.RemoveRange(mark, fields.Count - mark);
                        return false;
                    }

                    var prefix = new Field(Kind.Length, lengthStart, pos, (long)length, outer);
                    fields.Add(prefix);
                    int bodyEnd = pos + (int)length;
                    bool text = length > 0 && bytes.AsSpan(pos, (int)length).IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) < 0;
                    if (!text && depth < 12 && !TryWalk(bytes, pos, bodyEnd, prefix, depth + 1, fields))
                    {
                        TryPackedVarints(bytes, pos, bodyEnd, prefix, fields);
                    }

                    pos = bodyEnd;
                    break;
                }

                default:
                    fields.RemoveRange(mark, fields.Count - mark);
                    return false;
            }
        }

        if (pos != end)
        {
            fields.RemoveRange(mark, fields.Count - mark);
            return false;
        }

        return true;
    }

    private static void TryPackedVarints(byte[] bytes, int start, int end, Field outer, List<Field> fields)
    {
        var found = new List<Field>();
        int pos = start;
        while (pos < end && found.Count < 64)
        {
            int valueStart = pos;
            if (!TryReadVarint(bytes, ref pos, end, out ulong value))
            {
                return;
            }

            found.Add(new Field(Kind.Varint, valueStart, pos, (long)value, outer));
        }

        if (pos == end)
        {
            fields.AddRange(found);
        }
    }

    private static bool TryReadVarint(byte[] bytes, ref int pos, int end, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 70 && pos < end; shift += 7)
        {
            byte b = bytes[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }
}
