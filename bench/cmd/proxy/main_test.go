package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestProxyForwardsAndStreams(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: "+r.URL.Path+" "+string(body)+"\n\n")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	}))
	defer upstream.Close()
	target, err := url.Parse(upstream.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newProxy(target, io.Discard)
	front := httptest.NewServer(proxy)
	defer front.Close()
	defer proxy.Transport.(*http.Transport).CloseIdleConnections()

	resp, err := http.Post(front.URL+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	want := "data: /v1/chat/completions {\"stream\":true}\n\ndata: [DONE]\n\n"
	if string(got) != want {
		t.Fatalf("proxied body %q, want %q", got, want)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing upstream", nil, "-upstream is missing"},
		{"remote upstream", []string{"-upstream", "http://192.0.2.1:80"}, "not a loopback"},
		{"named upstream", []string{"-upstream", "http://localhost:80"}, "not a loopback"},
		{"public listener", []string{"-upstream", "http://127.0.0.1:1", "-addr", "0.0.0.0:0"},
			"not a loopback"},
		{"zero lifetime", []string{"-upstream", "http://127.0.0.1:1", "-lifetime", "0s"},
			"-lifetime"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(tc.args, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}
