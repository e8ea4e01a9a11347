//go:build reliability

package reliability

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logBuffer collects a process's or a logger's output safely across
// goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the lines that contain every one of parts.
func (l *logBuffer) lines(parts ...string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		match := true
		for _, part := range parts {
			if !strings.Contains(line, part) {
				match = false
				break
			}
		}
		if match {
			out = append(out, line)
		}
	}
	return out
}

// secrets is the set of secrets one test hands to the processes and
// loggers it starts, and the logs those write. When the test ends, every
// log line is scanned, and a secret found in any of them fails the test.
type secrets struct {
	mu      sync.Mutex
	values  map[string]string // secret value → label
	sources map[string]*logBuffer
}

// newSecrets returns an empty set whose scan runs when t ends.
func newSecrets(t *testing.T) *secrets {
	t.Helper()
	s := &secrets{values: map[string]string{}, sources: map[string]*logBuffer{}}
	t.Cleanup(func() { s.check(t) })
	return s
}

// newKey returns a fresh random secret of 32 hex digits, registered under
// label.
func (s *secrets) newKey(t *testing.T, label string) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	key := strings.ReplaceAll(label, " ", "-") + "-" + hex.EncodeToString(b)
	s.add(label, key)
	return key
}

// add registers a secret that logs must never contain.
func (s *secrets) add(label, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.values[value] = label
}

// watch registers a log to scan, under a name for the failure message.
func (s *secrets) watch(name string, logs *logBuffer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources[name] = logs
}

// logger returns a JSON zap logger at debug level that writes into a new
// watched log, for an in-process gateway.
func (s *secrets) logger(name string) (*zap.Logger, *logBuffer) {
	buf := &logBuffer{}
	s.watch(name, buf)
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(buf), zap.DebugLevel)), buf
}

// check scans every watched log for every secret.
func (s *secrets) check(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, logs := range s.sources {
		lines := logs.lines()
		tally.logLinesScanned.Add(int64(len(lines)))
		for _, leak := range findSecrets(lines, s.values) {
			t.Errorf("%s log leaks a secret: %s", name, leak)
		}
	}
}

// findSecrets returns one description per line that contains a secret.
// The description names the secret's label and the line number, never the
// secret itself.
func findSecrets(lines []string, values map[string]string) []string {
	var leaks []string
	for i, line := range lines {
		for value, label := range values {
			if value != "" && strings.Contains(line, value) {
				leaks = append(leaks, fmt.Sprintf("line %d contains the %s", i+1, label))
			}
		}
	}
	return leaks
}

func TestFindSecrets(t *testing.T) {
	values := map[string]string{"sk-abc123": "upstream key", "sess-42": "session key"}
	cases := []struct {
		name  string
		lines []string
		want  int
	}{
		{"clean", []string{`{"msg":"request","status":200}`, ""}, 0},
		{"upstream key", []string{`{"msg":"dial","auth":"Bearer sk-abc123"}`}, 1},
		{"two lines", []string{"sess-42", "ok", "x sk-abc123 y"}, 2},
		{"prefix only", []string{"sk-abc12", "sess-4"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := findSecrets(tc.lines, values)
			if len(got) != tc.want {
				t.Errorf("findSecrets = %q, want %d leaks", got, tc.want)
			}
			for _, leak := range got {
				if strings.Contains(leak, "sk-abc123") || strings.Contains(leak, "sess-42") {
					t.Errorf("the leak report repeats the secret: %q", leak)
				}
			}
		})
	}
}
