package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRoundTripGet(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Path", r.URL.RequestURI())
		_, _ = io.WriteString(w, "hello")
	})
	tr := newTestTransport(t, Config{})

	resp, err := get(t, tr, srv.URL+"/a?b=c")
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	if got := readAll(t, resp); got != "hello" {
		t.Errorf("body = %q, want hello", got)
	}
	if resp.StatusCode != http.StatusOK || resp.Status != "200 OK" {
		t.Errorf("status = %d %q, want 200 \"200 OK\"", resp.StatusCode, resp.Status)
	}
	if resp.Proto != "HTTP/1.1" || resp.ProtoMajor != 1 || resp.ProtoMinor != 1 {
		t.Errorf("proto = %q %d.%d, want HTTP/1.1", resp.Proto, resp.ProtoMajor, resp.ProtoMinor)
	}
	if resp.ContentLength != 5 {
		t.Errorf("ContentLength = %d, want 5", resp.ContentLength)
	}
	if got := resp.Header.Get("X-Path"); got != "/a?b=c" {
		t.Errorf("X-Path = %q, want /a?b=c", got)
	}
	if resp.Request == nil || resp.Close {
		t.Errorf("Request = %v, Close = %v; want the request and false", resp.Request, resp.Close)
	}
}

func TestKeepAliveReuse(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	tr := newTestTransport(t, Config{})

	for i := range 100 {
		resp, err := get(t, tr, srv.URL)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if got := readAll(t, resp); got != "ok" {
			t.Fatalf("request %d: body = %q", i, got)
		}
	}
	if n := srv.opened.Load(); n != 1 {
		t.Errorf("server connections = %d, want 1", n)
	}
}

func TestConcurrentRequests(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(w, r.Body)
	})
	tr := newTestTransport(t, Config{})
	const workers, perWorker = 64, 200

	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				want := fmt.Sprintf("worker %d request %d", w, i)
				if err := echoOnce(tr, srv.URL, want); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := srv.opened.Load(); n > workers {
		t.Errorf("server connections = %d, want at most %d", n, workers)
	}
}

// echoOnce posts want and checks that the echo server returns it.
func echoOnce(tr *Transport, url, want string) error {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(want))
	if err != nil {
		return err
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if string(got) != want {
		return fmt.Errorf("body = %q, want %q", got, want)
	}
	return nil
}

// writeCounter counts the Write calls made on a connection.
type writeCounter struct {
	net.Conn
	mu     sync.Mutex
	writes int
}

func (c *writeCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func TestRequestWrittenOnce(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		body     func() io.Reader
		wantBody string
		wantLen  string
	}{
		{"get", http.MethodGet, func() io.Reader { return nil }, "", ""},
		{"post empty", http.MethodPost, func() io.Reader { return nil }, "", "0"},
		{"bytes reader", http.MethodPost, func() io.Reader {
			return bytes.NewReader([]byte("abc"))
		}, "abc", "3"},
		{"strings reader", http.MethodPut, func() io.Reader {
			return strings.NewReader("hello")
		}, "hello", "5"},
		{"bytes buffer", http.MethodPatch, func() io.Reader {
			return bytes.NewBufferString("xy")
		}, "xy", "2"},
		{"unknown length", http.MethodPost, func() io.Reader {
			return io.MultiReader(strings.NewReader("one "), strings.NewReader("two"))
		}, "one two", "7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := make(chan []byte, 1)
			srv := newRawServer(t, func(_ int64, c net.Conn) {
				raw <- captureRequest(c)
			})
			var counter *writeCounter
			dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
				var d net.Dialer
				nc, err := d.DialContext(ctx, network, addr)
				counter = &writeCounter{Conn: nc}
				return counter, err
			}
			tr := newTestTransport(t, Config{Dial: dial})
			req, err := http.NewRequest(tt.method, srv.url()+"/p", tt.body())
			if err != nil {
				t.Fatalf("NewRequest: %v", err)
			}
			req.Header["x-lower-case"] = []string{"v1", "v2"}
			req.Header.Set("Authorization", "Bearer t")

			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatalf("RoundTrip: %v", err)
			}
			readAll(t, resp)
			got := receive(t, raw, "request bytes")

			if counter.writes != 1 {
				t.Errorf("Write calls = %d, want 1", counter.writes)
			}
			checkWireRequest(t, got, tt.method, tt.wantLen, tt.wantBody)
		})
	}
}

// captureRequest reads one request from c, sends an empty 200 response and
// returns the bytes of the request's head and body.
func captureRequest(c net.Conn) []byte {
	var buf bytes.Buffer
	br := bufio.NewReader(io.TeeReader(c, &buf))
	if _, _, err := readRequest(br); err != nil {
		return []byte("error: " + err.Error())
	}
	_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	return buf.Bytes()
}

func checkWireRequest(t *testing.T, raw []byte, method, wantLen, wantBody string) {
	t.Helper()
	head, body, ok := strings.Cut(string(raw), "\r\n\r\n")
	if !ok {
		t.Fatalf("request %q has no blank line", raw)
	}
	lines := strings.Split(head, "\r\n")
	if want := method + " /p HTTP/1.1"; lines[0] != want {
		t.Errorf("request line = %q, want %q", lines[0], want)
	}

	fields := map[string][]string{}
	for _, line := range lines[1:] {
		k, v, _ := strings.Cut(line, ": ")
		fields[k] = append(fields[k], v)
	}

	if len(fields["Host"]) != 1 {
		t.Errorf("Host fields = %q, want one", fields["Host"])
	}
	if got := fields["X-Lower-Case"]; len(got) != 2 || got[0] != "v1" || got[1] != "v2" {
		t.Errorf("X-Lower-Case = %q, want [v1 v2] in canonical form", got)
	}
	if got := fields["Authorization"]; len(got) != 1 || got[0] != "Bearer t" {
		t.Errorf("Authorization = %q, want [Bearer t]", got)
	}
	for _, unwanted := range []string{"User-Agent", "Accept-Encoding", "Transfer-Encoding"} {
		if _, found := fields[unwanted]; found {
			t.Errorf("request has %s, want only the given headers", unwanted)
		}
	}
	if got := strings.Join(fields["Content-Length"], ","); got != wantLen {
		t.Errorf("Content-Length = %q, want %q", got, wantLen)
	}
	if body != wantBody {
		t.Errorf("body = %q, want %q", body, wantBody)
	}
}

func TestSchemeRejected(t *testing.T) {
	tr := newTestTransport(t, Config{})
	for _, url := range []string{"https://127.0.0.1:1/x", "ftp://127.0.0.1:1/x"} {
		body := &closeRecorder{Reader: strings.NewReader("x")}
		req, err := http.NewRequest(http.MethodPost, url, body)
		if err != nil {
			t.Fatalf("NewRequest: %v", err)
		}
		_, err = tr.RoundTrip(req)
		if !errors.Is(err, ErrUnsupportedScheme) {
			t.Errorf("%s: error = %v, want ErrUnsupportedScheme", url, err)
		}
		scheme, _, _ := strings.Cut(url, ":")
		if err != nil && !strings.Contains(err.Error(), `"`+scheme+`"`) {
			t.Errorf("%s: error %q does not name the scheme", url, err)
		}
		if !body.closed {
			t.Errorf("%s: request body not closed", url)
		}
	}
}

// closeRecorder is a request body that records Close.
type closeRecorder struct {
	io.Reader
	closed bool
}

func (r *closeRecorder) Close() error {
	r.closed = true
	return nil
}

func TestInvalidRequest(t *testing.T) {
	tests := []struct {
		name   string
		modify func(req *http.Request)
		want   error
	}{
		{"header value with line break", func(r *http.Request) {
			r.Header.Set("X-A", "v\r\nX-Injected: 1")
		}, ErrInvalidRequest},
		{"header name with space", func(r *http.Request) {
			r.Header["Bad Name"] = []string{"v"}
		}, ErrInvalidRequest},
		{"method with space", func(r *http.Request) { r.Method = "GET X" }, ErrInvalidRequest},
		{"host with line break", func(r *http.Request) { r.Host = "a\r\nb" }, ErrInvalidRequest},
		{"missing host", func(r *http.Request) { r.URL.Host = "" }, ErrInvalidRequest},
		{"length longer than body", func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader("abc"))
			r.ContentLength = 10
		}, ErrInvalidRequest},
		{"length shorter than body", func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader("abcdef"))
			r.ContentLength = 2
		}, ErrInvalidRequest},
		{"length without body", func(r *http.Request) { r.ContentLength = 4 }, ErrInvalidRequest},
		{"trailer", func(r *http.Request) {
			r.Trailer = http.Header{"X-Sum": {"1"}}
		}, ErrInvalidRequest},
		{"length over limit", func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader("abc"))
			r.ContentLength = MaxRequestBodyBytes + 1
		}, ErrBodyTooLarge},
	}
	tr := newTestTransport(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/x", nil)
			if err != nil {
				t.Fatalf("NewRequest: %v", err)
			}
			tt.modify(req)
			if _, err := tr.RoundTrip(req); !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestZeroTransportRejected(t *testing.T) {
	var tr Transport
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/", nil)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	if _, err := tr.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "h1.New") {
		t.Errorf("error = %v, want one that points to h1.New", err)
	}
}

func TestUnknownLengthBodyTooLarge(t *testing.T) {
	tr := newTestTransport(t, Config{})
	body := io.LimitReader(zeroReader{}, MaxRequestBodyBytes+1)
	_, err := do(t, tr, context.Background(), http.MethodPost, "http://127.0.0.1:1/x", body)
	if !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("error = %v, want ErrBodyTooLarge", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestHTTPClient(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		_, _ = fmt.Fprintf(w, "%s %s", r.Method, body)
	})
	client := &http.Client{
		Transport: newTestTransport(t, Config{}),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}

	resp, err := client.Post(srv.URL, "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if got := readAll(t, resp); got != `POST {"a":1}` {
		t.Errorf("body = %q, want the echoed request", got)
	}
	resp, err = client.Get(srv.URL + "/redirect")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	readAll(t, resp)
	if resp.StatusCode != http.StatusFound {
		t.Errorf("status = %d, want 302 returned as is", resp.StatusCode)
	}
}

// TestSweepReleasesClosedIdleConnections checks that idle connections the
// server closes are released by the sweep, without another request.
func TestSweepReleasesClosedIdleConnections(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	tr := newTestTransport(t, Config{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := echoOnce(tr, srv.URL, "ok"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := idleCount(tr); n == 0 {
		t.Fatal("no connection went back to the pool")
	}

	srv.CloseClientConnections()
	deadline := time.Now().Add(waitLimit)
	for idleCount(tr) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d idle connections still pooled after the server closed them",
				idleCount(tr))
		}
		time.Sleep(20 * time.Millisecond)
	}
	tr.mu.Lock()
	armed := tr.sweepArmed
	tr.mu.Unlock()
	if armed {
		t.Error("the sweep is still armed with an empty pool")
	}
}
