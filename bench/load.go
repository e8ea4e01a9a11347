package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// requestTimeout bounds one request of the load generator, so that a hung
// server ends a measurement with errors rather than hanging it.
const requestTimeout = 30 * time.Second

// target is one endpoint under load and the request sent to it.
type target struct {
	// name identifies the target in results and charts.
	name string
	url  string
	body []byte
	// header is copied once per worker.
	header http.Header
	// stream expects a server-sent event stream ending in [DONE].
	stream bool
	// expect is a marker that every complete non-streamed response
	// contains.
	expect []byte
	// servers are the processes whose CPU time the measurement reads.
	servers []*server
}

// loadConfig bounds one measurement.
type loadConfig struct {
	concurrency int
	warmup      time.Duration
	duration    time.Duration
	maxRequests int64
}

// loadResult is the outcome of one measurement of one target.
type loadResult struct {
	OK        int64
	Errors    int64
	Non200    int64
	Malformed int64
	Elapsed   time.Duration
	Latencies []time.Duration
	// TTFT holds the time to the first content chunk of each stream.
	TTFT []time.Duration
	// Events counts the data events of the measured streams.
	Events int64
	// CPU is the CPU time in seconds each process used in the window,
	// keyed by server name, plus "harness" for the load generator.
	CPU        map[string]float64
	FirstError string
}

// Phases of a measurement.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseDone
)

// newLoadClient returns a client tuned for load on loopback servers:
// keep-alive with an idle pool larger than the concurrency, no proxy from
// the environment, no compression and no redirects.
func newLoadClient(conns int) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         dialer.DialContext,
			MaxIdleConns:        2 * conns,
			MaxIdleConnsPerHost: 2 * conns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			ForceAttemptHTTP2:   false,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// measurement is the shared state of one run of runLoad.
type measurement struct {
	t       target
	client  *http.Client
	phase   atomic.Int32
	ok      atomic.Int64
	max     int64
	full    chan struct{}
	fullOne sync.Once

	mu     sync.Mutex
	result loadResult
}

// runLoad drives t with cfg.concurrency closed-loop workers: warmup, then
// a window of cfg.duration (or until cfg.maxRequests succeeded) in which
// completed requests are recorded. tick is called about every 100ms with
// the time since the previous call, for the progress bar.
func runLoad(ctx context.Context, client *http.Client, t target, cfg loadConfig,
	tick func(time.Duration),
) (loadResult, error) {
	if err := checkTargetURL(t.url); err != nil {
		return loadResult{}, err
	}
	m := &measurement{t: t, client: client, max: cfg.maxRequests, full: make(chan struct{})}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var wg sync.WaitGroup
	for range cfg.concurrency {
		wg.Go(func() { m.work(ctx) })
	}
	waitTicking(ctx, cfg.warmup, nil, tick)

	cpu0 := readCPU(t.servers)
	start := time.Now()
	m.phase.Store(phaseMeasure)
	waitTicking(ctx, cfg.duration, m.full, tick)
	m.phase.Store(phaseDone)
	elapsed := time.Since(start)
	cpu1 := readCPU(t.servers)
	wg.Wait()

	m.result.Elapsed = elapsed
	m.result.CPU = make(map[string]float64, len(cpu0))
	for name, v := range cpu1 {
		m.result.CPU[name] = v - cpu0[name]
	}
	if err := ctx.Err(); err != nil {
		return m.result, err
	}
	return m.result, nil
}

// waitTicking waits for d, until done is closed, or until ctx ends,
// calling tick on the way.
func waitTicking(ctx context.Context, d time.Duration, done <-chan struct{},
	tick func(time.Duration),
) {
	if d <= 0 {
		return
	}
	end := time.NewTimer(d)
	defer end.Stop()
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	last, start := time.Now(), time.Now()
	report := func() {
		now := time.Now()
		if tick != nil {
			tick(now.Sub(last))
		}
		last = now
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			report()
			if tick != nil {
				tick(max(0, d-time.Since(start)))
			}
			return
		case <-end.C:
			report()
			return
		case <-ticker.C:
			report()
		}
	}
}

// readCPU returns the CPU seconds used so far by each server and by the
// harness. A process that cannot be read is left out.
func readCPU(servers []*server) map[string]float64 {
	out := make(map[string]float64, len(servers)+1)
	for _, s := range servers {
		if v, err := cpuSeconds(s.proc.pid()); err == nil {
			out[s.name] = v
		}
	}
	if v, err := cpuSecondsSelf(); err == nil {
		out["harness"] = v
	}
	return out
}

// worker state is private to one goroutine of a measurement.
type worker struct {
	m       *measurement
	header  http.Header
	buf     bytes.Buffer
	reader  *bufio.Reader
	result  loadResult
	latency []time.Duration
	ttft    []time.Duration
}

func (m *measurement) work(ctx context.Context) {
	w := &worker{m: m, header: m.t.header.Clone(), reader: bufio.NewReaderSize(nil, 16<<10)}
	for ctx.Err() == nil && m.phase.Load() != phaseDone {
		o := w.do(ctx)
		if m.phase.Load() != phaseMeasure {
			continue
		}
		w.record(o)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r := &m.result
	r.OK += w.result.OK
	r.Errors += w.result.Errors
	r.Non200 += w.result.Non200
	r.Malformed += w.result.Malformed
	r.Events += w.result.Events
	r.Latencies = append(r.Latencies, w.latency...)
	r.TTFT = append(r.TTFT, w.ttft...)
	if r.FirstError == "" {
		r.FirstError = w.result.FirstError
	}
}

// outcome is the result of one request.
type outcome struct {
	kind    outcomeKind
	latency time.Duration
	ttft    time.Duration
	events  int
	detail  string
}

type outcomeKind int

const (
	outcomeOK outcomeKind = iota
	outcomeError
	outcomeNon200
	outcomeMalformed
)

func (w *worker) record(o outcome) {
	r := &w.result
	switch o.kind {
	case outcomeOK:
		r.OK++
		w.latency = append(w.latency, o.latency)
		if w.m.t.stream {
			w.ttft = append(w.ttft, o.ttft)
			r.Events += int64(o.events)
		}
		if w.m.ok.Add(1) >= w.m.max {
			w.m.fullOne.Do(func() { close(w.m.full) })
		}
		return
	case outcomeError:
		r.Errors++
	case outcomeNon200:
		r.Non200++
	case outcomeMalformed:
		r.Malformed++
	}
	if r.FirstError == "" {
		r.FirstError = o.detail
	}
}

// do sends one request and reads the whole response.
func (w *worker) do(ctx context.Context) outcome {
	t := w.m.t
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(t.body))
	if err != nil {
		return outcome{kind: outcomeError, detail: err.Error()}
	}
	req.Header = w.header
	start := time.Now()
	resp, err := w.m.client.Do(req)
	if err != nil {
		return outcome{kind: outcomeError, detail: err.Error()}
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		w.buf.Reset()
		_, _ = io.Copy(&w.buf, io.LimitReader(resp.Body, 512))
		_, _ = io.Copy(io.Discard, resp.Body)
		return outcome{
			kind:   outcomeNon200,
			detail: fmt.Sprintf("status %d: %s", resp.StatusCode, w.buf.Bytes()),
		}
	}
	if t.stream {
		return w.readStream(resp.Body, start)
	}
	w.buf.Reset()
	if _, err := w.buf.ReadFrom(resp.Body); err != nil {
		return outcome{kind: outcomeError, detail: "reading the response body: " + err.Error()}
	}
	if !bytes.Contains(w.buf.Bytes(), t.expect) {
		return outcome{
			kind:   outcomeMalformed,
			detail: fmt.Sprintf("response lacks %s: %.300s", t.expect, w.buf.Bytes()),
		}
	}
	return outcome{kind: outcomeOK, latency: time.Since(start)}
}

func (w *worker) readStream(body io.Reader, start time.Time) outcome {
	w.reader.Reset(body)
	s, err := readSSE(w.reader, start)
	switch {
	case err != nil:
		return outcome{kind: outcomeError, detail: "reading the stream: " + err.Error()}
	case !s.done || s.ttft == 0:
		return outcome{kind: outcomeMalformed, detail: fmt.Sprintf(
			"stream ended after %d events, [DONE] seen: %t, content seen: %t",
			s.events, s.done, s.ttft != 0)}
	}
	return outcome{kind: outcomeOK, latency: time.Since(start), ttft: s.ttft, events: s.events}
}
