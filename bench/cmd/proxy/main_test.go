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
	const chunks = 20
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/v1/chat/completions" || string(body) != `{"stream":true}` {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for range chunks {
			_, _ = io.WriteString(w, "data: {\"ok\":true}\n\n")
			w.(http.Flusher).Flush()
		}
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	}))
	defer upstream.Close()
	target, err := url.Parse(upstream.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newProxy(target, io.Discard)
	front := httptest.NewServer(fullDuplex(proxy))
	defer front.Close()
	defer proxy.Transport.(*http.Transport).CloseIdleConnections()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	// Many requests in a row, because a stream cut short by the body race
	// that fullDuplex prevents happened about once in a thousand.
	want := strings.Repeat("data: {\"ok\":true}\n\n", chunks) +
		"data: [DONE]\n\n"
	for i := range 3000 {
		resp, err := client.Post(front.URL+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"stream":true}`))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		got, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			t.Fatalf("request %d: reading the body: %v", i, err)
		}
		if string(got) != want {
			t.Fatalf("request %d: proxied body %q, want %q", i, got, want)
		}
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
		{
			"public listener",
			[]string{"-upstream", "http://127.0.0.1:1", "-addr", "0.0.0.0:0"},
			"not a loopback",
		},
		{
			"zero lifetime",
			[]string{"-upstream", "http://127.0.0.1:1", "-lifetime", "0s"},
			"-lifetime",
		},
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
