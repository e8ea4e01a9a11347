package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStreamSSE(t *testing.T) {
	const events = 5
	ack := make(chan struct{})
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range events {
			_, _ = fmt.Fprintf(w, "data: event %d\n\n", i)
			w.(http.Flusher).Flush()
			// The next event is written only after the client has read this
			// one, so the test fails if the transport buffers the stream.
			select {
			case <-ack:
			case <-r.Context().Done():
				return
			}
		}
	})
	tr := newTestTransport(t, Config{})

	resp, err := get(t, tr, srv.URL)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("TransferEncoding = %q, want [chunked]", resp.TransferEncoding)
	}
	if resp.ContentLength != -1 {
		t.Errorf("ContentLength = %d, want -1", resp.ContentLength)
	}

	scanner := bufio.NewScanner(resp.Body)
	for i := range events {
		if !scanner.Scan() {
			t.Fatalf("event %d: stream ended: %v", i, scanner.Err())
		}
		if want := fmt.Sprintf("data: event %d", i); scanner.Text() != want {
			t.Fatalf("event %d: line = %q, want %q", i, scanner.Text(), want)
		}
		if !scanner.Scan() || scanner.Text() != "" {
			t.Fatalf("event %d: missing blank line after the event", i)
		}
		select {
		case ack <- struct{}{}:
		case <-time.After(waitLimit):
			t.Fatalf("event %d: server did not wait for the acknowledgement", i)
		}
	}
	if scanner.Scan() {
		t.Errorf("extra line %q after the last event", scanner.Text())
	}
	if err := scanner.Err(); err != nil {
		t.Errorf("stream error: %v", err)
	}
	waitFor(t, "connection back in the pool", func() bool { return idleCount(tr) == 1 })
}

func TestStreamCancel(t *testing.T) {
	serverSawClose := make(chan bool, 1)
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			serverSawClose <- true
		case <-time.After(waitLimit):
			serverSawClose <- false
		}
	})
	tr := newTestTransport(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	resp, err := do(t, tr, ctx, http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || line != "data: first\n" {
		t.Fatalf("first line = %q, %v", line, err)
	}

	readErr := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(br)
		readErr <- err
	}()
	cancel()
	select {
	case err = <-readErr:
	case <-time.After(time.Second):
		t.Fatal("read did not return within 1s of the cancel")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("read error = %v, want context.Canceled", err)
	}
	if !receive(t, serverSawClose, "server handler") {
		t.Error("server did not see the connection close")
	}
	if n := idleCount(tr); n != 0 {
		t.Errorf("idle connections = %d, want 0 after a cancel", n)
	}
}

func TestBodyCloseEarly(t *testing.T) {
	writeFailed := make(chan struct{}, 1)
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/short" {
			_, _ = io.WriteString(w, "ok")
			return
		}
		chunk := []byte(strings.Repeat("x", 1024) + "\n")
		for {
			if _, err := w.Write(chunk); err != nil {
				writeFailed <- struct{}{}
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	tr := newTestTransport(t, Config{})

	resp, err := get(t, tr, srv.URL+"/endless")
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 4096)); err != nil {
		t.Fatalf("reading the start of the stream: %v", err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := resp.Body.Read(make([]byte, 1)); !errors.Is(err, ErrBodyClosed) {
		t.Errorf("Read after Close = %v, want ErrBodyClosed", err)
	}
	receive(t, writeFailed, "server write error after the close")

	resp, err = get(t, tr, srv.URL+"/short")
	if err != nil {
		t.Fatalf("second request: %v", err)
	}
	readAll(t, resp)
	if n := srv.opened.Load(); n != 2 {
		t.Errorf("server connections = %d, want 2", n)
	}
}

func TestResetMidBody(t *testing.T) {
	srv := newRawServer(t, func(_ int64, c net.Conn) {
		if _, _, err := readRequest(bufio.NewReader(c)); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
		// Linger 0 makes Close send a reset instead of a FIN.
		_ = c.(*net.TCPConn).SetLinger(0)
	})
	tr := newTestTransport(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()

	resp, err := do(t, tr, ctx, http.MethodGet, srv.url(), nil)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	_, err = io.ReadAll(resp.Body)
	if err == nil {
		t.Fatal("reading a reset body succeeded, want an error")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("read hung until the deadline: %v", err)
	}
}

func TestResponseHeaderTimeout(t *testing.T) {
	const timeout = 50 * time.Millisecond
	srv := newRawServer(t, func(_ int64, c net.Conn) {
		br := bufio.NewReader(c)
		req, _, err := readRequest(br)
		if err != nil {
			return
		}
		if req.URL.Path == "/silent" {
			drainUntilClosed(c, nil)
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")
		// The body arrives after the header timeout, which must not apply.
		time.Sleep(3 * timeout)
		_, _ = io.WriteString(c, "body")
	})
	tr := newTestTransport(t, Config{ResponseHeaderTimeout: timeout})

	_, err := get(t, tr, srv.url()+"/silent")
	if !errors.Is(err, ErrResponseHeaderTimeout) {
		t.Fatalf("error = %v, want ErrResponseHeaderTimeout", err)
	}
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Errorf("error %v is not a net.Error with Timeout() true", err)
	}

	resp, err := get(t, tr, srv.url()+"/slow-body")
	if err != nil {
		t.Fatalf("slow body: RoundTrip: %v", err)
	}
	if got := readAll(t, resp); got != "body" {
		t.Errorf("slow body = %q, want body", got)
	}
}

func TestCancelDial(t *testing.T) {
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 20*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTestTransport(t, Config{
				Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
					<-ctx.Done()
					return nil, errors.New("dial aborted")
				},
			})
			ctx, cancel := tt.ctx()
			defer cancel()
			_, err := do(t, tr, ctx, http.MethodGet, "http://127.0.0.1:1/", nil)
			if !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCancelBlockedWrite(t *testing.T) {
	accepted := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := newRawServer(t, func(_ int64, c net.Conn) {
		// Read nothing until the test ends, so the client's write blocks
		// once the socket buffers are full.
		accepted <- struct{}{}
		<-release
	})
	defer close(release)
	tr := newTestTransport(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-accepted
		// Give the write time to fill the socket buffers and block. The
		// outcome is the same if the cancel comes first.
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()

	body := strings.NewReader(strings.Repeat("x", 48<<20))
	_, err := do(t, tr, ctx, http.MethodPost, srv.url(), body)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func TestCancelHeaderRead(t *testing.T) {
	gotRequest := make(chan struct{}, 1)
	srv := newRawServer(t, func(_ int64, c net.Conn) {
		if _, _, err := readRequest(bufio.NewReader(c)); err != nil {
			return
		}
		gotRequest <- struct{}{}
		drainUntilClosed(c, nil)
	})
	tr := newTestTransport(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	errs := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.url(), nil)
		_, err := tr.RoundTrip(req)
		errs <- err
	}()
	receive(t, gotRequest, "request at the server")
	cancel()
	if err := receive(t, errs, "RoundTrip"); !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func TestServerClosesIdle(t *testing.T) {
	closed := make(chan struct{}, 10)
	srv := newRawServer(t, func(_ int64, c net.Conn) {
		if _, _, err := readRequest(bufio.NewReader(c)); err != nil {
			return
		}
		// A keep-alive response, then the server closes the connection
		// anyway, as servers do when their idle timeout is short.
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		_ = c.Close()
		closed <- struct{}{}
	})
	tr := newTestTransport(t, Config{})

	for i := range 3 {
		resp, err := get(t, tr, srv.url())
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if got := readAll(t, resp); got != "ok" {
			t.Fatalf("request %d: body = %q", i, got)
		}
		receive(t, closed, "server close")
	}
	if n := srv.accepted.Load(); n != 3 {
		t.Errorf("server connections = %d, want 3", n)
	}
}

func TestIsAliveDetectsDeadConn(t *testing.T) {
	tests := []struct {
		name string
		act  func(c net.Conn)
	}{
		{"server closed", func(c net.Conn) { _ = c.Close() }},
		{"unexpected bytes", func(c net.Conn) { _, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			act := make(chan struct{})
			srv := newRawServer(t, func(_ int64, c net.Conn) {
				<-act
				tt.act(c)
				drainUntilClosed(c, nil)
			})
			nc, err := net.Dial("tcp", srv.ln.Addr().String())
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer func() { _ = nc.Close() }()

			if !isAlive(nc) {
				t.Fatal("isAlive = false on an open idle connection")
			}
			close(act)
			waitFor(t, "isAlive to report the connection dead", func() bool { return !isAlive(nc) })
		})
	}
}

func TestRetryStaleConnection(t *testing.T) {
	bodies := make(chan string, 10)
	srv := newRawServer(t, func(n int64, c net.Conn) {
		br := bufio.NewReader(c)
		for i := 0; ; i++ {
			_, body, err := readRequest(br)
			if err != nil {
				return
			}
			bodies <- fmt.Sprintf("conn %d: %s", n, body)
			if n == 1 && i == 1 {
				// The first connection drops the second request unanswered,
				// as a server closing an idle connection does in a race.
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	tr := newTestTransport(t, Config{})

	for i, payload := range []string{"first", "second"} {
		resp, err := do(t, tr, context.Background(), http.MethodPost, srv.url(),
			strings.NewReader(payload))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if got := readAll(t, resp); got != "ok" {
			t.Fatalf("request %d: body = %q", i, got)
		}
	}
	want := []string{"conn 1: first", "conn 1: second", "conn 2: second"}
	for _, w := range want {
		if got := receive(t, bodies, "server request"); got != w {
			t.Errorf("server got %q, want %q", got, w)
		}
	}
}

func TestNoRetryOnNewConnection(t *testing.T) {
	srv := newRawServer(t, func(_ int64, c net.Conn) {
		_, _, _ = readRequest(bufio.NewReader(c))
	})
	tr := newTestTransport(t, Config{})

	_, err := get(t, tr, srv.url())
	if !errors.Is(err, io.EOF) {
		t.Errorf("error = %v, want io.EOF", err)
	}
	if n := srv.accepted.Load(); n != 1 {
		t.Errorf("server connections = %d, want 1 because a new connection is not retried", n)
	}
}
