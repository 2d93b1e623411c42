using System.Net;
using System.Net.Sockets;

namespace Loftr.Tests.Shared;

/// <summary>
/// A loopback HTTP server for download tests: serves <see cref="Files"/> (URL path → body), 404 otherwise, and records
/// every requested path. Compiled into both test projects (linked source).
/// </summary>
public sealed class LocalFileServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<string> _requests = [];

    /// <summary>Starts listening on a free loopback port.</summary>
    public LocalFileServer()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }
        Prefix = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Prefix);
        _listener.Start();
        _ = Task.Run(Serve);
    }

    /// <summary>The server's base URL, ending in '/'.</summary>
    public string Prefix { get; }

    /// <summary>URL path (e.g. "/good/x.ckpt") → response body.</summary>
    public Dictionary<string, byte[]> Files { get; } = [];

    /// <summary>The paths requested so far, in order.</summary>
    public IReadOnlyList<string> Requests
    {
        get { lock (_requests) return _requests.ToArray(); }
    }

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            string path = ctx.Request.Url!.AbsolutePath;
            lock (_requests) _requests.Add(path);
            if (Files.TryGetValue(path, out var body))
            {
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentLength64 = body.Length;
                await ctx.Response.OutputStream.WriteAsync(body);
            }
            else
            {
                ctx.Response.StatusCode = 404;
            }
            ctx.Response.Close();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}
