//go:build reliability

package reliability

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/actorgate/actorgate/stores"
)

// responseObject is the part of a /v1/responses object the suite reads.
type responseObject struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Output []struct {
		Type    string `json:"type"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	} `json:"output"`
}

// text returns the concatenated output_text parts.
func (r *responseObject) text() string {
	var s string
	for _, item := range r.Output {
		for _, part := range item.Content {
			if part.Type == "output_text" {
				s += part.Text
			}
		}
	}
	return s
}

// ack is a response whose id the client received.
type ack struct {
	id      string
	session string
	text    string
	trial   int
}

// ackBook records the acknowledged responses, safe for the writers.
type ackBook struct {
	mu   sync.Mutex
	acks []ack
	// errs are unexpected responses the writers saw, reported by the test.
	errs []string
}

func (b *ackBook) add(a ack) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.acks = append(b.acks, a)
}

func (b *ackBook) fail(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errs = append(b.errs, fmt.Sprintf(format, args...))
}

// snapshot returns the acknowledgements and errors so far.
func (b *ackBook) snapshot() ([]ack, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]ack(nil), b.acks...), append([]string(nil), b.errs...)
}

// sessionHeader returns the header pair that sends session, or none for
// the default caller.
func sessionHeader(session string) []string {
	if session == "" {
		return nil
	}
	return []string{"X-Session-Key", session}
}

// writer sends store: true responses until a request fails, which happens
// when the gateway is killed. Half of its requests continue its last
// acknowledged response, so chains cross the crashes.
type writer struct {
	p       *gatewayProcess
	book    *ackBook
	session string
	trial   int
	index   int
	last    string
}

func (w *writer) run() {
	for seq := 0; ; seq++ {
		body := map[string]any{
			"model": "actorgate", "store": true,
			"input": fmt.Sprintf("trial %d writer %d request %d", w.trial, w.index, seq),
		}
		if w.last != "" && rand.IntN(2) == 0 {
			body["previous_response_id"] = w.last
		}
		r, err := w.p.do("POST", "/v1/responses", body, sessionHeader(w.session)...)
		if err != nil {
			return
		}
		if r.status != 200 {
			w.book.fail("writer %d: status %d: %s", w.index, r.status, r.body)
			return
		}
		var obj responseObject
		if err := json.Unmarshal(r.body, &obj); err != nil || obj.ID == "" || obj.text() == "" {
			w.book.fail("writer %d: response without id or output (%v): %s", w.index, err, r.body)
			return
		}
		w.book.add(ack{id: obj.ID, session: w.session, text: obj.text(), trial: w.trial})
		w.last = obj.ID
	}
}

// crashWriters is how many clients write at once during a crash trial.
const crashWriters = 8

func TestCrashDuringWrites(t *testing.T) {
	sec := newSecrets(t)
	cfg := newGatewayConfig(t, sec)
	// No eviction: every acknowledged response must stay readable.
	cfg.env["API_SERVER_MAX_RESPONSES"] = "10000000"
	sessions := []string{"", sec.newKey(t, "session key"), sec.newKey(t, "session key")}
	dbPath := filepath.Join(cfg.home, "responses.db")
	book := &ackBook{}
	last := map[int]string{}

	for trial := 1; trial <= suiteMode.crashTrials; trial++ {
		p := startGateway(t, sec, cfg, fmt.Sprintf("trial %d", trial))
		verifyAcks(t, p, book, trial-1)

		var wg sync.WaitGroup
		writers := make([]*writer, crashWriters)
		for i := range writers {
			writers[i] = &writer{
				p: p, book: book, session: sessions[i%len(sessions)],
				trial: trial, index: i, last: last[i],
			}
			wg.Go(writers[i].run)
		}
		time.Sleep(time.Duration(20+rand.IntN(600)) * time.Millisecond)
		p.kill()
		tally.faultsInjected.Add(1)
		wg.Wait()
		p.client.CloseIdleConnections()
		for i, w := range writers {
			last[i] = w.last
		}

		acks, errs := book.snapshot()
		for _, e := range errs {
			t.Errorf("trial %d: %s", trial, e)
		}
		checkDatabase(t, dbPath, acks)
		tally.crashTrials.Add(1)
		if t.Failed() {
			t.FailNow()
		}
	}

	p := startGateway(t, sec, cfg, "final run")
	acks := verifyAcks(t, p, book, -1)
	t.Logf("%d crash trials, %d acknowledged responses, all readable after the last restart",
		suiteMode.crashTrials, acks)
}

// verifyAcks reads acknowledged responses back through the API and
// returns how many it read. It reads every one acknowledged in trial and
// up to 200 older ones picked at random, or all of them when trial is -1.
func verifyAcks(t *testing.T, p *gatewayProcess, book *ackBook, trial int) int {
	t.Helper()
	acks, _ := book.snapshot()
	var check []ack
	var older []ack
	for _, a := range acks {
		if trial < 0 || a.trial == trial {
			check = append(check, a)
		} else {
			older = append(older, a)
		}
	}
	rand.Shuffle(len(older), func(i, j int) { older[i], older[j] = older[j], older[i] })
	check = append(check, older[:min(len(older), 200)]...)

	for _, a := range check {
		r := p.mustDo("GET", "/v1/responses/"+a.id, nil, sessionHeader(a.session)...)
		if r.status != 200 {
			t.Fatalf("acknowledged response %s (trial %d) after restart: status %d: %s",
				a.id, a.trial, r.status, r.body)
		}
		var obj responseObject
		if err := json.Unmarshal(r.body, &obj); err != nil {
			t.Fatalf("acknowledged response %s: %v", a.id, err)
		}
		if obj.text() != a.text {
			t.Fatalf("acknowledged response %s: output %q, want %q", a.id, obj.text(), a.text)
		}
	}
	tally.responsesVerified.Add(int64(len(check)))
	return len(check)
}

// checkDatabase runs SQLite's integrity check on the database the killed
// gateway left, and checks that every stored row is whole and that every
// acknowledged response is among them.
func checkDatabase(t *testing.T, path string, acks []ack) {
	t.Helper()
	if err := stores.IntegrityCheck(path); err != nil {
		t.Fatalf("after the crash: %v", err)
	}
	rows, err := stores.ReadAllResponses(path)
	if err != nil {
		t.Fatalf("reading the rows after the crash: %v", err)
	}
	stored := make(map[string]bool, len(rows))
	for _, row := range rows {
		stored[row.ID] = true
		var obj responseObject
		if err := json.Unmarshal(row.Body, &obj); err != nil {
			t.Errorf("row %s: body is not JSON: %v", row.ID, err)
			continue
		}
		if obj.ID != row.ID || obj.Status != "completed" || obj.text() == "" {
			t.Errorf("row %s is half-written: id %q, status %q, output %q",
				row.ID, obj.ID, obj.Status, obj.text())
		}
		var history []json.RawMessage
		if err := json.Unmarshal(row.History, &history); err != nil || len(history) < 2 {
			t.Errorf("row %s: history has %d messages (%v), want the input and the output",
				row.ID, len(history), err)
		}
	}
	for _, a := range acks {
		if !stored[a.id] {
			t.Errorf("acknowledged response %s (trial %d) is not in the database", a.id, a.trial)
		}
	}
}
