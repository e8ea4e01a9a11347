package metrics

import (
	"sync"

	"github.com/actorgate/actorgate/messages"
)

// states lists every platform state, so that ObservePlatform can set the
// gauge of each one and a platform has exactly one state at 1.
var states = []messages.PlatformState{
	messages.StateConnecting, messages.StateConnected, messages.StateRetrying,
	messages.StateFatal, messages.StatePaused, messages.StateStopped,
}

// platformCounts remembers the last restart count seen per platform, so
// that the counter grows by the difference.
type platformCounts struct {
	mu       sync.Mutex
	restarts map[string]int
}

// delta stores n as the restart count of name and returns how much the
// counter has to grow. A count lower than the last one means the platform
// was enrolled again and its count started over, so all of n is new.
func (p *platformCounts) delta(name string, n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	last := p.restarts[name]
	p.restarts[name] = n
	if n < last {
		return n
	}
	return n - last
}

// ObservePlatform records one row of the gateway's status table. The
// gateway calls it on every change of a row; calling it twice with the
// same row changes nothing.
func (m *Metrics) ObservePlatform(row messages.PlatformStatus) {
	if m == nil || row.Name == "" {
		return
	}
	for _, s := range states {
		v := 0.0
		if s == row.State {
			v = 1
		}
		m.states.WithLabelValues(row.Name, string(s)).Set(v)
	}
	m.attempts.WithLabelValues(row.Name).Set(float64(row.Attempts))
	attention := 0.0
	if row.NeedsAttention {
		attention = 1
	}
	m.attention.WithLabelValues(row.Name).Set(attention)
	restarts := m.restarts.WithLabelValues(row.Name)
	if d := m.platforms.delta(row.Name, row.Restarts); d > 0 {
		restarts.Add(float64(d))
	}
}
