//go:build reliability

package reliability

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// sseEvent is one server-sent event of a response: its event name (empty
// for chat chunks) and its data.
type sseEvent struct {
	name string
	data string
}

func parseSSE(body []byte) []sseEvent {
	var out []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.data != "" || cur.name != "" {
				out = append(out, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
		}
	}
	if cur.data != "" || cur.name != "" {
		out = append(out, cur)
	}
	return out
}

// chatStreamEnd returns the finish reason of a chat completion stream and
// whether it ended with data: [DONE].
func chatStreamEnd(body []byte) (finish string, done bool) {
	for _, ev := range parseSSE(body) {
		if ev.data == "[DONE]" {
			done = true
			continue
		}
		var c struct {
			Choices []struct {
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
		}
		if json.Unmarshal([]byte(ev.data), &c) == nil {
			for _, ch := range c.Choices {
				if ch.FinishReason != nil {
					finish = *ch.FinishReason
				}
			}
		}
	}
	return finish, done
}

// responseStreamEnd returns the name of the last event of a Responses
// stream.
func responseStreamEnd(body []byte) string {
	events := parseSSE(body)
	if len(events) == 0 {
		return ""
	}
	return events[len(events)-1].name
}

// upstreamCase is one upstream fault and what a client of the gateway gets.
type upstreamCase struct {
	name   string
	mode   upstreamMode
	path   string
	stream bool
	// status is the HTTP status. With 200 on a stream, end is the chat
	// finish reason or the last Responses event.
	status int
	code   string
	end    string
}

// outcome returns what the client saw: the status and the error code, or
// the stream's end.
func (c upstreamCase) outcome(t *testing.T, r reply) (code, end string) {
	t.Helper()
	if r.status != 200 {
		return decodeError(t, r).Error.Code, ""
	}
	if !c.stream {
		return "", ""
	}
	if c.path == "/v1/chat/completions" {
		finish, done := chatStreamEnd(r.body)
		if !done {
			return "", finish + " without [DONE]"
		}
		return "", finish
	}
	return "", responseStreamEnd(r.body)
}

func (c upstreamCase) body(tag int) map[string]any {
	text := fmt.Sprintf("hello tag-%d", tag)
	if c.path == "/v1/chat/completions" {
		return map[string]any{
			"model": "actorgate", "stream": c.stream,
			"messages": []any{map[string]any{"role": "user", "content": text}},
		}
	}
	return map[string]any{"model": "actorgate", "stream": c.stream, "input": text, "store": false}
}

const (
	chatPath      = "/v1/chat/completions"
	responsesPath = "/v1/responses"
)

// upstreamCases are the faults and what each maps to. A failure before the
// first token is a JSON error, 504 for a timeout and 502 otherwise. A
// failure after it ends the stream with an error finish.
//
// NOTE: a request that is not streamed gets code timeout when the
// upstream is too slow, where a streamed one gets agent_incomplete. The
// agent's own timeout reply is due exactly at the request's deadline, and
// the agent drops replies from then on, so the HTTP handler's timer,
// AGENT_TIMEOUT plus a margin, answers instead.
var upstreamCases = []upstreamCase{
	{"slow headers", modeSlowHeaders, chatPath, false, 504, "agent_incomplete", ""},
	{"slow headers streamed", modeSlowHeaders, chatPath, true, 504, "agent_incomplete", ""},
	{"stalled stream", modeStall, chatPath, true, 200, "", "error"},
	{"status 500", modeStatus500, chatPath, false, 502, "agent_incomplete", ""},
	{"status 500 streamed", modeStatus500, chatPath, true, 502, "agent_incomplete", ""},
	{"reset", modeReset, chatPath, false, 502, "agent_incomplete", ""},
	{"reset mid-stream", modeReset, chatPath, true, 200, "", "error"},
	{"malformed JSON", modeMalformed, chatPath, false, 502, "agent_incomplete", ""},
	{"malformed SSE", modeMalformed, chatPath, true, 200, "", "error"},
	{"responses slow headers", modeSlowHeaders, responsesPath, false, 504, "agent_incomplete", ""},
	{"responses status 500", modeStatus500, responsesPath, false, 502, "agent_incomplete", ""},
	{"responses reset mid-stream", modeReset, responsesPath, true, 200, "", "response.failed"},
	{"responses malformed SSE", modeMalformed, responsesPath, true, 200, "", "response.failed"},
}

// upstreamTimeout is AGENT_TIMEOUT in the upstream fault tests.
const upstreamTimeout = 2 * time.Second

func TestUpstreamFaults(t *testing.T) {
	sec := newSecrets(t)
	upKey := sec.newKey(t, "upstream key")
	up := newFakeUpstream(t, upKey)
	cfg := newGatewayConfig(t, sec)
	cfg.env["AGENT_BACKEND"] = "openai"
	cfg.env["AGENT_BASE_URL"] = up.baseURL()
	cfg.env["AGENT_API_KEY"] = upKey
	cfg.env["AGENT_TIMEOUT"] = upstreamTimeout.String()
	p := startGateway(t, sec, cfg, "upstream faults")

	// The baseline has one warm upstream connection, closed by the
	// upstream like every idle one, so it counts the gateway's own fds.
	up.set(modeNormal, 8, 0)
	if r := p.mustDo("POST", chatPath, upstreamCases[0].body(0)); r.status != 200 {
		t.Fatalf("warm-up request: status %d: %s", r.status, r.body)
	}
	base := settle(t, p, up)

	for i, tc := range upstreamCases {
		t.Run(tc.name, func(t *testing.T) {
			up.set(tc.mode, 8, 50*time.Millisecond)
			tally.faultsInjected.Add(1)
			start := time.Now()
			r := p.mustDo("POST", tc.path, tc.body(i+1))
			elapsed := time.Since(start)
			code, end := tc.outcome(t, r)
			t.Logf("status %d, code %q, end %q, after %s", r.status, code, end,
				elapsed.Round(time.Millisecond))
			if r.status != tc.status {
				t.Errorf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if code != tc.code {
				t.Errorf("error code %q, want %q", code, tc.code)
			}
			if end != tc.end {
				t.Errorf("stream end %q, want %q", end, tc.end)
			}
			if tc.mode != modeSlowHeaders && tc.mode != modeStall {
				return
			}
			if elapsed < upstreamTimeout || elapsed > upstreamTimeout+5*time.Second {
				t.Errorf("the gateway answered after %s, want about AGENT_TIMEOUT=%s",
					elapsed, upstreamTimeout)
			}
			waitFor(t, waitLimit, "the upstream request to be cancelled", func() bool {
				end, ok := up.endOf(fmt.Sprintf("tag-%d", i+1))
				return ok && end.cancelled
			})
		})
	}

	after := settle(t, p, up)
	if after.fds > base.fds {
		t.Errorf("gateway fds: %d before the faults, %d after", base.fds, after.fds)
	}
	if n := up.unauthorized.Load(); n != 0 {
		t.Errorf("the upstream saw %d requests without the upstream key", n)
	}
}

// settle waits until no upstream handler runs and no upstream connection
// is active, closes the idle ones from the upstream's side and the test
// client's own, and then waits until the gateway's fd count stops
// falling. It returns the gateway's stats then.
func settle(t *testing.T, p *gatewayProcess, up *fakeUpstream) procStats {
	t.Helper()
	waitFor(t, waitLimit, "upstream requests to end", func() bool {
		_, active := up.openConns()
		return up.running.Load() == 0 && active == 0
	})
	up.closeIdle()
	p.client.CloseIdleConnections()
	waitFor(t, waitLimit, "upstream connections to close", func() bool {
		open, _ := up.openConns()
		return open == 0
	})
	// The gateway releases pooled upstream connections that the upstream
	// closed within about a second (the h1 transport's sweep), so the count
	// must hold for longer than that before it counts as settled.
	var last procStats
	var since time.Time
	waitFor(t, waitLimit, "the gateway's fd count to settle", func() bool {
		st := p.stats()
		if st.fds != last.fds || since.IsZero() {
			since = time.Now()
		}
		last = st
		return time.Since(since) >= settleTime
	})
	return last
}

// settleTime is how long the gateway's fd count must hold still to count
// as settled: longer than the upstream transport's idle sweep interval.
const settleTime = 2500 * time.Millisecond
