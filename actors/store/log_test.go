package store

import (
	"encoding/json"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/actorgate/actorgate/messages"
)

func TestLogsOpenAndClose(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	system := newSystem(t)
	cfg := testConfig(t, nil)
	pid := system.Root.Spawn(Props(cfg, zap.New(core)))
	const secret = "body-text-that-must-not-be-logged"
	r := newResponse(t, "a")
	r.Body = json.RawMessage(`{"text":"` + secret + `"}`)
	if reply := request[*messages.PutResponseReply](t, system, pid,
		&messages.PutResponse{Response: r}); reply.Err != nil {
		t.Fatal(reply.Err)
	}
	stopAndWait(t, system, pid)

	opened := logs.FilterMessage("response store opened").All()
	if len(opened) != 1 {
		t.Fatalf("open log lines = %d, want 1", len(opened))
	}
	if name := opened[0].LoggerName; name != "store" {
		t.Errorf("logger name = %q, want store", name)
	}
	fields := opened[0].ContextMap()
	if fields["db_path"] != cfg.Path {
		t.Errorf("db_path = %v, want %s", fields["db_path"], cfg.Path)
	}
	if fields["journal_mode"] != "wal" {
		t.Errorf("journal_mode = %v, want wal", fields["journal_mode"])
	}
	if _, ok := fields["responses"]; !ok {
		t.Error("open log line has no responses count")
	}
	if n := logs.FilterMessage("response store closed").Len(); n != 1 {
		t.Errorf("close log lines = %d, want 1", n)
	}
	for _, entry := range logs.All() {
		line := entry.Message
		for k, v := range entry.ContextMap() {
			line += " " + k + "=" + toString(v)
		}
		if strings.Contains(line, secret) {
			t.Errorf("log line contains a stored body: %s", line)
		}
	}
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
