package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"gonum.org/v1/plot"
)

// Bounds of the memory scenario.
const (
	// warmRequests is the number of requests sent to a server before its
	// idle memory is read.
	warmRequests = 20
	// openParallel bounds how many streams are being opened at once.
	openParallel = 64
	// openTimeout bounds the wait for every stream to deliver its first
	// chunk.
	openTimeout = 2 * time.Minute
	// settleDelay lets a server finish its allocations before its memory
	// is read.
	settleDelay = 500 * time.Millisecond
)

// memoryTarget is the resident memory of one server process.
type memoryTarget struct {
	Name      string `json:"name"`
	IdleRSS   int64  `json:"idle_rss_bytes"`
	LoadedRSS int64  `json:"rss_with_streams_bytes"`
	// OpenStreams counts the streams that delivered their first chunk and
	// were open when LoadedRSS was read.
	OpenStreams   int    `json:"open_streams"`
	FailedStreams int    `json:"failed_streams"`
	FirstError    string `json:"first_error,omitempty"`
	// PerStreamBytes is (LoadedRSS - IdleRSS) / OpenStreams.
	PerStreamBytes float64 `json:"rss_per_stream_bytes"`
	OpenSeconds    float64 `json:"open_seconds"`
}

// memoryFigures are the raw figures of the memory scenario.
type memoryFigures struct {
	Streams   int            `json:"streams"`
	FileLimit uint64         `json:"file_limit"`
	Targets   []memoryTarget `json:"targets"`
}

// runMemory reads the resident memory of the proxy and of the gateway
// idle and with Streams idle open streams, which the mock holds open
// after their first chunk.
func runMemory(ctx context.Context, h *harness) (*result, chartFunc, error) {
	n := h.s.Streams
	// Each stream holds a descriptor in the harness, two in the server
	// under test and one in the mock; all inherit this limit.
	limit, err := raiseFileLimit(uint64(4*n + 1024)) //nolint:gosec // G115: n is 1 to 10,000
	if err != nil {
		return nil, nil, err
	}
	if limit < uint64(2*n+256) { //nolint:gosec // G115: n is 1 to 10,000
		return nil, nil, fmt.Errorf("%w: the open file limit is %d, too low for %d streams; "+
			"raise it with ulimit -n or pass a smaller -streams", errInvalidSettings, limit, n)
	}
	env, err := h.startUpstreamTrio(ctx, "memory", mockOptions{hold: true})
	if err != nil {
		return nil, nil, err
	}
	defer env.stop()
	bar := newProgress(h.stdout, int64(2*n), "memory")
	defer bar.finish()

	f := memoryFigures{Streams: n, FileLimit: limit}
	for _, s := range []*server{env.proxy, env.gateway} {
		bar.describe(s.name)
		var snapshot func() error
		if s == env.gateway {
			snapshot = func() error { return h.profileSnapshot(ctx, s, "memory") }
		}
		t, err := measureMemory(ctx, s, env.key, n, bar, snapshot)
		if err != nil {
			return nil, nil, err
		}
		f.Targets = append(f.Targets, t)
	}
	return memoryResult(f), memoryChart(f), nil
}

// measureMemory reads s's memory idle, then with n streams open. A non-nil
// snapshot runs while the streams are open, after the memory was read.
func measureMemory(ctx context.Context, s *server, key string, n int, bar *progress,
	snapshot func() error,
) (memoryTarget, error) {
	t := memoryTarget{Name: s.name}
	client := newLoadClient(n)
	defer client.CloseIdleConnections()
	if err := warm(ctx, client, s, key); err != nil {
		return t, err
	}
	if err := sleepCtx(ctx, settleDelay); err != nil {
		return t, err
	}
	idle, err := rssBytes(s.proc.pid())
	if err != nil {
		return t, err
	}
	t.IdleRSS = idle

	held := openStreams(ctx, client, s, key, n, bar)
	defer held.close()
	t.OpenSeconds = held.openTime.Seconds()
	t.OpenStreams, t.FailedStreams, t.FirstError = held.counts()
	if err := sleepCtx(ctx, settleDelay); err != nil {
		return t, err
	}
	loaded, err := rssBytes(s.proc.pid())
	if err != nil {
		return t, err
	}
	t.LoadedRSS = loaded
	t.PerStreamBytes = ratio(float64(loaded-idle), float64(t.OpenStreams))
	if snapshot != nil {
		return t, snapshot()
	}
	return t, nil
}

// warm sends a few non-streamed requests, so that idle memory includes
// what the first requests allocate.
func warm(ctx context.Context, client *http.Client, s *server, key string) error {
	header := apiHeader(key)
	for range warmRequests {
		//nolint:gosec // G704: s.url is a loopback server the harness started
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+chatPath,
			bytes.NewReader(chatBody))
		if err != nil {
			return err
		}
		req.Header = header.Clone()
		resp, err := client.Do(req) //nolint:gosec // G704: s.url is a loopback server the harness started
		if err != nil {
			return fmt.Errorf("warming %s: %w", s.name, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("warming %s: status %d", s.name, resp.StatusCode)
		}
	}
	return nil
}

// heldStreams are streams kept open until close.
type heldStreams struct {
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	openTime time.Duration

	open   atomic.Int64
	mu     sync.Mutex
	failed int
	first  string
}

// openStreams opens n streams to s and returns once each delivered its
// first content chunk or failed, or openTimeout passed.
func openStreams(ctx context.Context, client *http.Client, s *server, key string, n int,
	bar *progress,
) *heldStreams {
	ctx, cancel := context.WithCancel(ctx)
	hs := &heldStreams{cancel: cancel}
	ready := make(chan struct{}, n)
	slots := make(chan struct{}, openParallel)
	start := time.Now()
	for range n {
		hs.wg.Go(func() {
			slots <- struct{}{}
			body, err := openStream(ctx, client, s.url, key)
			<-slots
			ready <- struct{}{}
			bar.add(1)
			if err != nil {
				hs.fail(err)
				return
			}
			hs.open.Add(1)
			_, _ = io.Copy(io.Discard, body)
			_ = body.Close()
		})
	}
	timeout := time.NewTimer(openTimeout)
	defer timeout.Stop()
	for range n {
		select {
		case <-ready:
		case <-timeout.C:
			hs.fail(fmt.Errorf("streams still opening after %v", openTimeout))
			hs.openTime = time.Since(start)
			return hs
		case <-ctx.Done():
			return hs
		}
	}
	hs.openTime = time.Since(start)
	return hs
}

// openStream sends a streamed request and reads up to the first content
// chunk. The caller owns the returned body.
func openStream(ctx context.Context, client *http.Client, base, key string) (io.ReadCloser, error) {
	//nolint:gosec // G704: base is a loopback server the harness started
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+chatPath,
		bytes.NewReader(streamBody))
	if err != nil {
		return nil, err
	}
	req.Header = apiHeader(key)
	resp, err := client.Do(req) //nolint:gosec // G704: base is a loopback server the harness started
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	br := bufio.NewReaderSize(resp.Body, 4096)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			_ = resp.Body.Close()
			return nil, fmt.Errorf("stream ended before its first content chunk: %w", err)
		}
		data, ok := bytes.CutPrefix(bytes.TrimSpace(line), dataPrefix)
		if ok && hasContent(bytes.TrimSpace(data)) {
			return resp.Body, nil
		}
	}
}

func (hs *heldStreams) fail(err error) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	hs.failed++
	if hs.first == "" {
		hs.first = err.Error()
	}
}

func (hs *heldStreams) counts() (open, failed int, first string) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return int(hs.open.Load()), hs.failed, hs.first
}

// close ends every stream and waits for their goroutines.
func (hs *heldStreams) close() {
	hs.cancel()
	hs.wg.Wait()
}

func memoryResult(f memoryFigures) *result {
	proxy, gw := f.Targets[0], f.Targets[1]
	ratios := map[string]float64{
		"idle_rss_vs_proxy":       ratio(float64(gw.IdleRSS), float64(proxy.IdleRSS)),
		"rss_per_stream_vs_proxy": ratio(gw.PerStreamBytes, proxy.PerStreamBytes),
	}
	var notes []string
	for _, t := range f.Targets {
		if t.FailedStreams > 0 || t.OpenStreams < f.Streams {
			notes = append(notes, fmt.Sprintf("%s: %d of %d streams open, %d failed; first: %s",
				t.Name, t.OpenStreams, f.Streams, t.FailedStreams, t.FirstError))
		}
	}
	notes = append(notes, "resident memory of a Go process depends on when its garbage "+
		"collector last ran; compare runs by their ratios")
	return &result{
		Figures: f,
		Ratios:  ratios,
		Targets: []targetCheck{
			check("gateway_idle_rss", float64(gw.IdleRSS)/1e6, "<", 25, "MB"),
			check("gateway_rss_per_stream", gw.PerStreamBytes/1e3, "<", 40, "KB"),
		},
		Notes: notes,
	}
}

func memoryChart(f memoryFigures) chartFunc {
	return func(path string) error {
		idle := make([]bar, 0, 2*len(f.Targets))
		per := make([]bar, 0, len(f.Targets))
		for _, t := range f.Targets {
			idle = append(idle, bar{label: t.Name + " idle", value: float64(t.IdleRSS) / 1e6},
				bar{
					label: fmt.Sprintf("%s %d streams", t.Name, t.OpenStreams),
					value: float64(t.LoadedRSS) / 1e6,
				})
			per = append(per, bar{label: t.Name, value: t.PerStreamBytes / 1e3})
		}
		rss, err := barChart("Resident memory", "MB (VmRSS)", idle)
		if err != nil {
			return err
		}
		perStream, err := barChart("Memory per idle open stream", "KB per stream", per)
		if err != nil {
			return err
		}
		return savePanels(path, []*plot.Plot{rss, perStream}...)
	}
}
