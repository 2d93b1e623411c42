using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;
using static TorchSharp.torch;

namespace Loftr.IO;

/// <summary>
/// A pickle virtual machine (protocols 0–5) written from scratch that never imports or calls anything:
/// GLOBAL / STACK_GLOBAL / INST resolve only names on an explicit <see cref="UnpicklerPolicy"/> allow-list (anything
/// else is refused at that opcode), and REDUCE / NEWOBJ / BUILD only act on the few allow-listed callables
/// (OrderedDict, torch tensor rebuilders, numpy dtype/scalar/array reconstruction, <c>_codecs.encode</c>, set).
/// Values are plain .NET objects; see <see cref="PickleConvert.ToPublic"/> for the public shapes.
/// </summary>
internal sealed class RestrictedUnpickler
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private readonly byte[] _data;
    private readonly string _source;
    private readonly UnpicklerPolicy _policy;
    private readonly Func<object?, object?>? _persistentLoad;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];
    private int _pos;
    private int _opPos;
    private byte _op;

    /// <param name="data">The pickle bytes.</param>
    /// <param name="source">File (and entry) name used in error messages.</param>
    /// <param name="policy">What the pickle may reference.</param>
    /// <param name="persistentLoad">Resolves PERSID/BINPERSID ids (torch storages); null refuses them.</param>
    public RestrictedUnpickler(byte[] data, string source, UnpicklerPolicy policy, Func<object?, object?>? persistentLoad = null)
    {
        _data = data;
        _source = source;
        _policy = policy;
        _persistentLoad = persistentLoad;
    }

    private CheckpointFormatException Fail(string problem) =>
        new(_source, $"malformed pickle: {problem} (opcode {OpName(_op)} at offset {_opPos})");

    /// <summary>Runs the pickle to its STOP opcode and returns the top object (raw unpickler values).</summary>
    public object? Load()
    {
        while (true)
        {
            if (_pos >= _data.Length)
            {
                _opPos = _pos;
                throw new CheckpointFormatException(_source,
                    $"malformed pickle: data ended at offset {_pos} without a STOP opcode (truncated)");
            }
            _opPos = _pos;
            _op = _data[_pos++];
            switch (_op)
            {
                case 0x80: // PROTO
                    {
                        int proto = ReadByte();
                        if (proto > 5) throw Fail($"unsupported pickle protocol {proto}");
                        break;
                    }
                case 0x95: // FRAME
                    {
                        ulong len = ReadU64();
                        if (len > (ulong)(_data.Length - _pos)) throw Fail($"frame of {len} bytes runs past the end of the data (truncated)");
                        break;
                    }
                case (byte)'.': // STOP
                    {
                        var result = Pop();
                        return result;
                    }
                case (byte)'(':
                    _marks.Push(_stack.Count);
                    break;
                case (byte)'0': // POP
                    if (_stack.Count > Fence) _stack.RemoveAt(_stack.Count - 1);
                    else if (_marks.Count > 0) PopMark();
                    else throw Fail("stack underflow");
                    break;
                case (byte)'1': // POP_MARK
                    PopMark();
                    break;
                case (byte)'2': // DUP
                    Push(Peek());
                    break;

                // ---- numbers
                case (byte)'I': // INT (text)
                    {
                        string s = ReadLine();
                        if (s == "00") Push(false);
                        else if (s == "01") Push(true);
                        else Push(ParseInteger(s));
                        break;
                    }
                case (byte)'L': // LONG (text)
                    Push(ParseInteger(ReadLine().TrimEnd('L')));
                    break;
                case (byte)'J': Push((long)ReadI32()); break; // BININT
                case (byte)'K': Push((long)ReadByte()); break; // BININT1
                case (byte)'M': Push((long)ReadU16()); break; // BININT2
                case 0x8a: Push(DecodeLong(ReadBytes(ReadByte()))); break; // LONG1
                case 0x8b: // LONG4
                    {
                        int n = ReadI32();
                        if (n < 0) throw Fail("negative LONG4 length");
                        Push(DecodeLong(ReadBytes(n)));
                        break;
                    }
                case (byte)'F': // FLOAT (text)
                    {
                        string s = ReadLine();
                        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
                            d = s switch { "inf" => double.PositiveInfinity, "-inf" => double.NegativeInfinity, "nan" => double.NaN, _ => throw Fail($"bad FLOAT literal '{s}'") };
                        Push(d);
                        break;
                    }
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT

                // ---- strings and bytes
                case (byte)'S': Push(Encoding.Latin1.GetString(ParseQuotedString(ReadLine()))); break; // STRING
                case (byte)'T': Push(DecodeLegacyString(ReadBytes(ReadLength32()))); break; // BINSTRING
                case (byte)'U': Push(DecodeLegacyString(ReadBytes(ReadByte()))); break; // SHORT_BINSTRING
                case (byte)'V': Push(DecodeRawUnicodeEscape(ReadLine())); break; // UNICODE
                case (byte)'X': Push(DecodeUtf8(ReadBytes(ReadLength32U()))); break; // BINUNICODE
                case 0x8c: Push(DecodeUtf8(ReadBytes(ReadByte()))); break; // SHORT_BINUNICODE
                case 0x8d: Push(DecodeUtf8(ReadBytes(ReadLength64()))); break; // BINUNICODE8
                case (byte)'B': Push(ReadBytes(ReadLength32U()).ToArray()); break; // BINBYTES
                case (byte)'C': Push(ReadBytes(ReadByte()).ToArray()); break; // SHORT_BINBYTES
                case 0x8e: Push(ReadBytes(ReadLength64()).ToArray()); break; // BINBYTES8
                case 0x96: Push(ReadBytes(ReadLength64()).ToArray()); break; // BYTEARRAY8

                // ---- constants
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;

                // ---- tuples, lists, dicts, sets
                case (byte)')': Push(Array.Empty<object?>()); break;
                case (byte)'t': Push(PopMark()); break;
                case 0x85: { var a = Pop(); Push(new[] { a }); break; }
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; }
                case (byte)']': Push(new List<object?>()); break;
                case (byte)'l': Push(new List<object?>(PopMark())); break;
                case (byte)'a': // APPEND
                    {
                        var v = Pop();
                        AsList(Peek(), "APPEND").Add(v);
                        break;
                    }
                case (byte)'e': // APPENDS
                    {
                        var items = PopMark();
                        AsList(Peek(), "APPENDS").AddRange(items);
                        break;
                    }
                case (byte)'}': Push(new PyDict()); break;
                case (byte)'d': // DICT
                    {
                        var items = PopMark();
                        if (items.Length % 2 != 0) throw Fail("odd number of items for DICT");
                        var d = new PyDict();
                        for (int i = 0; i < items.Length; i += 2) SetItem(d, items[i], items[i + 1]);
                        Push(d);
                        break;
                    }
                case (byte)'s': // SETITEM
                    {
                        var v = Pop();
                        var k = Pop();
                        SetItem(AsDict(Peek(), "SETITEM"), k, v);
                        break;
                    }
                case (byte)'u': // SETITEMS
                    {
                        var items = PopMark();
                        if (items.Length % 2 != 0) throw Fail("odd number of items for SETITEMS");
                        var d = AsDict(Peek(), "SETITEMS");
                        for (int i = 0; i < items.Length; i += 2) SetItem(d, items[i], items[i + 1]);
                        break;
                    }
                case 0x8f: Push(new PySet()); break; // EMPTY_SET
                case 0x90: // ADDITEMS
                    {
                        var items = PopMark();
                        if (Peek() is not PySet set) throw Fail($"ADDITEMS on a {Describe(Peek())}");
                        set.Items.AddRange(items);
                        break;
                    }
                case 0x91: // FROZENSET
                    {
                        var set = new PySet();
                        set.Items.AddRange(PopMark());
                        Push(set);
                        break;
                    }

                // ---- memo
                case (byte)'p': _memo[ParseMemoKey(ReadLine())] = Peek(); break; // PUT
                case (byte)'q': _memo[ReadByte()] = Peek(); break; // BINPUT
                case (byte)'r': _memo[ReadU32()] = Peek(); break; // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break; // MEMOIZE
                case (byte)'g': Push(GetMemo(ParseMemoKey(ReadLine()))); break; // GET
                case (byte)'h': Push(GetMemo(ReadByte())); break; // BINGET
                case (byte)'j': Push(GetMemo(ReadU32())); break; // LONG_BINGET

                // ---- globals and object construction
                case (byte)'c': // GLOBAL
                    {
                        string module = ReadLine();
                        string name = ReadLine();
                        Push(Resolve(module, name));
                        break;
                    }
                case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop();
                        var module = Pop();
                        if (module is not string m || name is not string n)
                            throw Fail($"STACK_GLOBAL needs two strings, found {Describe(module)} and {Describe(name)}");
                        Push(Resolve(m, n));
                        break;
                    }
                case (byte)'i': // INST
                    {
                        string module = ReadLine();
                        string name = ReadLine();
                        var g = Resolve(module, name);
                        Push(Call(g, PopMark(), "INST"));
                        break;
                    }
                case (byte)'o': // OBJ
                    {
                        var items = PopMark();
                        if (items.Length == 0) throw Fail("OBJ without a class");
                        Push(Call(items[0], items[1..], "OBJ"));
                        break;
                    }
                case (byte)'R': // REDUCE
                    {
                        var args = Pop();
                        var func = Pop();
                        if (args is not object?[] tuple) throw Fail($"REDUCE arguments must be a tuple, found {Describe(args)}");
                        Push(Call(func, tuple, "REDUCE"));
                        break;
                    }
                case 0x81: // NEWOBJ
                    {
                        var args = Pop();
                        var cls = Pop();
                        if (args is not object?[] tuple) throw Fail($"NEWOBJ arguments must be a tuple, found {Describe(args)}");
                        Push(NewObj(cls, tuple));
                        break;
                    }
                case 0x92: // NEWOBJ_EX
                    {
                        var kwargs = Pop();
                        var args = Pop();
                        var cls = Pop();
                        if (args is not object?[] tuple) throw Fail($"NEWOBJ_EX arguments must be a tuple, found {Describe(args)}");
                        if (kwargs is not PyDict kw || kw.Items.Count != 0) throw Fail("NEWOBJ_EX with keyword arguments is not supported");
                        Push(NewObj(cls, tuple));
                        break;
                    }
                case (byte)'b': // BUILD
                    {
                        var state = Pop();
                        Build(Peek(), state);
                        break;
                    }
                case (byte)'P': // PERSID
                    Push(PersistentLoad(ReadLine()));
                    break;
                case (byte)'Q': // BINPERSID
                    Push(PersistentLoad(Pop()));
                    break;
                case 0x82 or 0x83 or 0x84:
                    throw Fail("extension-registry opcodes (EXT1/EXT2/EXT4) are not allowed");
                case 0x97:
                    throw Fail("out-of-band buffers (NEXT_BUFFER) are not supported");
                case 0x98: // READONLY_BUFFER
                    break;
                default:
                    throw new CheckpointFormatException(_source,
                        $"malformed pickle: unknown opcode 0x{_op:x2} at offset {_opPos}");
            }
        }
    }

    // ------------------------------------------------------------------ stack

    private int Fence => _marks.Count > 0 ? _marks.Peek() : 0;

    private void Push(object? v) => _stack.Add(v);

    private object? Pop()
    {
        if (_stack.Count <= Fence) throw Fail("stack underflow");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Peek()
    {
        if (_stack.Count <= Fence) throw Fail("stack underflow");
        return _stack[^1];
    }

    private object?[] PopMark()
    {
        if (_marks.Count == 0) throw Fail("MARK missing (stack underflow)");
        int m = _marks.Pop();
        var items = _stack.GetRange(m, _stack.Count - m).ToArray();
        _stack.RemoveRange(m, _stack.Count - m);
        return items;
    }

    private object? GetMemo(long key) =>
        _memo.TryGetValue(key, out var v) ? v : throw Fail($"memo key {key} was never stored");

    private long ParseMemoKey(string s) =>
        long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long k) ? k : throw Fail($"bad memo key '{s}'");

    // ------------------------------------------------------------------ reading

    private int ReadByte()
    {
        if (_pos >= _data.Length) throw Truncated(1);
        return _data[_pos++];
    }

    private ReadOnlySpan<byte> ReadBytes(long n)
    {
        if (n < 0 || n > _data.Length - _pos) throw Truncated(n);
        var s = _data.AsSpan(_pos, (int)n);
        _pos += (int)n;
        return s;
    }

    private CheckpointFormatException Truncated(long need) =>
        Fail($"needs {need} more bytes but only {_data.Length - _pos} remain (truncated)");

    private int ReadU16() => BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2));
    private int ReadI32() => BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4));
    private long ReadU32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));
    private ulong ReadU64() => BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));

    private int ReadLength32()
    {
        int n = ReadI32();
        if (n < 0) throw Fail("negative length");
        return n;
    }

    private long ReadLength32U() => ReadU32();

    private long ReadLength64()
    {
        ulong n = ReadU64();
        if (n > int.MaxValue) throw Truncated((long)Math.Min(n, long.MaxValue));
        return (long)n;
    }

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw Fail("text argument has no terminating newline (truncated)");
        string s = Encoding.Latin1.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s.EndsWith('\r') ? s[..^1] : s;
    }

    private object ParseInteger(string s)
    {
        if (!BigInteger.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var b))
            throw Fail($"bad integer literal '{s}'");
        return b >= long.MinValue && b <= long.MaxValue ? (object)(long)b : b;
    }

    private static object DecodeLong(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return 0L;
        var b = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return b >= long.MinValue && b <= long.MaxValue ? (object)(long)b : b;
    }

    private string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        try { return StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException) { throw Fail("string is not valid UTF-8"); }
    }

    // Python 2 str (BINSTRING): torch.load decodes these as UTF-8; fall back to Latin-1.
    private static string DecodeLegacyString(ReadOnlySpan<byte> bytes)
    {
        try { return StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException) { return Encoding.Latin1.GetString(bytes); }
    }

    private byte[] ParseQuotedString(string s)
    {
        if (s.Length < 2 || (s[0] != '\'' && s[0] != '"') || s[^1] != s[0]) throw Fail("STRING argument is not quoted");
        var body = s[1..^1];
        var outp = new List<byte>(body.Length);
        for (int i = 0; i < body.Length; i++)
        {
            char ch = body[i];
            if (ch != '\\' || i + 1 >= body.Length) { outp.Add((byte)ch); continue; }
            char e = body[++i];
            switch (e)
            {
                case 'n': outp.Add((byte)'\n'); break;
                case 't': outp.Add((byte)'\t'); break;
                case 'r': outp.Add((byte)'\r'); break;
                case '0': outp.Add(0); break;
                case 'x' when i + 2 < body.Length && int.TryParse(body.AsSpan(i + 1, 2), NumberStyles.HexNumber, null, out int hx):
                    outp.Add((byte)hx); i += 2; break;
                default: outp.Add((byte)e); break;
            }
        }
        return outp.ToArray();
    }

    private string DecodeRawUnicodeEscape(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length && (s[i + 1] == 'u' || s[i + 1] == 'U'))
            {
                int len = s[i + 1] == 'u' ? 4 : 8;
                if (i + 2 + len <= s.Length && int.TryParse(s.AsSpan(i + 2, len), NumberStyles.HexNumber, null, out int cp))
                {
                    sb.Append(char.ConvertFromUtf32(cp));
                    i += 1 + len;
                    continue;
                }
            }
            sb.Append(s[i]);
        }
        return sb.ToString();
    }

    // ------------------------------------------------------------------ containers

    private List<object?> AsList(object? o, string op) =>
        o as List<object?> ?? throw Fail($"{op} on a {Describe(o)} (only lists support it here)");

    private PyDict AsDict(object? o, string op) =>
        o as PyDict ?? throw Fail($"{op} on a {Describe(o)} (only dicts support it here)");

    private void SetItem(PyDict d, object? key, object? value)
    {
        object k = key switch
        {
            null => PyNoneKey.Instance,
            List<object?> or PyDict or PySet or Tensor or PyNdarray => throw Fail($"unhashable dict key of type {Describe(key)}"),
            _ => key,
        };
        d.Items[k] = value;
    }

    // ------------------------------------------------------------------ globals

    private AllowedGlobal Resolve(string module, string name)
    {
        var g = _policy.Find(module, name);
        if (g is null)
        {
            string shown = module + "." + name;
            if (shown.Length > 200) shown = shown[..200] + "...";
            throw new CheckpointFormatException(_source,
                $"refusing to load: the pickle references '{shown}', which is not allowed in {_policy.Context} " +
                $"(allowed: {_policy.AllowedSummary})");
        }
        return g;
    }

    private object? Call(object? func, object?[] args, string op)
    {
        if (func is not AllowedGlobal g)
            throw Fail($"{op} applied to a {Describe(func)}, which is not callable");
        switch (g.Kind)
        {
            case GlobalKind.OrderedDict:
            case GlobalKind.AttributeDict:
                {
                    var d = new PyDict { IsOrdered = true, ClassName = g.Kind == GlobalKind.AttributeDict ? g.FullName : null };
                    if (args.Length > 1) throw Fail($"{g.FullName}() takes at most one argument");
                    if (args.Length == 1 && args[0] is not null)
                        foreach (var pair in Iterate(args[0], g.FullName))
                        {
                            var kv = Iterate(pair, g.FullName).ToArray();
                            if (kv.Length != 2) throw Fail($"{g.FullName}() items must be pairs");
                            SetItem(d, kv[0], kv[1]);
                        }
                    return d;
                }
            case GlobalKind.RebuildTensorV2:
                return RebuildTensor(args);
            case GlobalKind.RebuildParameter:
            case GlobalKind.RebuildParameterWithState:
                {
                    int want = g.Kind == GlobalKind.RebuildParameter ? 3 : 4;
                    if (args.Length != want || args[0] is not Tensor t)
                        throw Fail($"{g.FullName} expects ({(want == 3 ? "data, requires_grad, backward_hooks" : "data, requires_grad, backward_hooks, state")}) with a tensor");
                    return t;
                }
            case GlobalKind.TorchSize:
                {
                    if (args.Length != 1) throw Fail("torch.Size expects one tuple");
                    return Iterate(args[0], "torch.Size").ToArray();
                }
            case GlobalKind.CodecsEncode:
                {
                    if (args.Length is < 1 or > 2 || args[0] is not string text)
                        throw Fail("_codecs.encode expects (str, encoding)");
                    string enc = args.Length == 2 ? args[1] as string ?? "" : "utf-8";
                    return enc.ToLowerInvariant() switch
                    {
                        "latin1" or "latin-1" or "iso-8859-1" or "iso8859-1" => EncodeLatin1(text),
                        "utf-8" or "utf8" => Encoding.UTF8.GetBytes(text),
                        "ascii" => EncodeLatin1(text),
                        _ => throw Fail($"_codecs.encode with encoding '{enc}' is not supported"),
                    };
                }
            case GlobalKind.BuiltinsSet:
            case GlobalKind.BuiltinsFrozenset:
                {
                    var set = new PySet();
                    if (args.Length > 1) throw Fail($"{g.FullName}() takes at most one argument");
                    if (args.Length == 1) set.Items.AddRange(Iterate(args[0], g.FullName));
                    return set;
                }
            case GlobalKind.NumpyDtype:
                return MakeNumpyDtype(args);
            case GlobalKind.NumpyScalar:
                return MakeNumpyScalar(args);
            case GlobalKind.NumpyReconstruct:
                {
                    if (args.Length != 3 || args[0] is not AllowedGlobal { Kind: GlobalKind.NumpyNdarray })
                        throw Fail($"{g.FullName} may only rebuild numpy.ndarray");
                    return new PyNdarray();
                }
            default:
                throw Fail($"'{g.FullName}' is allowed only as an inert name and cannot be called");
        }
    }

    private object? NewObj(object? cls, object?[] args)
    {
        if (cls is AllowedGlobal { Kind: GlobalKind.OrderedDict or GlobalKind.AttributeDict or GlobalKind.BuiltinsSet or GlobalKind.BuiltinsFrozenset } g)
            return Call(g, [], "NEWOBJ"); // cls.__new__: contents arrive later (SETITEMS / ADDITEMS)
        throw Fail($"NEWOBJ on a {Describe(cls)}, which may not be instantiated");
    }

    private void Build(object? obj, object? state)
    {
        switch (obj)
        {
            case PyDict d:
                // Instance attributes of a dict subclass (e.g. OrderedDict._metadata): kept, but inert.
                if (state is object?[] { Length: 2 } pair) state = pair[0] ?? pair[1];
                if (state is not (PyDict or null)) throw Fail($"BUILD state for a dict must be a dict, found {Describe(state)}");
                d.State = state;
                return;
            case NumpyDtype dt:
                {
                    if (state is not object?[] st || st.Length < 8)
                        throw Fail("numpy dtype state must be a tuple of at least 8 items");
                    if (st[1] is string { Length: 1 } order && "<>|=".Contains(order[0]))
                        dt.ByteOrder = order[0] == '=' ? (BitConverter.IsLittleEndian ? '<' : '>') : order[0];
                    else throw Fail($"numpy dtype byte order {Describe(st[1])} is not one of < > | =");
                    if (st[3] is not null || st[4] is not null)
                        throw Fail("structured numpy dtypes (with fields) are not supported");
                    if (st[5] is long elsize && elsize > 0 && dt.Kind is 'U' or 'S') dt.ItemSize = checked((int)elsize);
                    return;
                }
            case PyNdarray arr:
                {
                    if (state is not object?[] st || st.Length is not (4 or 5))
                        throw Fail("numpy array state must be (version, shape, dtype, is_fortran, data)");
                    int o = st.Length == 5 ? 1 : 0;
                    var shape = Iterate(st[o], "numpy array shape").Select(x => x is long l && l >= 0 ? l : throw Fail("numpy array shape must hold non-negative integers")).ToArray();
                    if (st[o + 1] is not NumpyDtype dtype) throw Fail($"numpy array dtype is a {Describe(st[o + 1])}");
                    if (st[o + 2] is not bool fortran) throw Fail("numpy array is_fortran flag must be a bool");
                    arr.Shape = shape;
                    arr.Dtype = dtype;
                    arr.Fortran = fortran;
                    arr.Raw = st[o + 3];
                    arr.Built = true;
                    return;
                }
            default:
                throw Fail($"BUILD on a {Describe(obj)} is not allowed");
        }
    }

    private object? PersistentLoad(object? pid)
    {
        if (_persistentLoad is null) throw Fail("persistent ids are not allowed here");
        return _persistentLoad(pid);
    }

    private IEnumerable<object?> Iterate(object? o, string what) => o switch
    {
        object?[] t => t,
        List<object?> l => l,
        PySet s => s.Items,
        _ => throw Fail($"{what} expects a tuple or list, found {Describe(o)}"),
    };

    private byte[] EncodeLatin1(string s)
    {
        var b = new byte[s.Length];
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] > 0xFF) throw Fail("_codecs.encode: character outside Latin-1");
            b[i] = (byte)s[i];
        }
        return b;
    }

    // ------------------------------------------------------------------ torch

    private Tensor RebuildTensor(object?[] args)
    {
        if (args.Length is < 6 or > 7)
            throw Fail($"torch._utils._rebuild_tensor_v2 expects 6 or 7 arguments, found {args.Length}");
        if (args[0] is not TorchStorage storage)
            throw Fail($"torch._utils._rebuild_tensor_v2 needs a storage, found {Describe(args[0])}");
        if (args[1] is not long offset || offset < 0) throw Fail("tensor storage offset must be a non-negative integer");
        long[] size = IntTuple(args[2], "size");
        long[] stride = IntTuple(args[3], "stride");
        if (size.Length != stride.Length)
            throw Fail($"tensor size {TensorDTypes.FormatShape(size)} and stride {TensorDTypes.FormatShape(stride)} differ in length");
        if (args[4] is not bool) throw Fail("requires_grad must be a bool");
        if (size.Any(s => s < 0) || stride.Any(s => s < 0))
            throw Fail($"tensor size {TensorDTypes.FormatShape(size)} / stride {TensorDTypes.FormatShape(stride)} has negative entries");
        long numel = TensorDTypes.CheckedNumel(size);
        if (numel < 0) throw Fail($"tensor size {TensorDTypes.FormatShape(size)} overflows");
        if (numel > 0)
        {
            long last = offset;
            try
            {
                for (int i = 0; i < size.Length; i++) last = checked(last + (size[i] - 1) * stride[i]);
            }
            catch (OverflowException) { last = long.MaxValue; }
            if (last >= storage.Numel)
                throw new CheckpointFormatException(_source,
                    $"tensor view (offset {offset}, size {TensorDTypes.FormatShape(size)}, stride {TensorDTypes.FormatShape(stride)}) " +
                    $"reaches element {last} of storage '{storage.Key}', which has only {storage.Numel} elements");
        }
        else if (offset > storage.Numel)
        {
            throw new CheckpointFormatException(_source, $"tensor offset {offset} lies outside storage '{storage.Key}' ({storage.Numel} elements)");
        }
        return storage.Data.as_strided(size, stride, offset);
    }

    private long[] IntTuple(object? o, string what)
    {
        if (o is not object?[] t) throw Fail($"tensor {what} must be a tuple, found {Describe(o)}");
        var r = new long[t.Length];
        for (int i = 0; i < t.Length; i++)
            r[i] = t[i] is long l ? l : throw Fail($"tensor {what} must hold integers, found {Describe(t[i])}");
        return r;
    }

    // ------------------------------------------------------------------ numpy

    private NumpyDtype MakeNumpyDtype(object?[] args)
    {
        if (args.Length < 1 || args[0] is not string spec || spec.Length < 1)
            throw Fail("numpy.dtype expects a type string such as 'f8'");
        char kind = spec[0];
        int.TryParse(spec.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int n);
        if (kind == '?') { kind = 'b'; n = 1; }
        int itemSize = kind switch
        {
            'b' when n is 1 or 0 => 1,
            'i' or 'u' when n is 1 or 2 or 4 or 8 => n,
            'f' when n is 2 or 4 or 8 => n,
            'c' when n is 8 or 16 => n,
            'O' => 8,
            'U' => n * 4,
            'S' => n,
            _ => throw Fail($"numpy dtype '{spec}' is not supported"),
        };
        return new NumpyDtype(kind, itemSize) { ByteOrder = itemSize <= 1 || kind is 'O' or 'S' ? '|' : '<' };
    }

    private object? MakeNumpyScalar(object?[] args)
    {
        if (args.Length is < 1 or > 2 || args[0] is not NumpyDtype dt)
            throw Fail("numpy scalar expects (dtype, data)");
        if (dt.Kind == 'O') return args.Length == 2 ? args[1] : null;
        byte[] raw = args.Length == 2 ? args[1] switch
        {
            byte[] b => b,
            string s => EncodeLatin1(s),
            _ => throw Fail($"numpy scalar data is a {Describe(args[1])}, not bytes"),
        } : throw Fail("numpy scalar without data");
        if (raw.Length != dt.ItemSize)
            throw Fail($"numpy scalar of dtype {dt.Descr} needs {dt.ItemSize} bytes, found {raw.Length}");
        var span = raw.AsSpan();
        bool big = dt.ByteOrder == '>';
        if (big && dt.Kind is 'i' or 'u' or 'f' or 'c' or 'U')
        {
            span = raw.ToArray();
            TensorDTypes.SwapBytes(span, dt.Kind == 'U' ? 4 : dt.Kind == 'c' ? dt.ItemSize / 2 : dt.ItemSize);
        }
        return dt.Kind switch
        {
            'b' => span[0] != 0,
            'i' => dt.ItemSize switch
            {
                1 => (long)(sbyte)span[0],
                2 => (long)BinaryPrimitives.ReadInt16LittleEndian(span),
                4 => (long)BinaryPrimitives.ReadInt32LittleEndian(span),
                _ => BinaryPrimitives.ReadInt64LittleEndian(span),
            },
            'u' => dt.ItemSize switch
            {
                1 => (long)span[0],
                2 => (long)BinaryPrimitives.ReadUInt16LittleEndian(span),
                4 => (long)BinaryPrimitives.ReadUInt32LittleEndian(span),
                _ => BinaryPrimitives.ReadUInt64LittleEndian(span) is var u && u <= long.MaxValue ? (long)u : (object)new BigInteger(u),
            },
            'f' => dt.ItemSize switch
            {
                2 => (double)BinaryPrimitives.ReadHalfLittleEndian(span),
                4 => (double)BinaryPrimitives.ReadSingleLittleEndian(span),
                _ => BinaryPrimitives.ReadDoubleLittleEndian(span),
            },
            'U' => NpyArray.DecodeUtf32(span),
            'S' => span.TrimEnd((byte)0).ToArray(),
            _ => throw Fail($"numpy scalars of dtype {dt.Descr} are not supported"),
        };
    }

    // ------------------------------------------------------------------ messages

    private static string Describe(object? o) => o switch
    {
        null => "None",
        AllowedGlobal g => $"'{g.FullName}'",
        string => "str",
        long or BigInteger => "int",
        double => "float",
        bool => "bool",
        byte[] => "bytes",
        object?[] => "tuple",
        List<object?> => "list",
        PyDict => "dict",
        PySet => "set",
        Tensor => "tensor",
        TorchStorage => "storage",
        NumpyDtype => "numpy dtype",
        PyNdarray => "numpy array",
        _ => o.GetType().Name,
    };

    private static string OpName(byte op) => op switch
    {
        0x80 => "PROTO", 0x95 => "FRAME", (byte)'.' => "STOP", (byte)'(' => "MARK", (byte)'0' => "POP",
        (byte)'1' => "POP_MARK", (byte)'2' => "DUP", (byte)'I' => "INT", (byte)'L' => "LONG", (byte)'J' => "BININT",
        (byte)'K' => "BININT1", (byte)'M' => "BININT2", 0x8a => "LONG1", 0x8b => "LONG4", (byte)'F' => "FLOAT",
        (byte)'G' => "BINFLOAT", (byte)'S' => "STRING", (byte)'T' => "BINSTRING", (byte)'U' => "SHORT_BINSTRING",
        (byte)'V' => "UNICODE", (byte)'X' => "BINUNICODE", 0x8c => "SHORT_BINUNICODE", 0x8d => "BINUNICODE8",
        (byte)'B' => "BINBYTES", (byte)'C' => "SHORT_BINBYTES", 0x8e => "BINBYTES8", 0x96 => "BYTEARRAY8",
        (byte)'N' => "NONE", 0x88 => "NEWTRUE", 0x89 => "NEWFALSE", (byte)')' => "EMPTY_TUPLE", (byte)'t' => "TUPLE",
        0x85 => "TUPLE1", 0x86 => "TUPLE2", 0x87 => "TUPLE3", (byte)']' => "EMPTY_LIST", (byte)'l' => "LIST",
        (byte)'a' => "APPEND", (byte)'e' => "APPENDS", (byte)'}' => "EMPTY_DICT", (byte)'d' => "DICT",
        (byte)'s' => "SETITEM", (byte)'u' => "SETITEMS", 0x8f => "EMPTY_SET", 0x90 => "ADDITEMS", 0x91 => "FROZENSET",
        (byte)'p' => "PUT", (byte)'q' => "BINPUT", (byte)'r' => "LONG_BINPUT", 0x94 => "MEMOIZE", (byte)'g' => "GET",
        (byte)'h' => "BINGET", (byte)'j' => "LONG_BINGET", (byte)'c' => "GLOBAL", 0x93 => "STACK_GLOBAL",
        (byte)'i' => "INST", (byte)'o' => "OBJ", (byte)'R' => "REDUCE", 0x81 => "NEWOBJ", 0x92 => "NEWOBJ_EX",
        (byte)'b' => "BUILD", (byte)'P' => "PERSID", (byte)'Q' => "BINPERSID", 0x82 => "EXT1", 0x83 => "EXT2",
        0x84 => "EXT4", 0x97 => "NEXT_BUFFER", 0x98 => "READONLY_BUFFER",
        _ => $"0x{op:x2}",
    };
}
