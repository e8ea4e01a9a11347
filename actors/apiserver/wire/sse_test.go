package wire

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// flushRecorder is an http.ResponseWriter that records writes, status and
// flushes, and can fail its writes.
type flushRecorder struct {
	header  http.Header
	status  int
	body    strings.Builder
	flushes int
	failAt  int // fail the write with this 1-based index; 0 never fails
	writes  int
}

func newFlushRecorder() *flushRecorder {
	return &flushRecorder{header: http.Header{}}
}

func (f *flushRecorder) Header() http.Header { return f.header }

func (f *flushRecorder) WriteHeader(status int) {
	if f.status == 0 {
		f.status = status
	}
}

func (f *flushRecorder) Write(p []byte) (int, error) {
	f.writes++
	if f.failAt > 0 && f.writes >= f.failAt {
		return 0, io.ErrClosedPipe
	}
	f.WriteHeader(http.StatusOK)
	return f.body.Write(p)
}

func (f *flushRecorder) Flush() { f.flushes++ }

// noFlushWriter hides the Flush method of the recorder.
type noFlushWriter struct{ w *flushRecorder }

func (n noFlushWriter) Header() http.Header         { return n.w.Header() }
func (n noFlushWriter) WriteHeader(status int)      { n.w.WriteHeader(status) }
func (n noFlushWriter) Write(p []byte) (int, error) { return n.w.Write(p) }

func TestSSEWriterHeaders(t *testing.T) {
	rec := newFlushRecorder()
	rec.header.Set("Content-Length", "10")
	NewSSEWriter(rec)
	want := map[string]string{
		"Content-Type":      "text/event-stream",
		"Cache-Control":     "no-cache",
		"X-Accel-Buffering": "no",
		"Content-Length":    "",
	}
	for k, v := range want {
		if got := rec.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if rec.status != 0 || rec.writes != 0 {
		t.Errorf("status %d and %d writes before the first frame, want none", rec.status,
			rec.writes)
	}
}

func TestSSEWriterFrames(t *testing.T) {
	cases := []struct {
		name  string
		write func(s *SSEWriter) error
		want  string
	}{
		{
			"data", func(s *SSEWriter) error { return s.Data([]byte(`{"a":1}`)) },
			"data: {\"a\":1}\n\n",
		},
		{"empty data", func(s *SSEWriter) error { return s.Data(nil) }, "data: \n\n"},
		{
			"event", func(s *SSEWriter) error { return s.Event("response.created", []byte(`{}`)) },
			"event: response.created\ndata: {}\n\n",
		},
		{
			"comment", func(s *SSEWriter) error { return s.Comment("keepalive") },
			": keepalive\n\n",
		},
		{"done", func(s *SSEWriter) error { return s.Done() }, "data: [DONE]\n\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := newFlushRecorder()
			s := NewSSEWriter(rec)
			if err := tc.write(s); err != nil {
				t.Fatalf("write: %v", err)
			}
			if rec.body.String() != tc.want {
				t.Errorf("frame = %q, want %q", rec.body.String(), tc.want)
			}
			if rec.flushes != 1 {
				t.Errorf("flushes = %d, want 1", rec.flushes)
			}
			if rec.status != http.StatusOK {
				t.Errorf("status = %d, want 200", rec.status)
			}
		})
	}
}

func TestSSEWriterRejectsLineBreaks(t *testing.T) {
	cases := []struct {
		name  string
		write func(s *SSEWriter) error
	}{
		{"data newline", func(s *SSEWriter) error { return s.Data([]byte("a\nb")) }},
		{"data carriage return", func(s *SSEWriter) error { return s.Data([]byte("a\rb")) }},
		{"event data newline", func(s *SSEWriter) error { return s.Event("x", []byte("a\n")) }},
		{"event name newline", func(s *SSEWriter) error { return s.Event("x\ny", nil) }},
		{"event name empty", func(s *SSEWriter) error { return s.Event("", []byte("{}")) }},
		{"comment newline", func(s *SSEWriter) error { return s.Comment("a\r\nb") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := newFlushRecorder()
			s := NewSSEWriter(rec)
			if err := tc.write(s); !errors.Is(err, ErrInvalidFrame) {
				t.Errorf("error = %v, want ErrInvalidFrame", err)
			}
			if rec.writes != 0 {
				t.Errorf("%d writes after a rejected frame, want 0", rec.writes)
			}
			if err := s.Comment("still open"); err != nil {
				t.Errorf("a rejected frame closed the stream: %v", err)
			}
		})
	}
}

func TestSSEWriterWriteFailureIsSticky(t *testing.T) {
	rec := newFlushRecorder()
	rec.failAt = 2
	s := NewSSEWriter(rec)
	if err := s.Data([]byte("1")); err != nil {
		t.Fatalf("first frame: %v", err)
	}
	err := s.Data([]byte("2"))
	if !errors.Is(err, ErrStreamClosed) || !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("error = %v, want ErrStreamClosed wrapping the write error", err)
	}
	writes := rec.writes
	if err := s.Done(); !errors.Is(err, ErrStreamClosed) {
		t.Errorf("after failure: %v, want ErrStreamClosed", err)
	}
	if rec.writes != writes {
		t.Errorf("wrote again after a failure")
	}
	if !errors.Is(s.Err(), ErrStreamClosed) {
		t.Errorf("Err() = %v", s.Err())
	}
}

func TestSSEWriterWithoutFlush(t *testing.T) {
	s := NewSSEWriter(noFlushWriter{newFlushRecorder()})
	err := s.Data([]byte("x"))
	if !errors.Is(err, http.ErrNotSupported) || !errors.Is(err, ErrStreamClosed) {
		t.Errorf("error = %v, want ErrStreamClosed wrapping http.ErrNotSupported", err)
	}
}

func TestSSEWriterNoAllocations(t *testing.T) {
	rec := newFlushRecorder()
	s := NewSSEWriter(discardFlusher{rec.header})
	data := []byte(`{"type":"response.output_text.delta","delta":"hello"}`)
	allocs := testing.AllocsPerRun(100, func() {
		if err := s.Event("response.output_text.delta", data); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Event allocates %.1f times per frame, want 0", allocs)
	}
}

// discardFlusher is a flushable http.ResponseWriter that drops the body.
type discardFlusher struct{ h http.Header }

func (d discardFlusher) Header() http.Header         { return d.h }
func (d discardFlusher) WriteHeader(int)             {}
func (d discardFlusher) Write(p []byte) (int, error) { return len(p), nil }
func (d discardFlusher) Flush()                      {}

// TestSSEWriterClientGone runs a real server whose handler streams until a
// write fails, and a client that reads one frame and hangs up.
func TestSSEWriterClientGone(t *testing.T) {
	result := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := NewSSEWriter(w)
		deadline := time.Now().Add(30 * time.Second)
		chunk := []byte(`{"delta":"` + strings.Repeat("x", 1024) + `"}`)
		for time.Now().Before(deadline) {
			if err := s.Data(chunk); err != nil {
				result <- err
				return
			}
		}
		result <- nil
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q", ct)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "data: ") {
		t.Fatalf("first line = %q, %v", line, err)
	}
	cancel()
	_ = resp.Body.Close()
	srv.CloseClientConnections()

	if err := <-result; !errors.Is(err, ErrStreamClosed) {
		t.Errorf("handler result = %v, want ErrStreamClosed once the client is gone", err)
	}
}

func TestSSEWriterManualFlush(t *testing.T) {
	rec := newFlushRecorder()
	s := NewSSEWriter(rec)
	s.SetAutoFlush(false)
	if err := s.Flush(); err != nil {
		t.Fatalf("Flush before any frame: %v", err)
	}
	if rec.status != 0 || rec.flushes != 0 {
		t.Errorf("Flush before any frame: status %d, %d flushes, want neither", rec.status,
			rec.flushes)
	}

	if err := s.Data([]byte(`{"a":1}`)); err != nil {
		t.Fatalf("Data: %v", err)
	}
	if err := s.Event("e", []byte(`{}`)); err != nil {
		t.Fatalf("Event: %v", err)
	}
	if rec.flushes != 0 {
		t.Errorf("%d flushes before Flush, want 0", rec.flushes)
	}

	if err := s.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if err := s.Flush(); err != nil {
		t.Fatalf("second Flush: %v", err)
	}
	if rec.flushes != 1 {
		t.Errorf("%d flushes after two Flush calls on one batch, want 1", rec.flushes)
	}
	if want := "data: {\"a\":1}\n\nevent: e\ndata: {}\n\n"; rec.body.String() != want {
		t.Errorf("body = %q, want %q", rec.body.String(), want)
	}

	s.SetAutoFlush(true)
	if err := s.Comment("keepalive"); err != nil {
		t.Fatalf("Comment: %v", err)
	}
	if rec.flushes != 2 {
		t.Errorf("%d flushes after an auto-flushed frame, want 2", rec.flushes)
	}
}

func TestSSEWriterManualFlushUnsupported(t *testing.T) {
	rec := newFlushRecorder()
	s := NewSSEWriter(noFlushWriter{rec})
	s.SetAutoFlush(false)
	if err := s.Data([]byte(`{}`)); err != nil {
		t.Fatalf("Data without a flush: %v", err)
	}
	err := s.Flush()
	if !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("Flush on a writer that cannot flush = %v, want ErrStreamClosed", err)
	}
	if !errors.Is(s.Data([]byte(`{}`)), ErrStreamClosed) {
		t.Errorf("Data after a failed Flush did not return ErrStreamClosed")
	}
}
