package apiserver_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"syscall"
	"testing"
)

// benchConcurrency is the number of concurrent clients of the parallel
// benchmarks, enough for the store actor to group their writes as it
// does under load.
const benchConcurrency = 64

// BenchmarkResponseStoredParallel measures stored responses sent by
// concurrent clients over loopback HTTP with the echo agent, client
// included. The cpu-ns/op metric is the process's user and system CPU
// time per request, which leaves out time spent waiting for fsync.
func BenchmarkResponseStoredParallel(b *testing.B) {
	benchmarkParallel(b, "/v1/responses",
		`{"model":"bench-model","store":true,"input":"Say hello in one short sentence."}`)
}

// BenchmarkChatCompletionParallel is a chat completion under the same
// load, the baseline for stored responses.
func BenchmarkChatCompletionParallel(b *testing.B) {
	benchmarkParallel(b, "/v1/chat/completions", `{"model":"bench-model","messages":`+
		`[{"role":"user","content":"Say hello in one short sentence."}]}`)
}

func benchmarkParallel(b *testing.B, path, body string) {
	a := startAPI(b, nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchConcurrency}}
	defer client.CloseIdleConnections()
	payload := []byte(body)

	// RunParallel starts parallelism × GOMAXPROCS goroutines.
	b.SetParallelism(max(benchConcurrency/runtime.GOMAXPROCS(0), 1))
	start := processCPU(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := post(client, a, path, payload); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
}

// post sends body to path on a's server, drains the response and returns
// an error unless the status is 200. Unlike benchRequest it does not stop
// the benchmark, so it can run on RunParallel's goroutines.
func post(client *http.Client, a *api, path string, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, a.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: status %d", path, resp.StatusCode)
	}
	return nil
}

// processCPU returns the user and system CPU time of the process so far,
// in nanoseconds.
func processCPU(b *testing.B) int64 {
	b.Helper()
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return usage.Utime.Nano() + usage.Stime.Nano()
}
