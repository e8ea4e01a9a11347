package stores

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/actorgate/actorgate/messages"
)

// benchBody is a response body of a typical size: a short assistant
// message with its usage block.
var benchBody = json.RawMessage(`{"object":"response","status":"completed","output":[{"type":` +
	`"message","role":"assistant","content":[{"type":"output_text","text":"Hello! How can I ` +
	`help you today?"}]}],"usage":{"input_tokens":12,"output_tokens":9,"total_tokens":21}}`)

// benchMaxResponses is the default limit on stored responses.
const benchMaxResponses = 10_000

// BenchmarkPut measures the storage write path with one response per
// transaction and with a group-commit batch. The table is filled to the
// default limit of 10,000 responses first, so every transaction also
// evicts. The ids are random, like the gateway's, so index updates land on
// random pages. json_check=off marks the writes with WithEncodedJSON, as
// the gateway's own writes are. The cpu-ns/row metric is the process's
// user and system CPU time per row, which unlike ns/row leaves out the
// time spent waiting for fsync at checkpoints.
func BenchmarkPut(b *testing.B) {
	for _, rows := range []int{1, 16, 64} {
		for _, check := range []bool{true, false} {
			name := fmt.Sprintf("rows_per_tx=%d/json_check=%s", rows, onOff(check))
			b.Run(name, func(b *testing.B) { benchmarkPut(b, rows, check) })
		}
	}
}

func benchmarkPut(b *testing.B, rows int, checkJSON bool) {
	s, err := OpenResponses(filepath.Join(b.TempDir(), "r.db"), benchMaxResponses, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	fill(b, s, benchMaxResponses)
	ctx := context.Background()
	if !checkJSON {
		ctx = WithEncodedJSON(ctx)
	}
	batch := make([]messages.StoredResponse, rows)
	written := 0

	start := cpuTime(b)
	b.ReportAllocs()
	for b.Loop() {
		for i := range batch {
			written++
			batch[i] = benchResponse(b)
		}
		if err := s.Put(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(written), "cpu-ns/row")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(written), "ns/row")
}

// fill stores n responses in batches of 256.
func fill(b *testing.B, s *SQLiteResponses, n int) {
	b.Helper()
	batch := make([]messages.StoredResponse, 0, 256)
	for written := 0; written < n; written += len(batch) {
		batch = batch[:min(cap(batch), n-written)]
		for i := range batch {
			batch[i] = benchResponse(b)
		}
		if err := s.Put(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
}

func benchResponse(b *testing.B) messages.StoredResponse {
	b.Helper()
	return messages.StoredResponse{
		ID:      responseIDPrefix + randomHex(b, 48),
		Status:  messages.ResponseCompleted,
		Body:    benchBody,
		History: benchBody,
	}
}

// cpuTime returns the user and system CPU time of the process so far, in
// nanoseconds.
func cpuTime(b *testing.B) int64 {
	b.Helper()
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return usage.Utime.Nano() + usage.Stime.Nano()
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// BenchmarkGet measures a read, which also updates the access time.
func BenchmarkGet(b *testing.B) {
	s, err := OpenResponses(filepath.Join(b.TempDir(), "r.db"), 10_000, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := newResponse(b, "bench")
	put(b, s, r)

	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get(context.Background(), "bench", r.ID); err != nil {
			b.Fatal(err)
		}
	}
}
