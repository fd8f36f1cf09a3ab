using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using BuildOptim.Tests.Runtime.Data;

namespace BuildOptim.Tests.Fuzz;

/// <summary>
/// Mutations for the data fuzzer, all drawn from the given <see cref="Random"/> so that a case replays
/// exactly: generic byte edits for every format, plus npy header fields, zip records and CSV tokens.
/// Each mutation appends a short description to the log.
/// </summary>
internal static class DataMutator
{
    private static readonly string[] HugeNumbers =
        ["4294967296", "2147483647", "2147483648", "9223372036854775807", "99999999999999999999999999", "-1", "0", "1e3", "100000, 100000", "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33"];

    private static readonly string[] Descrs =
        ["<f4", ">f8", "|u1", "|b1", "<f2", "<i8", ">u8", "|O", "<c8", "<U4", "|V8", "<M8[ns]", "<f16", "", "[('a', '<f4')]", "f4", "<f4\\x00"];

    private static readonly string[] CsvTokens =
        [",", "\n", "\r\n", "\"", "\"\"", "NaN", "-inf", "Infinity", "1e999", "1e-999", "#", "2.O", "\uFEFF", "   ", "0x1F", "1,2,3,4,5", "99999999999999999999999999999999999999999", "\u221E", "\0", "a,b,c\n", ";", "1.5e", "--1", "+", "\u00A0"];

    private static readonly uint[] HugeFields = [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF, 0x10_0000, 0x4000_0000];

    public static byte[] Mutate(string extension, byte[] seed, Random random, List<string> log)
    {
        byte[] bytes = seed;
        if (extension == ".npz" && random.Next(3) == 0)
        {
            bytes = MutateInside(bytes, random, log);
        }

        int count = 1 + random.Next(3);
        for (int i = 0; i < count; i++)
        {
            int choice = random.Next(10);
            bytes = choice switch
            {
                < 4 => MutateBytes(bytes, random, log),
                _ => extension switch
                {
                    ".npy" => MutateNpy(bytes, random, log),
                    ".npz" => MutateZip(bytes, random, log),
                    _ => MutateCsv(bytes, random, log),
                },
            };
        }
        return bytes;
    }

    /// <summary>Bit flips, byte sets, truncation, deletion, insertion, duplication; half aimed at the first 512 bytes (headers).</summary>
    public static byte[] MutateBytes(byte[] bytes, Random random, List<string> log)
    {
        if (bytes.Length == 0)
        {
            log.Add("insert into empty");
            return [(byte)random.Next(256)];
        }
        int Position() => random.Next(2) == 0 ? random.Next(Math.Min(bytes.Length, 512)) : random.Next(bytes.Length);
        int at = Position();
        switch (random.Next(6))
        {
            case 0:
            {
                int bit = random.Next(8);
                log.Add($"flip bit {bit} of byte {at}");
                byte[] copy = (byte[])bytes.Clone();
                copy[at] ^= (byte)(1 << bit);
                return copy;
            }
            case 1:
            {
                byte[] interesting = [0, 0xFF, 0x7F, 0x80, (byte)'(', (byte)')', (byte)',', (byte)'\'', (byte)'9', (byte)random.Next(256)];
                byte value = interesting[random.Next(interesting.Length)];
                log.Add($"set byte {at} to 0x{value:X2}");
                byte[] copy = (byte[])bytes.Clone();
                copy[at] = value;
                return copy;
            }
            case 2:
                log.Add($"truncate to {at} bytes");
                return bytes[..at];
            case 3:
            {
                int length = Math.Min(1 + random.Next(16), bytes.Length - at);
                log.Add($"delete {length} bytes at {at}");
                return [.. bytes.AsSpan(0, at), .. bytes.AsSpan(at + length)];
            }
            case 4:
            {
                byte[] inserted = new byte[1 + random.Next(16)];
                random.NextBytes(inserted);
                log.Add($"insert {inserted.Length} random bytes at {at}");
                return [.. bytes.AsSpan(0, at), .. inserted, .. bytes.AsSpan(at)];
            }
            default:
            {
                int length = Math.Min(1 + random.Next(64), bytes.Length - at);
                int to = random.Next(bytes.Length);
                log.Add($"copy {length} bytes from {at} to {to}");
                return [.. bytes.AsSpan(0, to), .. bytes.AsSpan(at, length), .. bytes.AsSpan(to)];
            }
        }
    }

    /// <summary>npy header edits: the shape tuple, the descr, the header-length field, the version.</summary>
    public static byte[] MutateNpy(byte[] bytes, Random random, List<string> log)
    {
        string text = Encoding.Latin1.GetString(bytes);
        int shape = text.IndexOf("'shape': (", StringComparison.Ordinal);
        int descr = text.IndexOf("'descr': '", StringComparison.Ordinal);
        switch (random.Next(4))
        {
            case 0 when shape >= 0:
            {
                int start = shape + "'shape': (".Length;
                int end = text.IndexOf(')', start);
                if (end < 0)
                {
                    break;
                }
                string value = HugeNumbers[random.Next(HugeNumbers.Length)] + (random.Next(2) == 0 ? "," : "");
                log.Add($"shape ({value})");
                return Splice(bytes, start, end - start, value, random, log);
            }
            case 1 when descr >= 0:
            {
                int start = descr + "'descr': '".Length;
                int end = text.IndexOf('\'', start);
                if (end < 0)
                {
                    break;
                }
                string value = Descrs[random.Next(Descrs.Length)];
                log.Add($"descr '{value}'");
                return Splice(bytes, start, end - start, value, random, log);
            }
            case 2 when bytes.Length >= 12:
            {
                byte[] copy = (byte[])bytes.Clone();
                uint value = HugeFields[random.Next(HugeFields.Length)];
                bool wide = copy[6] >= 2;
                log.Add($"header length field {value}");
                if (wide)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(8), value);
                }
                else
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(8), (ushort)value);
                }
                return copy;
            }
            case 3 when bytes.Length >= 8:
            {
                byte[] copy = (byte[])bytes.Clone();
                copy[6] = (byte)random.Next(5);
                copy[7] = (byte)random.Next(2);
                log.Add($"version {copy[6]}.{copy[7]}");
                return copy;
            }
        }
        return MutateBytes(bytes, random, log);
    }

    /// <summary>Replaces <paramref name="length"/> header bytes at <paramref name="start"/>, keeping the header-length field true or not.</summary>
    private static byte[] Splice(byte[] bytes, int start, int length, string value, Random random, List<string> log)
    {
        byte[] result = [.. bytes.AsSpan(0, start), .. Encoding.Latin1.GetBytes(value), .. bytes.AsSpan(start + length)];
        int delta = result.Length - bytes.Length;
        if (delta != 0 && random.Next(2) == 0 && result.Length >= 12 && result[6] is 1 or 2 or 3)
        {
            bool wide = result[6] >= 2;
            long headerLength = wide ? BinaryPrimitives.ReadUInt32LittleEndian(result.AsSpan(8)) : BinaryPrimitives.ReadUInt16LittleEndian(result.AsSpan(8));
            headerLength += delta;
            if (wide)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)headerLength);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)headerLength);
            }
            log.Add("header length kept true");
        }
        return result;
    }

    /// <summary>Zip record fields (local, central, end of central directory) set to huge, zero or nearby values.</summary>
    public static byte[] MutateZip(byte[] bytes, Random random, List<string> log)
    {
        var records = new List<(int Offset, string Kind)>();
        for (int i = 0; i + 4 <= bytes.Length; i++)
        {
            switch (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i)))
            {
                case 0x04034B50: records.Add((i, "local")); break;
                case 0x02014B50: records.Add((i, "central")); break;
                case 0x06054B50: records.Add((i, "end")); break;
            }
        }
        if (records.Count == 0)
        {
            return MutateBytes(bytes, random, log);
        }

        (int record, string kind) = records[random.Next(records.Count)];
        (string Name, int Offset, int Size)[] fields = kind switch
        {
            "local" => [("flags", 6, 2), ("method", 8, 2), ("crc", 14, 4), ("compressed", 18, 4), ("uncompressed", 22, 4), ("name length", 26, 2), ("extra length", 28, 2)],
            "central" => [("method", 10, 2), ("crc", 16, 4), ("compressed", 20, 4), ("uncompressed", 24, 4), ("name length", 28, 2), ("extra length", 30, 2), ("comment length", 32, 2), ("local offset", 42, 4)],
            _ => [("entries on disk", 8, 2), ("entries", 10, 2), ("directory size", 12, 4), ("directory offset", 16, 4), ("comment length", 20, 2)],
        };
        var field = fields[random.Next(fields.Length)];
        if (record + field.Offset + field.Size > bytes.Length)
        {
            return MutateBytes(bytes, random, log);
        }

        byte[] copy = (byte[])bytes.Clone();
        Span<byte> at = copy.AsSpan(record + field.Offset, field.Size);
        long old = field.Size == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(at) : BinaryPrimitives.ReadUInt32LittleEndian(at);
        long value = random.Next(3) switch
        {
            0 => HugeFields[random.Next(HugeFields.Length)],
            1 => old + random.Next(-64, 65),
            _ => old * (1 + random.Next(2000)),
        };
        log.Add($"{kind} record at {record}: {field.Name} {old} -> {value}");
        if (field.Size == 2)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(at, (ushort)value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(at, (uint)value);
        }
        return copy;
    }

    /// <summary>Mutates an .npy inside the archive (or an entry's name) and re-zips it, stored or deflated.</summary>
    public static byte[] MutateInside(byte[] zip, Random random, List<string> log)
    {
        (string Name, byte[] Bytes)[] entries;
        try
        {
            entries = HostileData.Entries(zip);
        }
        catch (InvalidDataException)
        {
            return zip;
        }
        if (entries.Length == 0)
        {
            return zip;
        }

        int target = random.Next(entries.Length);
        if (random.Next(5) == 0)
        {
            string[] names = ["labels.npy", "x.npy", "x", "x.npy/", "../x.npy", "a/b.npy", "x\n.npy", entries[0].Name];
            string name = names[random.Next(names.Length)];
            log.Add($"rename entry {target} to '{name}'");
            entries[target] = (name, entries[target].Bytes);
        }
        else
        {
            log.Add($"inside entry {target} ({entries[target].Name}):");
            entries[target] = (entries[target].Name, random.Next(2) == 0 ? MutateNpy(entries[target].Bytes, random, log) : MutateBytes(entries[target].Bytes, random, log));
        }
        var level = random.Next(2) == 0 ? CompressionLevel.NoCompression : CompressionLevel.Fastest;
        log.Add($"re-zipped {level}");
        return HostileData.Zip(level, entries);
    }

    /// <summary>CSV edits: a token inserted or a field replaced by one, a line duplicated or replaced by a header.</summary>
    public static byte[] MutateCsv(byte[] bytes, Random random, List<string> log)
    {
        string text = Encoding.UTF8.GetString(bytes);
        if (text.Length == 0)
        {
            return MutateBytes(bytes, random, log);
        }
        int at = random.Next(2) == 0 ? random.Next(Math.Min(text.Length, 200)) : random.Next(text.Length);
        string token = CsvTokens[random.Next(CsvTokens.Length)];
        string result;
        switch (random.Next(4))
        {
            case 0:
                log.Add($"insert {Escape(token)} at char {at}");
                result = text.Insert(at, token);
                break;
            case 1:
            {
                int end = text.IndexOfAny([',', '\n'], at);
                end = end < 0 ? text.Length : end;
                log.Add($"replace chars {at}..{end} by {Escape(token)}");
                result = text[..at] + token + text[end..];
                break;
            }
            case 2:
            {
                int lineStart = text.LastIndexOf('\n', Math.Max(0, at - 1)) + 1;
                int lineEnd = text.IndexOf('\n', at);
                lineEnd = lineEnd < 0 ? text.Length : lineEnd + 1;
                string line = text[lineStart..lineEnd];
                log.Add($"duplicate the line at char {lineStart} x{(line.Length < 100 ? 50 : 3)}");
                result = text[..lineStart] + string.Concat(Enumerable.Repeat(line.EndsWith('\n') ? line : line + "\n", line.Length < 100 ? 50 : 3)) + text[lineStart..];
                break;
            }
            default:
            {
                int lineEnd = text.IndexOf('\n', StringComparison.Ordinal);
                string header = random.Next(2) == 0 ? "a,b,c" : "x,2,y";
                log.Add($"first line -> '{header}'");
                result = header + (lineEnd < 0 ? "\n" : text[lineEnd..]);
                break;
            }
        }
        return Encoding.UTF8.GetBytes(result);
    }

    private static string Escape(string token) => "'" + token.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal) + "'";
}
