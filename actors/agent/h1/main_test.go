package h1

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitLimit bounds every wait in the tests. It is generous because the
// tests run on shared machines under the race detector, and it only turns
// a hang into a failure.
const waitLimit = 10 * time.Second

// waitFor polls cond until it holds or waitLimit passes.
func waitFor(t *testing.T, description string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", description)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// receive returns the next value from ch, failing the test after waitLimit.
func receive[T any](t *testing.T, ch <-chan T, description string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("timed out waiting for %s", description)
		var zero T
		return zero
	}
}

// countingServer is an httptest server that counts the connections it
// accepts and closes.
type countingServer struct {
	*httptest.Server
	opened atomic.Int64
	closed atomic.Int64
}

func newCountingServer(t *testing.T, handler http.HandlerFunc) *countingServer {
	t.Helper()
	s := &countingServer{Server: httptest.NewUnstartedServer(handler)}
	s.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		switch state {
		case http.StateNew:
			s.opened.Add(1)
		case http.StateClosed, http.StateHijacked:
			s.closed.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// newTestTransport returns a Transport whose idle connections are closed
// when the test ends.
func newTestTransport(t *testing.T, cfg Config) *Transport {
	t.Helper()
	tr := New(cfg)
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// rawServer accepts TCP connections on 127.0.0.1 and runs serve for each
// on its own goroutine, so a test can script any byte sequence.
type rawServer struct {
	ln       net.Listener
	accepted atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

func newRawServer(t *testing.T, serve func(n int64, c net.Conn)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &rawServer{ln: ln}
	s.wg.Add(1)
	go s.acceptLoop(serve)
	t.Cleanup(s.close)
	return s
}

func (s *rawServer) acceptLoop(serve func(n int64, c net.Conn)) {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		n := s.accepted.Add(1)
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { _ = c.Close() }()
			serve(n, c)
		}()
	}
}

func (s *rawServer) close() {
	_ = s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *rawServer) url() string { return "http://" + s.ln.Addr().String() }

// readRequest reads one request and its body from br.
func readRequest(br *bufio.Reader) (*http.Request, []byte, error) {
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(req.Body)
	return req, body, err
}

// drainUntilClosed reads c until the client closes it, then reports on done.
func drainUntilClosed(c net.Conn, done chan<- struct{}) {
	_, _ = io.Copy(io.Discard, c)
	if done != nil {
		done <- struct{}{}
	}
}

// get sends a GET to url with a background context.
func get(t *testing.T, tr *Transport, url string) (*http.Response, error) {
	t.Helper()
	return do(t, tr, context.Background(), http.MethodGet, url, nil)
}

func do(
	t *testing.T, tr *Transport, ctx context.Context, method, url string, body io.Reader,
) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	return tr.RoundTrip(req)
}

// readAll reads and closes resp's body.
func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}

// idleCount returns the number of idle connections tr holds.
func idleCount(tr *Transport) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.idleCount
}
