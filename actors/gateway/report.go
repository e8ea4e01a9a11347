package gateway

import (
	"time"

	"github.com/actorgate/actorgate/messages"
)

// reportChanges calls cfg.OnStatus with every row that changed since it
// was last reported, and with a stopped row for every platform removed
// since. The gateway calls it after each message and each failure it
// handles.
func (g *Gateway) reportChanges() {
	if g.cfg.OnStatus == nil {
		return
	}
	if g.reported == nil {
		g.reported = make(map[string]messages.PlatformStatus)
	}
	for name, e := range g.entries {
		row := e.status
		row.NeedsAttention = g.needsAttention(e)
		if last, ok := g.reported[name]; ok && last == row {
			continue
		}
		g.reported[name] = row
		g.cfg.OnStatus(row)
	}
	for name, last := range g.reported {
		if _, ok := g.entries[name]; ok {
			continue
		}
		delete(g.reported, name)
		if last.State != messages.StateStopped {
			last.State = messages.StateStopped
			last.Since = g.now()
			last.NextRetryAt = time.Time{}
			g.cfg.OnStatus(last)
		}
	}
}
