//go:build unix

package h1

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchServerEnv makes TestBenchmarkServer run the benchmark's upstream.
const benchServerEnv = "H1_BENCHMARK_SERVER"

// BenchmarkRoundTrip posts a small JSON body and reads a small JSON reply
// over one keep-alive connection, with this Transport ("h1") and with a
// net/http Transport set up as a model server client would be ("nethttp").
// The httptest server runs in a child process, so cpu-ns/op, the user and
// system CPU time of this process per request, is the client's alone.
func BenchmarkRoundTrip(b *testing.B) {
	url := startBenchmarkServer(b)
	body := []byte(`{"model":"m","messages":[{"role":"user","content":"` +
		strings.Repeat("x", 200) + `"}]}`)

	b.Run("h1", func(b *testing.B) {
		tr := New(Config{})
		defer tr.CloseIdleConnections()
		benchmarkTransport(b, tr, url, body)
	})
	b.Run("nethttp", func(b *testing.B) {
		tr := &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        1024,
			MaxIdleConnsPerHost: 1024,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		}
		defer tr.CloseIdleConnections()
		benchmarkTransport(b, tr, url, body)
	})
}

// BenchmarkStream reads a streamed response of streamEvents server-sent
// events, each sent in its own chunk and flushed, as a model server streams
// tokens. The body is read through a 4 KiB buffer, as the agent's SSE
// reader does, calling WaitReadable before each read when the body has it.
// reads/op and writes/op are the read and write system calls of this
// process per stream (Linux only), taken from /proc/self/io.
func BenchmarkStream(b *testing.B) {
	url := startBenchmarkServer(b) + "/stream"
	b.Run("h1", func(b *testing.B) {
		tr := New(Config{})
		defer tr.CloseIdleConnections()
		benchmarkStream(b, tr, url)
	})
	b.Run("nethttp", func(b *testing.B) {
		tr := &http.Transport{Proxy: nil, DisableCompression: true}
		defer tr.CloseIdleConnections()
		benchmarkStream(b, tr, url)
	})
}

func benchmarkStream(b *testing.B, rt http.RoundTripper, url string) {
	b.Helper()
	b.ReportAllocs()
	buf := make([]byte, 4096)
	start := cpuTime(b)
	reads, writes, countsOK := syscallCounts()
	for b.Loop() {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := rt.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := readLikeSSE(resp.Body, buf); err != nil || n != streamEvents*len(streamEvent) {
			b.Fatalf("read %d bytes, %v; want %d bytes", n, err, streamEvents*len(streamEvent))
		}
		_ = resp.Body.Close()
	}
	used := cpuTime(b) - start
	b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	if endReads, endWrites, ok := syscallCounts(); ok && countsOK {
		b.ReportMetric(float64(endReads-reads)/float64(b.N), "reads/op")
		b.ReportMetric(float64(endWrites-writes)/float64(b.N), "writes/op")
	}
}

// readLikeSSE reads body to its end through buf and returns the bytes read.
func readLikeSSE(body io.Reader, buf []byte) (int, error) {
	waiter, _ := body.(interface{ WaitReadable() error })
	total := 0
	for {
		if waiter != nil {
			if err := waiter.WaitReadable(); err == io.EOF {
				return total, nil
			} else if err != nil {
				return total, err
			}
		}
		n, err := body.Read(buf)
		total += n
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// syscallCounts returns the read and write system calls of this process
// so far, or false where /proc/self/io is not available.
func syscallCounts() (reads, writes int64, ok bool) {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0, false
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		name, value, _ := strings.Cut(line, ": ")
		n, err := strconv.ParseInt(value, 10, 64)
		switch {
		case err != nil:
		case name == "syscr":
			reads = n
		case name == "syscw":
			writes = n
		}
	}
	return reads, writes, true
}

func benchmarkTransport(b *testing.B, rt http.RoundTripper, url string, body []byte) {
	b.Helper()
	b.ReportAllocs()
	start := cpuTime(b)
	for b.Loop() {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := rt.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	used := cpuTime(b) - start
	b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// cpuTime returns the user and system CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startBenchmarkServer runs TestBenchmarkServer in a child process and
// returns its URL. The child exits when the benchmark ends.
func startBenchmarkServer(b *testing.B) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchmarkServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatalf("server stdin: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatalf("server stdout: %v", err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("starting the server process: %v", err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})

	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if url, ok := strings.CutPrefix(lines.Text(), "url: "); ok {
			return url
		}
	}
	b.Fatalf("server process exited without printing its URL: %v", lines.Err())
	return ""
}

// streamEvents events of streamEvent make the body of BenchmarkStream's
// responses.
const (
	streamEvents = 20
	streamEvent  = `data: {"choices":[{"index":0,"delta":{"content":"token"}}]}` + "\n\n"
)

// TestBenchmarkServer serves the benchmarks' requests when the test binary
// runs as their child process, until its standard input closes.
func TestBenchmarkServer(t *testing.T) {
	if os.Getenv(benchServerEnv) != "1" {
		t.Skip("runs only as the server process of the benchmarks")
	}
	reply := []byte(`{"id":"chatcmpl-1","choices":[{"message":{"content":"hello"}}]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/stream" {
			w.Header().Set("Content-Type", "text/event-stream")
			for range streamEvents {
				_, _ = io.WriteString(w, streamEvent)
				w.(http.Flusher).Flush()
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(reply)
	}))
	defer srv.Close()

	fmt.Printf("url: %s\n", srv.URL)
	_, _ = io.Copy(io.Discard, os.Stdin)
}
