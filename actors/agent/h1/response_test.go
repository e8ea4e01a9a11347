package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMalformedResponses(t *testing.T) {
	const ok = "HTTP/1.1 200 OK\r\n"
	manyFields := strings.Repeat("X-Field: v\r\n", MaxHeaderCount+1)
	tests := []struct {
		name     string
		response string
		want     error
		inBody   bool // the error comes from reading the body, not RoundTrip
	}{
		{"empty response", "", io.EOF, false},
		{"status without code", "HTTP/1.1 OK\r\n\r\n", ErrMalformedResponse, false},
		{"not http", "SSH-2.0-OpenSSH_9.6\r\n\r\n", ErrMalformedResponse, false},
		{"status code letters", "HTTP/1.1 2x0 OK\r\n\r\n", ErrMalformedResponse, false},
		{"status code too long", "HTTP/1.1 2000 OK\r\n\r\n", ErrMalformedResponse, false},
		{"http2 version", "HTTP/2.0 200 OK\r\n\r\n", ErrMalformedResponse, false},
		{"header without colon", ok + "NoColon\r\n\r\n", ErrMalformedResponse, false},
		{"header name with space", ok + "Bad Name: v\r\n\r\n", ErrMalformedResponse, false},
		{
			"huge header", ok + "X-Big: " + strings.Repeat("a", 2*MaxHeaderBytes) + "\r\n\r\n",
			ErrHeaderTooLarge, false,
		},
		{"too many fields", ok + manyFields + "\r\n", ErrHeaderTooLarge, false},
		{"content length letters", ok + "Content-Length: abc\r\n\r\nabc", ErrMalformedResponse, false},
		{"content length negative", ok + "Content-Length: -1\r\n\r\n", ErrMalformedResponse, false},
		{"content length plus sign", ok + "Content-Length: +3\r\n\r\nabc", ErrMalformedResponse, false},
		{
			"content lengths conflict", ok + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
			ErrMalformedResponse, false,
		},
		{"content length short", ok + "Content-Length: 10\r\n\r\nabc", io.ErrUnexpectedEOF, true},
		{"unsupported coding", ok + "Transfer-Encoding: gzip\r\n\r\nabc", ErrUnsupportedResponse, false},
		{
			"switching protocols", "HTTP/1.1 101 Switching Protocols\r\n\r\n",
			ErrUnsupportedResponse, false,
		},
		{
			"too many 1xx", strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 6) + ok + "\r\n",
			ErrMalformedResponse, false,
		},
		{
			"bad chunk size", ok + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
			ErrMalformedResponse, true,
		},
		{"chunk cut short", ok + "Transfer-Encoding: chunked\r\n\r\n5\r\nab", io.ErrUnexpectedEOF, true},
		{
			"bad trailer", ok + "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nBad trailer\r\n\r\n",
			ErrMalformedResponse, true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clientClosed := make(chan struct{}, 1)
			srv := newRawServer(t, func(_ int64, c net.Conn) {
				if _, _, err := readRequest(bufio.NewReader(c)); err != nil {
					return
				}
				_, _ = io.WriteString(c, tt.response)
				_ = c.(*net.TCPConn).CloseWrite()
				drainUntilClosed(c, clientClosed)
			})
			tr := newTestTransport(t, Config{})

			resp, err := get(t, tr, srv.url())
			if !tt.inBody {
				if !errors.Is(err, tt.want) {
					t.Fatalf("RoundTrip error = %v, want %v", err, tt.want)
				}
			} else {
				if err != nil {
					t.Fatalf("RoundTrip: %v", err)
				}
				_, err = io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				if !errors.Is(err, tt.want) {
					t.Fatalf("body error = %v, want %v", err, tt.want)
				}
			}
			receive(t, clientClosed, "client to close the connection")
			if n := idleCount(tr); n != 0 {
				t.Errorf("idle connections = %d, want 0", n)
			}
		})
	}
}

func TestMalformedErrorNamesPart(t *testing.T) {
	tests := []struct {
		response string
		want     string
	}{
		{"HTTP/1.1 abc OK\r\n\r\n", "status code"},
		{"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "header"},
		{"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "Content-Length"},
	}
	for _, tt := range tests {
		srv := newRawServer(t, func(_ int64, c net.Conn) {
			if _, _, err := readRequest(bufio.NewReader(c)); err == nil {
				_, _ = io.WriteString(c, tt.response)
			}
		})
		tr := newTestTransport(t, Config{})
		_, err := get(t, tr, srv.url())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("response %q: error = %v, want it to name %q", tt.response, err, tt.want)
		}
	}
}

func TestHeadAndNoContent(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/head":
			w.Header().Set("Content-Length", "5")
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		default:
			_, _ = io.WriteString(w, "plain")
		}
	})
	tr := newTestTransport(t, Config{})
	tests := []struct {
		method, path string
		status       int
		length       int64
		body         string
	}{
		{http.MethodHead, "/head", 200, 5, ""},
		{http.MethodGet, "/204", 204, 0, ""},
		{http.MethodGet, "/304", 304, 0, ""},
		{http.MethodGet, "/plain", 200, 5, "plain"},
	}
	for _, tt := range tests {
		resp, err := do(t, tr, t.Context(), tt.method, srv.URL+tt.path, nil)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.path, err)
		}
		if got := readAll(t, resp); got != tt.body {
			t.Errorf("%s %s: body = %q, want %q", tt.method, tt.path, got, tt.body)
		}
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: status = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
		}
		if resp.ContentLength != tt.length {
			t.Errorf("%s %s: ContentLength = %d, want %d",
				tt.method, tt.path, resp.ContentLength, tt.length)
		}
	}
	if n := srv.opened.Load(); n != 1 {
		t.Errorf("server connections = %d, want 1", n)
	}
}

func TestInformationalSkipped(t *testing.T) {
	srv := newRawServer(t, func(_ int64, c net.Conn) {
		if _, _, err := readRequest(bufio.NewReader(c)); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n"+
			"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"+
			"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal")
		drainUntilClosed(c, nil)
	})
	tr := newTestTransport(t, Config{})

	resp, err := get(t, tr, srv.url())
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.StatusCode)
	}
	if got := resp.Header.Get("Link"); got != "" {
		t.Errorf("Link = %q, want the 103 headers dropped", got)
	}
	if got := readAll(t, resp); got != "final" {
		t.Errorf("body = %q, want final", got)
	}
}

func TestConnectionClose(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/close" {
			w.Header().Set("Connection", "close")
		}
		_, _ = io.WriteString(w, "ok")
	})
	tr := newTestTransport(t, Config{})

	for i := range 2 {
		resp, err := get(t, tr, srv.URL+"/close")
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		readAll(t, resp)
		if !resp.Close {
			t.Errorf("request %d: Close = false, want true", i)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/keep", nil)
	req.Close = true
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("request with Close: %v", err)
	}
	readAll(t, resp)

	if n := srv.opened.Load(); n != 3 {
		t.Errorf("server connections = %d, want 3", n)
	}
	if n := idleCount(tr); n != 0 {
		t.Errorf("idle connections = %d, want 0", n)
	}
}

func TestHTTP10Response(t *testing.T) {
	tests := []struct {
		name     string
		response string
		wantIdle int
	}{
		{"without keep-alive", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 0},
		{
			"with keep-alive",
			"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", 1,
		},
		{"close delimited", "HTTP/1.1 200 OK\r\n\r\nok", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, func(_ int64, c net.Conn) {
				if _, _, err := readRequest(bufio.NewReader(c)); err != nil {
					return
				}
				_, _ = io.WriteString(c, tt.response)
				_ = c.(*net.TCPConn).CloseWrite()
				drainUntilClosed(c, nil)
			})
			tr := newTestTransport(t, Config{})

			resp, err := get(t, tr, srv.url())
			if err != nil {
				t.Fatalf("RoundTrip: %v", err)
			}
			if got := readAll(t, resp); got != "ok" {
				t.Errorf("body = %q, want ok", got)
			}
			if resp.Close != (tt.wantIdle == 0) {
				t.Errorf("Close = %v, want %v", resp.Close, tt.wantIdle == 0)
			}
			if n := idleCount(tr); n != tt.wantIdle {
				t.Errorf("idle connections = %d, want %d", n, tt.wantIdle)
			}
		})
	}
}

func TestTrailerRead(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		_, _ = io.WriteString(w, "data")
		w.(http.Flusher).Flush()
		w.Header().Set("X-Checksum", "abc")
	})
	tr := newTestTransport(t, Config{})

	for i := range 2 {
		resp, err := get(t, tr, srv.URL)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if got := readAll(t, resp); got != "data" {
			t.Errorf("request %d: body = %q, want data", i, got)
		}
		if got := resp.Trailer.Get("X-Checksum"); got != "abc" {
			t.Errorf("request %d: trailer X-Checksum = %q, want abc", i, got)
		}
	}
	if n := srv.opened.Load(); n != 1 {
		t.Errorf("server connections = %d, want 1", n)
	}
}

func TestIdleConnTimeout(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	tr := newTestTransport(t, Config{IdleConnTimeout: time.Nanosecond})

	for i := range 3 {
		resp, err := get(t, tr, srv.URL)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		readAll(t, resp)
		time.Sleep(time.Millisecond) // longer than the idle timeout
	}
	if n := srv.opened.Load(); n != 3 {
		t.Errorf("server connections = %d, want 3", n)
	}
	waitFor(t, "expired connections closed", func() bool { return srv.closed.Load() >= 2 })
}

func TestMaxIdleConns(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	for _, tt := range []struct{ max, want int }{{1, 1}, {-1, 0}} {
		tr := newTestTransport(t, Config{MaxIdleConns: tt.max})
		var open []*http.Response
		for range 3 {
			resp, err := get(t, tr, srv.URL)
			if err != nil {
				t.Fatalf("RoundTrip: %v", err)
			}
			open = append(open, resp)
		}
		for _, resp := range open {
			readAll(t, resp)
		}
		if n := idleCount(tr); n != tt.want {
			t.Errorf("MaxIdleConns %d: idle connections = %d, want %d", tt.max, n, tt.want)
		}
	}
}

func TestCloseIdleConnections(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	tr := newTestTransport(t, Config{})

	resp, err := get(t, tr, srv.URL)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	readAll(t, resp)
	tr.CloseIdleConnections()
	if n := idleCount(tr); n != 0 {
		t.Errorf("idle connections = %d, want 0", n)
	}
	waitFor(t, "server to see the close", func() bool { return srv.closed.Load() == 1 })

	resp, err = get(t, tr, srv.URL)
	if err != nil {
		t.Fatalf("request after CloseIdleConnections: %v", err)
	}
	readAll(t, resp)
	if n := srv.opened.Load(); n != 2 {
		t.Errorf("server connections = %d, want 2", n)
	}
}

// TestNoGoroutines runs a round trip and reads a streamed body with the
// server's bytes already waiting in the socket, so no server goroutine runs
// and any goroutine the transport started would show in the count.
func TestNoGoroutines(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer func() { _ = ln.Close() }()
	const response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"7\r\nevent 1\r\n7\r\nevent 2\r\n0\r\n\r\n"

	var server net.Conn
	tr := newTestTransport(t, Config{
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			client, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if server, err = ln.Accept(); err != nil {
				return nil, err
			}
			_, err = io.WriteString(server, response)
			return client, err
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Wait for goroutines left by earlier tests, such as httptest's, to end.
	goleak.VerifyNone(t)
	before := runtime.NumGoroutine()
	resp, err := do(t, tr, ctx, http.MethodGet, "http://"+ln.Addr().String(), nil)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	defer func() { _ = server.Close() }()
	during := runtime.NumGoroutine()
	first := make([]byte, 7)
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "event 1" {
		t.Fatalf("first event = %q, %v", first, err)
	}
	streaming := runtime.NumGoroutine()
	if got := readAll(t, resp); got != "event 2" {
		t.Errorf("rest of body = %q, want event 2", got)
	}
	after := runtime.NumGoroutine()

	if during != before || streaming != before || after != before {
		t.Errorf("goroutines before %d, after RoundTrip %d, while streaming %d, after %d;"+
			" want no change", before, during, streaming, after)
	}
}

func TestErrorMessages(t *testing.T) {
	srv := newRawServer(t, func(_ int64, c net.Conn) {
		if _, _, err := readRequest(bufio.NewReader(c)); err == nil {
			_, _ = fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc")
		}
	})
	tr := newTestTransport(t, Config{})
	resp, err := get(t, tr, srv.url())
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	_, err = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err == nil || !strings.Contains(err.Error(), srv.ln.Addr().String()) {
		t.Errorf("error = %v, want it to name the server address", err)
	}
}

func TestExpiredIdleDropped(t *testing.T) {
	const timeout = 50 * time.Millisecond
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	tr := newTestTransport(t, Config{IdleConnTimeout: timeout})

	first, err := get(t, tr, srv.URL)
	if err != nil {
		t.Fatalf("first request: %v", err)
	}
	second, err := get(t, tr, srv.URL)
	if err != nil {
		t.Fatalf("second request: %v", err)
	}
	readAll(t, first)
	time.Sleep(2 * timeout) // the first connection expires in the pool
	readAll(t, second)

	if n := idleCount(tr); n != 1 {
		t.Errorf("idle connections = %d, want 1 after the expired one is dropped", n)
	}
	waitFor(t, "server to see the expired connection close", func() bool {
		return srv.closed.Load() == 1
	})
}
