package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestReadSSE(t *testing.T) {
	const chunk = `data: {"choices":[{"delta":{"content":"hi"}}]}` + "\n\n"
	cases := []struct {
		name    string
		body    string
		events  int
		done    bool
		content bool
	}{
		{"complete", `data: {"choices":[{"delta":{"role":"assistant","content":""}}]}` +
			"\n\n" + chunk + chunk + "data: [DONE]\n\n", 3, true, true},
		{"no done", chunk + chunk, 2, false, true},
		{"no content", `data: {"choices":[]}` + "\n\ndata: [DONE]\n\n", 1, true, false},
		{"comments and crlf", ": ping\r\n\r\n" + strings.ReplaceAll(chunk, "\n", "\r\n") +
			"data: [DONE]\r\n\r\n", 1, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := readSSE(bufio.NewReader(strings.NewReader(tc.body)), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if s.events != tc.events {
				t.Errorf("events = %d, want %d", s.events, tc.events)
			}
			if s.done != tc.done {
				t.Errorf("done = %t, want %t", s.done, tc.done)
			}
			if (s.ttft != 0) != tc.content {
				t.Errorf("content seen = %t, want %t", s.ttft != 0, tc.content)
			}
		})
	}
}

// TestRunLoadCountsFailures checks that errors and incomplete bodies from
// a server show up in the counts next to the successes.
func TestRunLoadCountsFailures(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 3 {
		case 0:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case 1:
			fmt.Fprint(w, `{"object":"chat.completion"}`)
		default:
			fmt.Fprint(w, `{"object":"something else"}`)
		}
	}))
	defer srv.Close()
	client := newLoadClient(4)
	defer client.CloseIdleConnections()

	tg := target{
		name: "test", url: srv.URL + chatPath, body: chatBody,
		header: apiHeader("k"), expect: chatMarker,
	}
	cfg := loadConfig{
		concurrency: 4, warmup: 20 * time.Millisecond,
		duration: 200 * time.Millisecond, maxRequests: 1 << 40,
	}
	r, err := runLoad(context.Background(), client, tg, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK == 0 || r.Non200 == 0 || r.Malformed == 0 {
		t.Fatalf("ok %d, non-200 %d, malformed %d; want all three above 0",
			r.OK, r.Non200, r.Malformed)
	}
	if int64(len(r.Latencies)) != r.OK {
		t.Errorf("%d latencies for %d successes", len(r.Latencies), r.OK)
	}
	if r.FirstError == "" {
		t.Error("no first error recorded")
	}
	if r.Elapsed < cfg.duration {
		t.Errorf("window %v shorter than %v", r.Elapsed, cfg.duration)
	}
}

func TestRunLoadStopsAtMaxRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"object":"chat.completion"}`)
	}))
	defer srv.Close()
	client := newLoadClient(2)
	defer client.CloseIdleConnections()

	tg := target{
		name: "test", url: srv.URL + chatPath, body: chatBody,
		header: apiHeader("k"), expect: chatMarker,
	}
	cfg := loadConfig{concurrency: 2, duration: time.Minute, maxRequests: 50}
	r, err := runLoad(context.Background(), client, tg, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK < 50 || r.OK > 52 {
		t.Errorf("ok = %d, want 50 to 52 (the cap plus requests in flight)", r.OK)
	}
}

func TestRunLoadRejectsOtherHosts(t *testing.T) {
	tg := target{name: "far", url: "http://10.1.2.3:80" + chatPath}
	_, err := runLoad(context.Background(), http.DefaultClient, tg,
		loadConfig{concurrency: 1, duration: time.Millisecond, maxRequests: 1}, nil)
	if err == nil {
		t.Fatal("runLoad accepted a non-loopback target")
	}
}
