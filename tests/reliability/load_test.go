//go:build reliability

package reliability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actorgate/actorgate/config"
)

// Sizes of the streaming load.
const (
	loadClients = 1000
	// loadClientsRace is the in-process client count under the race
	// detector, whose 8128-goroutine limit 1,000 streams would pass.
	loadClientsRace = 250
	loadWords       = 10
	loadWordDelay   = 400 * time.Millisecond
	// loadDisconnectBefore bounds how many words a disconnecting client
	// reads. The rest of its reply takes at least two seconds upstream.
	loadDisconnectBefore = 4
	// cancelBound is how soon after a client disconnects its upstream
	// request must end.
	cancelBound = time.Second
)

// loadClient is one streaming client and what happened to it.
type loadClient struct {
	index int
	// disconnectAfter is how many content chunks it reads before it goes
	// away, or zero for a client that reads the whole reply.
	disconnectAfter int
	disconnectedAt  time.Time
	text            string
	done            bool
	err             error
}

func (c *loadClient) tag() string { return fmt.Sprintf("tag-%d", c.index) }

// run streams one chat completion.
func (c *loadClient) run(client *http.Client, baseURL, key string, start <-chan struct{}) {
	body, _ := json.Marshal(map[string]any{
		"model": "actorgate", "stream": true,
		"messages": []any{map[string]any{"role": "user", "content": "load " + c.tag()}},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", baseURL+chatPath, bytes.NewReader(body))
	if err != nil {
		c.err = err
		return
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	<-start
	resp, err := client.Do(req)
	if err != nil {
		c.err = err
		return
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != 200 {
		c.err = fmt.Errorf("status %d", resp.StatusCode)
		return
	}
	c.read(resp, cancel)
}

// read reads the stream until [DONE], or until it is time to disconnect.
func (c *loadClient) read(resp *http.Response, cancel context.CancelFunc) {
	sc := bufio.NewScanner(resp.Body)
	chunks := 0
	var text strings.Builder
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			c.done = true
			break
		}
		content, err := chunkContent(data)
		if err != nil {
			c.err = err
			return
		}
		if content != "" {
			text.WriteString(content)
			chunks++
		}
		if c.disconnectAfter > 0 && chunks >= c.disconnectAfter {
			c.disconnectedAt = time.Now()
			cancel()
			return
		}
	}
	c.text = text.String()
	if err := sc.Err(); err != nil && c.err == nil {
		c.err = err
	}
}

// runLoad starts n streaming clients at once against baseURL. A third of
// them go away after a random number of chunks.
func runLoad(t *testing.T, baseURL, key string, n int) []*loadClient {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true, MaxConnsPerHost: 0}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	clients := make([]*loadClient, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		c := &loadClient{index: i}
		if i%3 == 0 {
			c.disconnectAfter = 1 + rand.IntN(loadDisconnectBefore)
		}
		clients[i] = c
		wg.Go(func() { c.run(client, baseURL, key, start) })
	}
	close(start)
	wg.Wait()
	return clients
}

// chunkContent returns the delta content of a chat completion chunk. It
// looks for the one "content" string rather than decoding the chunk, so
// that a thousand clients cost the test process little.
func chunkContent(data string) (string, error) {
	const key = `"content":`
	i := strings.Index(data, key)
	if i < 0 {
		return "", nil
	}
	rest := data[i+len(key):]
	if !strings.HasPrefix(rest, `"`) {
		return "", fmt.Errorf("chunk content is not a string: %.80s", data)
	}
	end := 1
	for end < len(rest) && (rest[end] != '"' || rest[end-1] == '\\') {
		end++
	}
	if end == len(rest) {
		return "", fmt.Errorf("chunk content is not terminated: %.80s", data)
	}
	var s string
	if err := json.Unmarshal([]byte(rest[:end+1]), &s); err != nil {
		return "", fmt.Errorf("chunk content: %w", err)
	}
	return s, nil
}

// checkLoad checks every client's outcome, and that the upstream request
// of every client that went away ended within cancelBound of its leaving,
// unless the upstream had finished the reply before.
func checkLoad(t *testing.T, up *fakeUpstream, clients []*loadClient) {
	t.Helper()
	var worst time.Duration
	disconnected, finishedFirst := 0, 0
	for _, c := range clients {
		if c.err != nil {
			t.Errorf("client %d: %v", c.index, c.err)
			continue
		}
		var end upstreamEnd
		waitFor(t, waitLimit, "the upstream request of client "+c.tag()+" to end", func() bool {
			var ok bool
			end, ok = up.endOf(c.tag())
			return ok
		})
		if c.disconnectAfter == 0 {
			want := strings.Join(answerWords("load "+c.tag(), loadWords), "")
			if !c.done || c.text != want {
				t.Errorf("client %d: done=%v, text %q, want %q", c.index, c.done, c.text, want)
			}
			if end.cancelled {
				t.Errorf("client %d read its whole answer, but its upstream request was cancelled",
					c.index)
			}
			continue
		}
		disconnected++
		if !end.cancelled && end.at.Before(c.disconnectedAt) {
			finishedFirst++
			continue
		}
		lag := end.at.Sub(c.disconnectedAt)
		worst = max(worst, lag)
		if lag > cancelBound {
			t.Errorf("client %d: its upstream request ended %s after it disconnected, want "+
				"within %s", c.index, lag, cancelBound)
		}
	}
	t.Logf("%d clients, %d disconnected (%d after the upstream had finished); slowest "+
		"upstream cancellation %s", len(clients), disconnected, finishedFirst,
		worst.Round(time.Millisecond))
}

// newLoadUpstream starts the slow streaming upstream of the load tests.
func newLoadUpstream(t *testing.T, sec *secrets) *fakeUpstream {
	t.Helper()
	up := newFakeUpstream(t, sec.newKey(t, "upstream key"))
	up.set(modeNormal, loadWords, loadWordDelay)
	return up
}

func TestLoadStreamingClients(t *testing.T) {
	sec := newSecrets(t)
	up := newLoadUpstream(t, sec)
	cfg := newGatewayConfig(t, sec)
	cfg.env["AGENT_BACKEND"] = "openai"
	cfg.env["AGENT_BASE_URL"] = up.baseURL()
	cfg.env["AGENT_API_KEY"] = up.key
	cfg.env["AGENT_TIMEOUT"] = "2m"
	p := startGateway(t, sec, cfg, "load")

	warm := runLoad(t, p.baseURL(), cfg.key, 3)
	checkLoad(t, up, warm)
	base := settle(t, p, up)
	selfBase := countOwnFDs(t)

	clients := runLoad(t, p.baseURL(), cfg.key, loadClients)
	tally.faultsInjected.Add(int64(loadClients / 3))
	checkLoad(t, up, clients)

	after := settle(t, p, up)
	t.Logf("gateway before: %+v, after: %+v", base, after)
	if after.fds > base.fds {
		t.Errorf("gateway fds: %d before the load, %d after", base.fds, after.fds)
	}
	// The Go runtime keeps the threads it started for the load, idle, so
	// the thread count is bounded rather than back at the baseline.
	if after.threads > base.threads+64 {
		t.Errorf("gateway threads: %d before the load, %d after", base.threads, after.threads)
	}
	waitFor(t, waitLimit, "the test's own fds to return to the baseline", func() bool {
		return countOwnFDs(t) <= selfBase
	})
}

func TestLoadStreamingInProcess(t *testing.T) {
	sec := newSecrets(t)
	up := newLoadUpstream(t, sec)
	g := startInProcess(t, sec, func(c *config.Config) {
		c.Agent.Backend = config.BackendOpenAI
		c.Agent.BaseURL = up.baseURL()
		c.Agent.APIKey = up.key
		c.Agent.Timeout = 2 * time.Minute
	})
	key := g.cfg.Platforms.APIServer.Key
	n := loadClients
	if raceEnabled {
		n = loadClientsRace
	}

	checkLoad(t, up, runLoad(t, g.baseURL(), key, 3))
	settleInProcess(t, g, up)
	goroutines, fds := runtime.NumGoroutine(), countOwnFDs(t)

	clients := runLoad(t, g.baseURL(), key, n)
	tally.faultsInjected.Add(int64(n / 3))
	checkLoad(t, up, clients)

	settleInProcess(t, g, up)
	var lastG, lastFD int
	waitFor(t, waitLimit, "goroutines and fds to return to the baseline", func() bool {
		lastG, lastFD = runtime.NumGoroutine(), countOwnFDs(t)
		return lastG <= goroutines && lastFD <= fds
	})
	t.Logf("%d clients: goroutines %d before and %d after, fds %d before and %d after",
		n, goroutines, lastG, fds, lastFD)
}

// settleInProcess waits until the upstream serves nothing and closes the
// idle connections on both ends.
func settleInProcess(t *testing.T, g *inProcess, up *fakeUpstream) {
	t.Helper()
	waitFor(t, waitLimit, "upstream requests to end", func() bool {
		_, active := up.openConns()
		return up.running.Load() == 0 && active == 0
	})
	up.closeIdle()
	g.client.CloseIdleConnections()
	waitFor(t, waitLimit, "upstream connections to close", func() bool {
		open, _ := up.openConns()
		return open == 0
	})
}

// countOwnFDs counts the test process's open file descriptors.
func countOwnFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("listing /proc/self/fd: %v", err)
	}
	return len(entries)
}
