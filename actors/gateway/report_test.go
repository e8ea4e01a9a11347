package gateway

import (
	"sync"
	"testing"
	"time"

	"github.com/actorgate/actorgate/messages"
)

// rowLog collects the rows passed to Config.OnStatus.
type rowLog struct {
	mu   sync.Mutex
	rows []messages.PlatformStatus
}

func (l *rowLog) add(row messages.PlatformStatus) {
	l.mu.Lock()
	l.rows = append(l.rows, row)
	l.mu.Unlock()
}

// of returns the rows reported for platform name, in order.
func (l *rowLog) of(name string) []messages.PlatformStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []messages.PlatformStatus
	for _, r := range l.rows {
		if r.Name == name {
			out = append(out, r)
		}
	}
	return out
}

func TestOnStatusReportsEveryChange(t *testing.T) {
	s := &script{}
	s.set(func(n int) *messages.PlatformError {
		if n <= 2 {
			return retryable("network_down")
		}
		return nil
	})
	log := &rowLog{}
	h := startGateway(t, Config{
		Platforms: []Platform{fakePlatform("chat", "a", s)},
		OnStatus:  log.add,
	})
	h.waitFor("chat", "connected", inState(messages.StateConnected))
	for range 5 {
		h.status("chat")
	}

	rows := log.of("chat")
	if len(rows) == 0 {
		t.Fatal("no row reported")
	}
	for i := 1; i < len(rows); i++ {
		if rows[i] == rows[i-1] {
			t.Errorf("row %d repeats row %d: %+v", i, i-1, rows[i])
		}
	}
	if rows[0].State != messages.StateConnecting {
		t.Errorf("first state = %s, want connecting", rows[0].State)
	}
	last := rows[len(rows)-1]
	if last.State != messages.StateConnected || last.Restarts != 2 || last.Attempts != 0 {
		t.Errorf("last row = %+v, want connected with 2 restarts and 0 attempts", last)
	}
	var retrying []int
	for _, r := range rows {
		if r.State == messages.StateRetrying {
			retrying = append(retrying, r.Restarts)
			if r.ErrorCode != "network_down" {
				t.Errorf("retrying row has error code %q, want network_down", r.ErrorCode)
			}
		}
	}
	if len(retrying) != 2 || retrying[0] != 1 || retrying[1] != 2 {
		t.Errorf("restarts of the retrying rows = %v, want [1 2]", retrying)
	}
}

func TestOnStatusReportsFatal(t *testing.T) {
	s := &script{}
	s.set(func(int) *messages.PlatformError { return fatal("bad_token") })
	log := &rowLog{}
	h := startGateway(t, Config{
		Platforms: []Platform{fakePlatform("irc", "a", s)},
		OnStatus:  log.add,
	})
	h.waitFor("irc", "fatal", inState(messages.StateFatal))
	rows := log.of("irc")
	last := rows[len(rows)-1]
	if last.State != messages.StateFatal || last.ErrorCode != "bad_token" || last.Attempts != 1 {
		t.Errorf("last row = %+v, want fatal, bad_token, 1 attempt", last)
	}
}

func TestOnStatusReportsRemoval(t *testing.T) {
	running := &script{}
	rejected := Platform{Name: "b", Fingerprint: "1", Rejected: fatal("bad_token")}
	log := &rowLog{}
	h := startGateway(t, Config{
		Platforms: []Platform{fakePlatform("a", "1", running), rejected},
		OnStatus:  log.add,
	})
	h.waitFor("a", "connected", inState(messages.StateConnected))
	h.waitFor("b", "fatal", inState(messages.StateFatal))

	// a runs and is removed after its actor stopped; b has no actor and
	// is removed at once.
	if _, err := h.system.Root.RequestFuture(h.pid, &Reload{}, 5*time.Second).Result(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		h.waitFor(name, "removed", func(r messages.PlatformStatus) bool { return r.Name == "" })
		deadline := time.Now().Add(5 * time.Second)
		for {
			rows := log.of(name)
			last := rows[len(rows)-1]
			if last.State == messages.StateStopped {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s: last reported row is %+v, want stopped", name, last)
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}
