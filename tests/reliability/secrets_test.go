//go:build reliability

package reliability

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logBuffer collects a process's or a logger's output safely across
// goroutines. With a positive limit it keeps only about the last limit
// bytes and hands the whole lines it drops to spill first, so that a long
// soak neither grows the test's memory nor skips lines in the secret scan.
type logBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	limit int
	spill func(lines []string)
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.b.Write(p)
	if l.limit > 0 && l.b.Len() > l.limit {
		l.trim()
	}
	return n, err
}

// trim drops whole lines from the front until about half the limit is
// left.
func (l *logBuffer) trim() {
	data := l.b.Bytes()
	cut := bytes.LastIndexByte(data[:len(data)-l.limit/2], '\n')
	if cut < 0 {
		return
	}
	dropped := strings.Split(string(l.b.Next(cut+1)), "\n")
	if l.spill != nil {
		l.spill(dropped[:len(dropped)-1])
	}
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
	// retain, when positive, bounds the bytes each log keeps; the lines it
	// drops are scanned at once into leaks.
	retain int

	// leakMu guards leaks and spilled. Like mu, it is taken while a log's
	// own lock is held, so neither is held while taking a log's lock.
	leakMu  sync.Mutex
	leaks   []string
	spilled int64
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
// Call it before anything writes to the log.
func (s *secrets) watch(name string, logs *logBuffer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources[name] = logs
	if s.retain > 0 {
		logs.limit = s.retain
		logs.spill = func(lines []string) { s.scanSpilled(name, lines) }
	}
}

// scanSpilled scans lines a bounded log dropped.
func (s *secrets) scanSpilled(name string, lines []string) {
	s.mu.Lock()
	values := maps.Clone(s.values)
	s.mu.Unlock()
	found := findSecrets(lines, values)
	s.leakMu.Lock()
	defer s.leakMu.Unlock()
	s.spilled += int64(len(lines))
	for _, leak := range found {
		s.leaks = append(s.leaks, name+" log (an early part): "+leak)
	}
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
	// The copies keep s.mu free while a log's lock is taken, because a log
	// that spills takes s.mu under its own lock.
	s.mu.Lock()
	sources, values := maps.Clone(s.sources), maps.Clone(s.values)
	s.mu.Unlock()
	for name, logs := range sources {
		lines := logs.lines()
		tally.logLinesScanned.Add(int64(len(lines)))
		for _, leak := range findSecrets(lines, values) {
			t.Errorf("%s log leaks a secret: %s", name, leak)
		}
	}
	s.leakMu.Lock()
	defer s.leakMu.Unlock()
	tally.logLinesScanned.Add(s.spilled)
	for _, leak := range s.leaks {
		t.Errorf("%s leaks a secret", leak)
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

func TestBoundedLogSpillsWholeLines(t *testing.T) {
	var spilled []string
	logs := &logBuffer{limit: 256, spill: func(lines []string) { spilled = append(spilled, lines...) }}
	const written = 200
	for i := range written {
		fmt.Fprintf(logs, "line %03d\n", i)
	}
	retained := logs.lines()
	if n := len(logs.String()); n > logs.limit {
		t.Errorf("the log keeps %d bytes, want at most %d", n, logs.limit)
	}
	if len(spilled)+len(retained) != written {
		t.Fatalf("%d lines spilled and %d retained, want %d in all", len(spilled), len(retained), written)
	}
	all := append(spilled, retained...)
	for i, line := range all {
		if want := fmt.Sprintf("line %03d", i); line != want {
			t.Fatalf("line %d is %q, want %q", i, line, want)
		}
	}
}
