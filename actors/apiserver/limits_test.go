package apiserver_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actorgate/actorgate/config"
)

// countingBody is a request body of size bytes, or an endless one when
// size is negative, that counts the bytes it produced.
type countingBody struct {
	size   int64
	read   atomic.Int64
	closed chan struct{}
	once   atomic.Bool
}

func newCountingBody(size int64) *countingBody {
	return &countingBody{size: size, closed: make(chan struct{})}
}

func (b *countingBody) Read(p []byte) (int, error) {
	n := int64(len(p))
	if b.size >= 0 {
		left := b.size - b.read.Load()
		if left <= 0 {
			return 0, io.EOF
		}
		n = min(n, left)
	}
	for i := range p[:n] {
		p[i] = 'x'
	}
	b.read.Add(n)
	return int(n), nil
}

func (b *countingBody) Close() error {
	if b.once.CompareAndSwap(false, true) {
		close(b.closed)
	}
	return nil
}

// postChunked sends body with chunked transfer encoding and returns the
// status, or 0 when the connection broke before a response arrived.
func (a *api) postChunked(body io.ReadCloser) (int, []byte) {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.base+"/v1/chat/completions", body)
	if err != nil {
		a.t.Fatal(err)
	}
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+a.key)
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		a.t.Logf("chunked request: %v", err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestBodyLimits(t *testing.T) {
	a := startAPI(t, nil)

	r := a.raw("POST /v1/chat/completions HTTP/1.1\r\nHost: test\r\n" +
		"Authorization: Bearer " + a.key + "\r\nContent-Type: application/json\r\n" +
		"Content-Length: 10000001\r\n\r\n")
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("declared length over the limit: status = %d: %s", r.status, r.body)
	}
	checkCommonHeaders(t, "declared length over the limit", r.header)
	if code := r.errorField(t, "code"); code != "body_too_large" {
		t.Errorf("code = %v, want body_too_large", code)
	}

	status, body := a.postChunked(newCountingBody(11_000_000))
	if status != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked 11 MB: status = %d, want 413: %s", status, body)
	}

	// An endless body is cut off: the server reads at most the limit and
	// closes the connection, so the client stops producing soon after.
	endless := newCountingBody(-1)
	status, _ = a.postChunked(endless)
	if status != http.StatusRequestEntityTooLarge {
		t.Errorf("endless chunked body: status = %d, want 413", status)
	}
	select {
	case <-endless.closed:
	case <-time.After(30 * time.Second):
		t.Fatal("the client kept sending the endless body")
	}
	// The limit plus what the socket buffers of both ends can hold.
	if n := endless.read.Load(); n > 64<<20 {
		t.Errorf("the client wrote %d bytes of an endless body; the server buffered it", n)
	}

	under := fmt.Sprintf(`{"model":"m","messages":[{"role":"user","content":"%s"}]}`,
		strings.Repeat("y", 9000))
	if r := a.call(http.MethodPost, "/v1/chat/completions", under); r.status != http.StatusOK {
		t.Errorf("body under the limit: status = %d: %s", r.status, r.body)
	}
}

func TestConfiguredBodyLimit(t *testing.T) {
	a := startAPI(t, func(c *config.Config) { c.Platforms.APIServer.MaxRequestBytes = 2048 })
	body := func(n int) string {
		return fmt.Sprintf(`{"model":"m","messages":[{"role":"user","content":"%s"}]}`,
			strings.Repeat("y", n))
	}
	r := a.call(http.MethodPost, "/v1/chat/completions", body(3000))
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("body over a 2048-byte limit: status = %d", r.status)
	}
	if msg, _ := r.errorField(t, "message").(string); !strings.Contains(msg, "2048") {
		t.Errorf("message does not name the limit: %q", msg)
	}
	if r := a.call(http.MethodPost, "/v1/chat/completions", body(1000)); r.status != http.StatusOK {
		t.Errorf("body under the limit: status = %d: %s", r.status, r.body)
	}
}

func TestMalformedHTTPRequest(t *testing.T) {
	logs := newLogRecorder()
	a := startAPIWith(t, nil, logs.option())
	head := "POST /v1/chat/completions HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " + a.key
	cases := []struct {
		name    string
		request string
		status  int
		// reason is the text of net/http's own response, which the
		// message keeps.
		reason string
	}{
		{"length abc", head + "\r\nContent-Length: abc\r\n\r\n{}", 400, "400 Bad Request"},
		{"length negative", head + "\r\nContent-Length: -1\r\n\r\n{}", 400, "400 Bad Request"},
		{"length list", head + "\r\nContent-Length: 1, 2\r\n\r\n{}", 400, "400 Bad Request"},
		{"header without colon", head + "\r\nBroken header line\r\n\r\n", 400, "400 Bad Request"},
		{
			"unknown transfer encoding", head + "\r\nTransfer-Encoding: gzip\r\n\r\n", 501,
			"Unsupported transfer encoding",
		},
	}
	for _, c := range cases {
		r := a.raw(c.request)
		if r.status != c.status {
			t.Errorf("%s: status = %d, want %d: %s", c.name, r.status, c.status, r.body)
			continue
		}
		var env struct {
			Error struct {
				Message string `json:"message"`
				Type    string `json:"type"`
				Code    string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(r.body, &env); err != nil {
			t.Errorf("%s: body is not the OpenAI envelope: %q", c.name, r.body)
			continue
		}
		if env.Error.Code != "malformed_http_request" || env.Error.Type != "invalid_request_error" {
			t.Errorf("%s: error = %+v", c.name, env.Error)
		}
		if !strings.Contains(env.Error.Message, c.reason) {
			t.Errorf("%s: message lacks the reason %q: %q", c.name, c.reason, env.Error.Message)
		}
		if !strings.Contains(env.Error.Message, "Content-Length") {
			t.Errorf("%s: message does not point at Content-Length: %q", c.name, env.Error.Message)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type = %q", c.name, ct)
		}
		if !r.closes {
			t.Errorf("%s: the response does not close the connection", c.name)
		}
		checkCommonHeaders(t, c.name, r.header)
		logs.waitRequestLine(t, r.header.Get("X-Request-Id"), c.status)
	}
}
