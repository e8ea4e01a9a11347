package apiserver_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// benchRequest posts body to path on a's server and drains the response.
func benchRequest(b *testing.B, client *http.Client, a *api, path string, body []byte) {
	req, err := http.NewRequest(http.MethodPost, a.base+path, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status = %d", resp.StatusCode)
	}
}

// BenchmarkChatCompletion measures one non-streaming chat completion over
// loopback HTTP with the echo agent, client included.
func BenchmarkChatCompletion(b *testing.B) {
	benchmarkPath(b, "/v1/chat/completions",
		`{"model":"m","messages":[{"role":"user","content":"hello there"}]}`)
}

// BenchmarkChatStream measures one streamed chat completion of three
// words.
func BenchmarkChatStream(b *testing.B) {
	benchmarkPath(b, "/v1/chat/completions",
		`{"model":"m","stream":true,"messages":[{"role":"user","content":"hello there"}]}`)
}

// BenchmarkResponseStored measures one non-streaming response that is
// stored in the database.
func BenchmarkResponseStored(b *testing.B) {
	benchmarkPath(b, "/v1/responses", `{"model":"m","input":"hello there"}`)
}

func benchmarkPath(b *testing.B, path, body string) {
	a := startAPI(b, nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()
	payload := []byte(body)
	b.ReportAllocs()
	for b.Loop() {
		benchRequest(b, client, a, path, payload)
	}
}
