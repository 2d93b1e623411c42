using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Loftr.IO;

/// <summary>
/// Reads numpy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0): simple dtypes of either byte order, C or
/// Fortran order, and object arrays, whose pickled content is decoded by a restricted unpickler that only builds
/// inert values (numpy arrays/dtypes/scalars, numbers, strings, lists, tuples, dicts) and never runs code.
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads one <c>.npy</c> file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="allowObjectArrays">
    /// Whether object ('|O') arrays are decoded (numpy's <c>allow_pickle</c>). Safe to leave on: the pickle reader
    /// refuses every global outside a small numpy allow-list.
    /// </param>
    /// <exception cref="CheckpointFormatException">The file is malformed, truncated or uses an unsupported dtype.</exception>
    public static NpyArray Load(string path, bool allowObjectArrays = true)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointFormatException(path, "cannot read the file: " + e.Message, e);
        }
        return Parse(bytes, path, allowObjectArrays);
    }

    /// <summary>Parses the bytes of an <c>.npy</c> file.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">Name used in error messages.</param>
    /// <param name="allowObjectArrays">See <see cref="Load"/>.</param>
    public static NpyArray Parse(byte[] bytes, string sourceName, bool allowObjectArrays = true)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new CheckpointFormatException(sourceName, "not an .npy file (missing the \\x93NUMPY magic)");
        int major = bytes[6];
        int headerLen, headerStart;
        if (major == 1)
        {
            headerLen = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
            headerStart = 10;
        }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12) throw new CheckpointFormatException(sourceName, "truncated .npy header");
            uint hl = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
            if (hl > int.MaxValue) throw new CheckpointFormatException(sourceName, "truncated .npy header");
            headerLen = (int)hl;
            headerStart = 12;
        }
        else
        {
            throw new CheckpointFormatException(sourceName, $"unsupported .npy format version {major}.{bytes[7]}");
        }
        if ((long)headerStart + headerLen > bytes.Length)
            throw new CheckpointFormatException(sourceName,
                $"truncated .npy header: declares {headerLen} bytes, only {bytes.Length - headerStart} present");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes, headerStart, headerLen);
        var (descr, fortran, shape) = ParseHeader(sourceName, header);
        var data = bytes.AsSpan(headerStart + headerLen);

        if (descr is "|O" or "O" or "<O" or ">O")
        {
            if (!allowObjectArrays)
                throw new CheckpointFormatException(sourceName, "object arrays are disabled (allowObjectArrays = false)");
            var un = new RestrictedUnpickler(data.ToArray(), sourceName, UnpicklerPolicy.NumpyObjectArray);
            var value = PickleConvert.ToPublic(un.Load(), sourceName);
            if (value is not NpyArray arr || arr.Kind != 'O')
                throw new CheckpointFormatException(sourceName, "the pickled content of an object array is not a numpy object array");
            if (!arr.Shape.SequenceEqual(shape))
                throw new CheckpointFormatException(sourceName,
                    $"pickled object array has shape {TensorDTypes.FormatShape(arr.Shape)}, header says {TensorDTypes.FormatShape(shape)}");
            return arr;
        }
        return NpyArray.FromRaw(sourceName, descr, shape, fortran, data);
    }

    private static (string Descr, bool Fortran, long[] Shape) ParseHeader(string source, string header)
    {
        object? parsed;
        try
        {
            var p = new LiteralParser(header);
            parsed = p.ParseValue();
            p.SkipSpace();
            if (!p.AtEnd) throw new FormatException("unexpected text after the dictionary");
        }
        catch (FormatException e)
        {
            throw new CheckpointFormatException(source, $".npy header is not a valid Python dict literal ({e.Message}): {header.Trim()}", e);
        }
        if (parsed is not Dictionary<string, object?> d)
            throw new CheckpointFormatException(source, ".npy header is not a dict");
        if (!d.TryGetValue("descr", out var descrObj) || !d.TryGetValue("fortran_order", out var fo) || !d.TryGetValue("shape", out var sh))
            throw new CheckpointFormatException(source, ".npy header lacks 'descr', 'fortran_order' or 'shape'");
        if (descrObj is not string descr)
            throw new CheckpointFormatException(source, "structured numpy dtypes (a list 'descr') are not supported");
        if (fo is not bool fortran) throw new CheckpointFormatException(source, ".npy header 'fortran_order' is not a bool");
        if (sh is not List<object?> dims || dims.Any(x => x is not long l || l < 0))
            throw new CheckpointFormatException(source, ".npy header 'shape' is not a tuple of non-negative integers");
        return (descr, fortran, dims.Select(x => (long)x!).ToArray());
    }

    /// <summary>Parses the Python literals numpy writes in headers: dicts, tuples, lists, strings, ints, bools, None.</summary>
    private sealed class LiteralParser(string s)
    {
        private int _i;

        public bool AtEnd => _i >= s.Length;

        public void SkipSpace()
        {
            while (_i < s.Length && char.IsWhiteSpace(s[_i])) _i++;
        }

        public object? ParseValue()
        {
            SkipSpace();
            if (AtEnd) throw new FormatException("unexpected end");
            char c = s[_i];
            switch (c)
            {
                case '{':
                    {
                        _i++;
                        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
                        while (true)
                        {
                            SkipSpace();
                            if (Peek() == '}') { _i++; return d; }
                            if (ParseValue() is not string key) throw new FormatException("dict keys must be strings");
                            SkipSpace();
                            Expect(':');
                            d[key] = ParseValue();
                            SkipSpace();
                            if (Peek() == ',') _i++;
                            else if (Peek() != '}') throw new FormatException("expected ',' or '}'");
                        }
                    }
                case '(' or '[':
                    {
                        char close = c == '(' ? ')' : ']';
                        _i++;
                        var items = new List<object?>();
                        while (true)
                        {
                            SkipSpace();
                            if (Peek() == close) { _i++; return items; }
                            items.Add(ParseValue());
                            SkipSpace();
                            if (Peek() == ',') _i++;
                            else if (Peek() != close) throw new FormatException($"expected ',' or '{close}'");
                        }
                    }
                case '\'' or '"':
                    {
                        _i++;
                        var sb = new StringBuilder();
                        while (true)
                        {
                            if (AtEnd) throw new FormatException("unterminated string");
                            char ch = s[_i++];
                            if (ch == c) return sb.ToString();
                            if (ch == '\\' && !AtEnd) ch = s[_i++];
                            sb.Append(ch);
                        }
                    }
                default:
                    {
                        int start = _i;
                        while (_i < s.Length && (char.IsLetterOrDigit(s[_i]) || s[_i] is '-' or '+' or '_')) _i++;
                        string tok = s[start.._i];
                        if (tok == "True") return true;
                        if (tok == "False") return false;
                        if (tok == "None") return null;
                        string num = tok.EndsWith('L') ? tok[..^1] : tok;
                        if (long.TryParse(num, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) return v;
                        throw new FormatException($"unexpected token '{tok}'");
                    }
            }
        }

        private char Peek() => AtEnd ? '\0' : s[_i];

        private void Expect(char c)
        {
            if (Peek() != c) throw new FormatException($"expected '{c}'");
            _i++;
        }
    }
}
