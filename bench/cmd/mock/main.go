package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/actorgate/actorgate/bench/internal/loopback"
)

// Request body limit: the harness sends bodies of a few hundred bytes, and
// the gateway adds little to them.
const maxBodyBytes = 1 << 20

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mock:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("mock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "loopback `host:port` to listen on")
	addrFile := fs.String("addr-file", "",
		"`file` that receives the base URL once the listener is bound")
	chunks := fs.Int("chunks", 20, "content chunks in a streamed response")
	hold := fs.Bool("hold", false, "send the first content chunk of a stream, then hold it open")
	holdMax := fs.Duration("hold-max", 10*time.Minute, "longest time a held stream stays open")
	lifetime := fs.Duration("lifetime", 30*time.Minute, "time after which the mock exits by itself")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *chunks < 1 || *chunks > 10_000 {
		return fmt.Errorf("-chunks is %d; use a count from 1 to 10000", *chunks)
	}
	if *holdMax <= 0 || *lifetime <= 0 {
		return errors.New("-hold-max and -lifetime must be positive durations such as 10m")
	}

	ln, err := loopback.Listen(*addr)
	if err != nil {
		return err
	}
	m := newMock(*chunks, *hold, *holdMax)
	srv := &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second}
	if err := loopback.WriteAddrFile(*addrFile, "http://"+ln.Addr().String()); err != nil {
		_ = ln.Close()
		return err
	}
	time.AfterFunc(*lifetime, func() { _ = srv.Close() })
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// mock serves the precomputed responses.
type mock struct {
	completion []byte
	chunks     [][]byte
	finish     []byte
	usage      []byte
	hold       bool
	holdMax    time.Duration
	bufs       sync.Pool
}

func newMock(chunks int, hold bool, holdMax time.Duration) *mock {
	m := &mock{
		completion: mustJSON(completion()),
		finish:     sseFrame(chunk(map[string]any{}, "stop")),
		usage:      sseFrame(usageChunk(chunks)),
		hold:       hold,
		holdMax:    holdMax,
		bufs:       sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }},
	}
	for i := range chunks {
		delta := map[string]any{"content": "tok" + strconv.Itoa(i) + " "}
		if i == 0 {
			delta["role"] = "assistant"
		}
		m.chunks = append(m.chunks, sseFrame(chunk(delta, nil)))
	}
	return m
}

// chatRequest is the part of a chat completion request the mock reads.
type chatRequest struct {
	Stream        bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

func (m *mock) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		writeError(w, http.StatusNotFound, "not found: the mock serves POST /v1/chat/completions")
		return
	}
	buf := m.bufs.Get().(*[]byte)
	defer m.bufs.Put(buf)
	body, err := readAll(http.MaxBytesReader(w, r.Body, maxBodyBytes), (*buf)[:0])
	*buf = body[:0]
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading the request body failed: "+err.Error())
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "the request body is not valid JSON: "+err.Error())
		return
	}
	if !req.Stream {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(m.completion)))
		_, _ = w.Write(m.completion)
		return
	}
	m.stream(w, r, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
}

// stream writes the chunks, flushing each one as a real upstream does.
func (m *mock) stream(w http.ResponseWriter, r *http.Request, includeUsage bool) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "the connection cannot stream")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	for i, c := range m.chunks {
		if _, err := w.Write(c); err != nil {
			return
		}
		flusher.Flush()
		if i == 0 && m.hold {
			m.holdOpen(r)
			return
		}
	}
	_, _ = w.Write(m.finish)
	if includeUsage {
		_, _ = w.Write(m.usage)
	}
	_, _ = io.WriteString(w, "data: [DONE]\n\n")
	flusher.Flush()
}

// holdOpen waits until the client goes away or holdMax passes.
func (m *mock) holdOpen(r *http.Request) {
	t := time.NewTimer(m.holdMax)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-t.C:
	}
}

// readAll reads r to the end into buf, growing it as needed.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func writeError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(mustJSON(map[string]any{
		"error": map[string]any{"message": message, "type": "invalid_request_error"},
	}))
}
