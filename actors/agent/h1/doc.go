// Package h1 is a small HTTP/1.1 client transport for plain-HTTP upstreams,
// such as a model server on the same host or network.
//
// Transport implements http.RoundTripper, so it plugs into http.Client. Each
// round trip runs on the caller's goroutine: the request (line, headers and
// body) goes out in one Write, and the response is parsed from the
// connection's read buffer by the goroutine that called RoundTrip and later
// reads the body. No goroutine waits on a connection. Cancellation uses
// context.AfterFunc to set a past deadline on the connection, and the
// context package runs that function on a goroutine of its own only if the
// request's context ends before the round trip or body does.
//
// # Why
//
// net/http's Transport (Go 1.26) gives every open connection a read loop
// and a write loop goroutine and hands each request and response between
// them and the caller over channels. That costs CPU time per request and,
// for each open stream, two goroutine stacks and a 4 KiB read buffer and
// write buffer. BenchmarkRoundTrip measures
// the CPU time per request of both transports side by side (metric
// cpu-ns/op). This package keeps no goroutine per connection, and a
// connection that waits for the server with nothing left to read has no
// read buffer.
//
// # Read buffers
//
// Read buffers of Config.ReadBufferSize bytes come from a pool of the
// Transport. A connection takes one when bytes arrive and gives it back
// when it is empty and more bytes are needed, so a stream that waits for
// its next event, and a connection in the idle pool, have no buffer. On a
// *net.TCPConn or *net.UnixConn, on Linux, macOS and the BSDs, the wait
// runs through syscall.RawConn.Read
// with a function that takes a buffer, reads into it without blocking and
// gives it back when no byte was ready. That is the read(2) sequence of
// net.Conn.Read: one call when bytes are ready, and one more before
// waiting when none are. Deadlines, and so cancellation and
// ResponseHeaderTimeout, end this wait as they end net.Conn.Read, with the
// same errors. Other connections keep their buffer while they wait. A
// chunk-size line or CRLF that arrives in pieces is also waited for with
// the buffer held.
//
// A response body also has a WaitReadable method, which blocks until Read
// can return data, the end or an error without waiting for the server.
// A caller that reads the body through a buffer of its own, as the agent's
// SSE reader does, can give that buffer back, call WaitReadable, and take
// a buffer again only once data is there. Body bytes go straight from the
// network into the caller's slice when it is at least as large as a read
// buffer and the connection's buffer is empty, as with bufio.Reader.
//
// Chunked bodies are decoded by this package. The decoder accepts and
// rejects the same bytes as net/http's (httputil.NewChunkedReader, Go
// 1.26) with the same messages, including its 4096-byte chunk-size line
// limit, which FuzzChunkedReader checks. Unlike net/http's, it keeps no
// *bufio.Reader of its own, so the connection can give its buffer back.
//
// # Connections
//
// Idle connections are kept per host in a last-in, first-out pool, up to
// Config.MaxIdleConns in all. While any connection is idle, a timer checks
// them once a second with a non-blocking peek at each socket and closes
// those the server has closed or that have been idle longer than
// Config.IdleConnTimeout. So a connection the server closed is released
// within about a second, although no goroutine reads from it. The timer
// holds no goroutine while it waits and stops when the pool is empty.
// Before reuse, the same peek discards a connection the server has closed. A request that fails on a reused connection before any
// response byte arrives is sent once more on a new connection.
//
// A response body returns its connection to the pool at its clean end.
// Closing it earlier closes the connection, so an endless stream is never
// drained. Responses with "Connection: close", HTTP/1.0 responses without
// keep-alive, bodies delimited by the connection's end and requests with
// Close set are not reused.
//
// # Limits
//
//   - HTTP/1.1 (and HTTP/1.0 responses) over TCP only: no TLS, no HTTP/2,
//     no protocol upgrades. RoundTrip rejects URLs whose scheme is not
//     "http"; send https through net/http.
//   - No proxy: proxy environment variables are ignored.
//   - No transparent gzip: Accept-Encoding is sent only if the request
//     sets it, and bodies are returned as received.
//   - Headers are sent exactly as given, plus Host, Content-Length and, for
//     a request with Close set, "Connection: close". No User-Agent is added.
//     Request trailers are rejected.
//   - The request body is read into memory first, up to
//     MaxRequestBodyBytes, so that it can be written in one call and sent
//     again on a retry.
//   - A response head may take at most MaxHeaderBytes and MaxHeaderCount
//     fields. Only the chunked transfer coding is supported.
package h1
