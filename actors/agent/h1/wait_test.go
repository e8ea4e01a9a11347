package h1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// countingPool is a readerPool that counts the read buffers taken and not
// given back.
type countingPool struct {
	size int
	mu   sync.Mutex
	free []*bufio.Reader
	// outstanding counts the buffers taken and not given back.
	outstanding int
}

func (p *countingPool) Get() any {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.outstanding++
	if n := len(p.free); n > 0 {
		br := p.free[n-1]
		p.free = p.free[:n-1]
		return br
	}
	return bufio.NewReaderSize(nil, p.size)
}

func (p *countingPool) Put(x any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.outstanding--
	p.free = append(p.free, x.(*bufio.Reader))
}

// inUse returns the number of buffers taken and not given back.
func (p *countingPool) inUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.outstanding
}

// newCountingTransport returns a Transport whose read buffers come from a
// countingPool.
func newCountingTransport(t *testing.T) (*Transport, *countingPool) {
	t.Helper()
	tr := newTestTransport(t, Config{})
	pool := &countingPool{size: tr.cfg.ReadBufferSize}
	tr.readers = pool
	return tr, pool
}

// pausedServer replies to one request on each connection with head and
// first, waits until resume is closed, then writes rest. With keep set it
// leaves the connection open until the client closes it.
func pausedServer(
	t *testing.T, head, first, rest string, keep bool, resume <-chan struct{},
) *rawServer {
	t.Helper()
	return newRawServer(t, func(_ int64, c net.Conn) {
		br := bufio.NewReader(c)
		if _, _, err := readRequest(br); err != nil {
			return
		}
		if _, err := io.WriteString(c, head+first); err != nil {
			return
		}
		<-resume
		if _, err := io.WriteString(c, rest); err != nil {
			return
		}
		if keep {
			_, _, _ = readRequest(br)
		}
	})
}

func TestWaitHoldsNoReadBuffer(t *testing.T) {
	framings := []struct {
		name, head, first, rest, want string
		keep                          bool
	}{
		{
			"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
			"6\r\nfirst \r\n", "4\r\nrest\r\n0\r\n\r\n", "first rest", true,
		},
		{
			"content length", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
			"first ", "rest", "first rest", true,
		},
		{
			"until close", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
			"first ", "rest", "first rest", false,
		},
	}
	waits := []struct {
		name string
		wait func(io.Reader) error
	}{
		{"Read", func(io.Reader) error { return nil }},
		{"WaitReadable", func(r io.Reader) error {
			return r.(interface{ WaitReadable() error }).WaitReadable()
		}},
	}
	for _, f := range framings {
		for _, w := range waits {
			t.Run(f.name+" "+w.name, func(t *testing.T) {
				resume := make(chan struct{})
				srv := pausedServer(t, f.head, f.first, f.rest, f.keep, resume)
				tr, pool := newCountingTransport(t)
				ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
				defer cancel()

				resp, err := do(t, tr, ctx, http.MethodGet, srv.url(), nil)
				if err != nil {
					close(resume)
					t.Fatalf("RoundTrip: %v", err)
				}
				defer func() { _ = resp.Body.Close() }()
				got := readExactly(t, resp.Body, len("first "))

				// The next read waits for the server.
				type result struct {
					data string
					err  error
				}
				done := make(chan result, 1)
				go func() {
					if err := w.wait(resp.Body); err != nil {
						done <- result{err: err}
						return
					}
					buf := make([]byte, 100)
					n, err := resp.Body.Read(buf)
					done <- result{data: string(buf[:n]), err: err}
				}()
				waitFor(t, "read buffer back in the pool", func() bool { return pool.inUse() == 0 })
				close(resume)

				r := receive(t, done, "read after the server resumed")
				if r.err != nil && r.err != io.EOF {
					t.Fatalf("read after the wait: %v", r.err)
				}
				rest, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatalf("reading the rest: %v", err)
				}
				if got += r.data + string(rest); got != f.want {
					t.Errorf("body = %q, want %q", got, f.want)
				}
				wantIdle := 0
				if f.keep {
					wantIdle = 1
				}
				if n := idleCount(tr); n != wantIdle {
					t.Errorf("idle connections = %d, want %d", n, wantIdle)
				}
				if n := pool.inUse(); n != 0 {
					t.Errorf("read buffers in use after the body = %d, want 0", n)
				}
			})
		}
	}
}

// readExactly reads n bytes of r through reads smaller than a read buffer.
func readExactly(t *testing.T, r io.Reader, n int) string {
	t.Helper()
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatalf("reading %d bytes: %v", n, err)
	}
	return string(buf)
}

func TestIdleConnHoldsNoReadBuffer(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "hello")
	})
	tr, pool := newCountingTransport(t)

	for i := range 3 {
		resp, err := get(t, tr, srv.URL)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if got := readAll(t, resp); got != "hello" {
			t.Errorf("request %d: body = %q, want hello", i, got)
		}
		if n := idleCount(tr); n != 1 {
			t.Errorf("request %d: idle connections = %d, want 1", i, n)
		}
		if n := pool.inUse(); n != 0 {
			t.Errorf("request %d: read buffers held by the idle connection = %d, want 0", i, n)
		}
	}
	if n := srv.opened.Load(); n != 1 {
		t.Errorf("server connections = %d, want 1", n)
	}
}

func TestWaitReadableResults(t *testing.T) {
	tests := []struct {
		name     string
		response string
		wantErr  error
	}{
		{"end at close", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", io.EOF},
		{
			"chunked end", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			io.EOF,
		},
		{
			"malformed chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
			ErrMalformedResponse,
		},
		{
			"cut content length", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabc",
			nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, func(_ int64, c net.Conn) {
				if _, _, err := readRequest(bufio.NewReader(c)); err != nil {
					return
				}
				_, _ = io.WriteString(c, tt.response)
			})
			tr := newTestTransport(t, Config{})
			resp, err := get(t, tr, srv.url())
			if err != nil {
				t.Fatalf("RoundTrip: %v", err)
			}
			defer func() { _ = resp.Body.Close() }()
			waiter := resp.Body.(interface{ WaitReadable() error })

			err = waiter.WaitReadable()
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("WaitReadable = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && err != nil {
				t.Errorf("WaitReadable = %v, want nil with bytes buffered", err)
			}
			_, readErr := io.ReadAll(resp.Body)
			if tt.wantErr != nil && tt.wantErr != io.EOF && !errors.Is(readErr, tt.wantErr) {
				t.Errorf("Read after WaitReadable = %v, want %v", readErr, tt.wantErr)
			}
			if tt.wantErr == nil && !errors.Is(readErr, io.ErrUnexpectedEOF) {
				t.Errorf("Read of a cut body = %v, want io.ErrUnexpectedEOF", readErr)
			}
			_ = resp.Body.Close()
			if err := waiter.WaitReadable(); !errors.Is(err, ErrBodyClosed) {
				t.Errorf("WaitReadable after Close = %v, want ErrBodyClosed", err)
			}
		})
	}
}

func TestWaitReadableCancel(t *testing.T) {
	resume := make(chan struct{})
	defer close(resume)
	srv := pausedServer(t, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		"1\r\na\r\n", "0\r\n\r\n", true, resume)
	tr, pool := newCountingTransport(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	resp, err := do(t, tr, ctx, http.MethodGet, srv.url(), nil)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	readExactly(t, resp.Body, 1)
	done := make(chan error, 1)
	go func() { done <- resp.Body.(interface{ WaitReadable() error }).WaitReadable() }()
	waitFor(t, "read buffer back in the pool", func() bool { return pool.inUse() == 0 })
	cancel()

	err = receive(t, done, "WaitReadable after the cancel")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("WaitReadable = %v, want context.Canceled", err)
	}
	if _, err := resp.Body.Read(make([]byte, 10)); !errors.Is(err, context.Canceled) {
		t.Errorf("Read after the canceled wait = %v, want context.Canceled", err)
	}
}

func TestResetWhileWaitingIsReadError(t *testing.T) {
	srv := newRawServer(t, func(_ int64, c net.Conn) {
		br := bufio.NewReader(c)
		if _, _, err := readRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
		// The client reads the ten bytes, then waits for more: the reset
		// arrives during that wait.
		_, _ = br.ReadByte()
		_ = c.(*net.TCPConn).SetLinger(0)
	})
	tr := newTestTransport(t, Config{})

	resp, err := get(t, tr, srv.url())
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	readExactly(t, resp.Body, 10)
	conn := resp.Body.(*body).c.nc
	done := make(chan error, 1)
	go func() {
		_, err := resp.Body.Read(make([]byte, 100))
		done <- err
	}()
	// One byte makes the server reset the connection.
	_, _ = conn.Write([]byte{'x'})

	err = receive(t, done, "read after the reset")
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read error = %v, want ECONNRESET", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "read tcp") || strings.Contains(msg, "raw-read") {
		t.Errorf("read error = %q, want the message net.Conn.Read gives: read tcp ...", msg)
	}
}
