package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(url+"/v1/chat/completions", "application/json",
		strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func TestCompletion(t *testing.T) {
	srv := httptest.NewServer(newMock(20, false, time.Minute))
	defer srv.Close()
	resp := post(t, srv.URL, `{"model":"m","messages":[]}`) //nolint:bodyclose // post closes it
	var c struct {
		Object  string `json:"object"`
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || c.Object != "chat.completion" ||
		len(c.Choices) != 1 || c.Choices[0].Message.Content != replyText {
		t.Fatalf("status %d, completion %+v", resp.StatusCode, c)
	}
}

// events reads a stream and returns its data payloads.
func events(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, data)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStream(t *testing.T) {
	cases := []struct {
		name  string
		body  string
		total int
	}{
		{"chunks finish done", `{"stream":true}`, 20 + 2},
		{"with usage", `{"stream":true,"stream_options":{"include_usage":true}}`, 20 + 3},
	}
	srv := httptest.NewServer(newMock(20, false, time.Minute))
	defer srv.Close()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := post(t, srv.URL, tc.body) //nolint:bodyclose // post closes it
			if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
				t.Fatalf("content type %q", ct)
			}
			got := events(t, resp.Body)
			if len(got) != tc.total {
				t.Fatalf("%d events, want %d: %q", len(got), tc.total, got)
			}
			if got[len(got)-1] != "[DONE]" {
				t.Errorf("last event %q, want [DONE]", got[len(got)-1])
			}
			if !strings.Contains(got[0], `"content":"tok0 "`) ||
				!strings.Contains(got[0], `"role":"assistant"`) {
				t.Errorf("first chunk %s", got[0])
			}
			if !strings.Contains(got[20], `"finish_reason":"stop"`) {
				t.Errorf("finish chunk %s", got[20])
			}
		})
	}
}

func TestHoldKeepsStreamOpenUntilClientLeaves(t *testing.T) {
	srv := httptest.NewServer(newMock(20, true, time.Minute))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	first, err := br.ReadString('\n')
	if err != nil || !strings.Contains(first, "tok0") {
		t.Fatalf("first line %q, %v", first, err)
	}
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}

	read := make(chan error, 1)
	go func() {
		_, err := br.ReadByte()
		read <- err
	}()
	select {
	case err := <-read:
		t.Fatalf("the held stream delivered more or ended: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	if err := <-read; err == nil {
		t.Fatal("read after cancel succeeded")
	}
}

func TestRejects(t *testing.T) {
	srv := httptest.NewServer(newMock(20, false, time.Minute))
	defer srv.Close()
	cases := []struct {
		name   string
		path   string
		body   string
		status int
	}{
		{"unknown path", "/v1/models", `{}`, http.StatusNotFound},
		{"invalid json", "/v1/chat/completions", `{"stream":`, http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(srv.URL+tc.path, "application/json", bytes.NewBufferString(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no chunks", []string{"-chunks", "0"}, "-chunks"},
		{"public listener", []string{"-addr", "0.0.0.0:0"}, "not a loopback"},
		{"zero hold", []string{"-hold-max", "0s"}, "-hold-max"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := run(tc.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}
