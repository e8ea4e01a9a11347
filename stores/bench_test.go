package stores

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/actorgate/actorgate/messages"
)

// benchBody is a response body of a typical size: a short assistant
// message with its usage block.
var benchBody = json.RawMessage(`{"object":"response","status":"completed","output":[{"type":` +
	`"message","role":"assistant","content":[{"type":"output_text","text":"Hello! How can I ` +
	`help you today?"}]}],"usage":{"input_tokens":12,"output_tokens":9,"total_tokens":21}}`)

// BenchmarkPut measures the storage write path with one response per
// transaction and with a group-commit batch, at the default limit of
// 10,000 responses so that eviction runs once the table is full. The ids
// are random, like the gateway's, so index updates land on random pages.
func BenchmarkPut(b *testing.B) {
	for _, rows := range []int{1, 64} {
		b.Run(fmt.Sprintf("rows_per_tx=%d", rows), func(b *testing.B) {
			s, err := OpenResponses(filepath.Join(b.TempDir(), "r.db"), 10_000, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			batch := make([]messages.StoredResponse, rows)
			written := 0

			b.ReportAllocs()
			for b.Loop() {
				for i := range batch {
					written++
					batch[i] = messages.StoredResponse{
						ID:      responseIDPrefix + randomHex(b, 48),
						Status:  messages.ResponseCompleted,
						Body:    benchBody,
						History: benchBody,
					}
				}
				if err := s.Put(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(written), "ns/row")
		})
	}
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
