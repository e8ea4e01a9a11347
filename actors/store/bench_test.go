package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate/messages"
)

// BenchmarkActorPut measures the actor write path: each iteration sends
// PutResponse requests from a number of writers at once and waits for
// every reply, so that with many writers the actor groups them into few
// transactions. The rows/tx metric is the mean rows per transaction.
func BenchmarkActorPut(b *testing.B) {
	body := json.RawMessage(`{"object":"response","status":"completed","output":[]}`)
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			system := newSystem(b)
			var transactions atomic.Int64
			pid := spawnStore(b, system, Config{
				Path:         filepath.Join(b.TempDir(), "responses.db"),
				MaxResponses: DefaultMaxResponses,
				Observe: func(op string, _ time.Duration, _ error) {
					if op == "put_responses" {
						transactions.Add(1)
					}
				},
			})
			futures := make([]*actor.Future, writers)
			written := 0

			b.ReportAllocs()
			for b.Loop() {
				for i := range futures {
					written++
					r := messages.StoredResponse{
						ID:     fmt.Sprintf("resp_%016x%032x", written, written),
						Status: messages.ResponseCompleted,
						Body:   body,
					}
					futures[i] = system.Root.RequestFuture(pid,
						&messages.PutResponse{Response: r}, requestTimeout)
				}
				for _, f := range futures {
					waitPut(b, f)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(written), "ns/row")
			b.ReportMetric(float64(written)/float64(max(transactions.Load(), 1)), "rows/tx")
		})
	}
}

func waitPut(b *testing.B, f *actor.Future) {
	b.Helper()
	res, err := f.Result()
	if err != nil {
		b.Fatal(err)
	}
	if reply, ok := res.(*messages.PutResponseReply); !ok || reply.Err != nil {
		b.Fatalf("reply %#v", res)
	}
}
