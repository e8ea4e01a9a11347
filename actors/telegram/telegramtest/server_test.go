package telegramtest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const token = "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

func start(t *testing.T) *Server {
	t.Helper()
	s, err := Start(token, "testbot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

type reply struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

func call(t *testing.T, req *http.Request) (int, reply) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	var r reply
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	return resp.StatusCode, r
}

func TestEncodings(t *testing.T) {
	s := start(t)
	base := s.URL() + "/bot" + token + "/sendMessage"
	multipartBody := func() (*bytes.Buffer, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		_ = w.WriteField("chat_id", "4")
		_ = w.WriteField("text", "multipart")
		_ = w.WriteField("reply_parameters", `{"message_id":44}`)
		_ = w.Close()
		return &b, w.FormDataContentType()
	}
	mb, mct := multipartBody()
	tests := []struct {
		name string
		req  func() *http.Request
		want Sent
	}{
		{"query string", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, base+"?chat_id=1&text=query&reply_to_message_id=11", nil)
			return r
		}, Sent{ChatID: "1", Text: "query", ReplyTo: 11}},
		{"form", func() *http.Request {
			form := url.Values{"chat_id": {"2"}, "text": {"form"}, "message_thread_id": {"7"}}
			r, _ := http.NewRequest(http.MethodPost, base, strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, Sent{ChatID: "2", Text: "form", ThreadID: 7}},
		{"json", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, base, strings.NewReader(
				`{"chat_id":3,"text":"json","reply_parameters":{"message_id":33}}`))
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
			return r
		}, Sent{ChatID: "3", Text: "json", ReplyTo: 33}},
		{"multipart", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, base, mb)
			r.Header.Set("Content-Type", mct)
			return r
		}, Sent{ChatID: "4", Text: "multipart", ReplyTo: 44}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, r := call(t, tt.req())
			if status != 200 || !r.OK {
				t.Fatalf("status %d: %+v", status, r)
			}
			got := s.Sent()[i]
			got.MessageID = 0
			if got != tt.want {
				t.Errorf("recorded %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLongPollHoldsAndConfirms(t *testing.T) {
	s := start(t)
	base := s.URL() + "/bot" + token + "/getUpdates"
	type result struct {
		status int
		r      reply
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base, strings.NewReader(`{"timeout":10}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{}
			return
		}
		defer func() { _ = resp.Body.Close() }()
		var r reply
		_ = json.NewDecoder(resp.Body).Decode(&r)
		done <- result{resp.StatusCode, r}
	}()
	// The poll is held: wait until the server has seen it, then push.
	deadline := time.Now().Add(5 * time.Second)
	for len(s.Offsets()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	select {
	case <-done:
		t.Fatal("the poll returned before any update arrived")
	default:
	}
	id := s.Push(PrivateText(9, "u", "hello"))
	got := <-done
	if got.status != 200 || !strings.Contains(string(got.r.Result), `"text":"hello"`) {
		t.Fatalf("poll = %d %s", got.status, got.r.Result)
	}

	// The update stays until an offset above it confirms it.
	req, _ := http.NewRequest(http.MethodGet, base+"?timeout=0", nil)
	if _, r := call(t, req); !strings.Contains(string(r.Result), "hello") {
		t.Error("an unconfirmed update was not returned again")
	}
	req, _ = http.NewRequest(http.MethodGet, base+"?timeout=0&offset="+itoa(id+1), nil)
	if _, r := call(t, req); string(r.Result) != "[]" {
		t.Errorf("after the offset confirmed it: %s, want []", r.Result)
	}
	if s.Pending() != 0 {
		t.Errorf("pending = %d, want 0", s.Pending())
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestErrorEnvelopes(t *testing.T) {
	s := start(t)
	get := func(path string) (int, reply) {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
		return call(t, req)
	}

	if status, r := get("/bot123:wrong/getMe"); status != 401 || r.OK || r.ErrorCode != 401 ||
		r.Description != "Unauthorized" {
		t.Errorf("wrong token: %d %+v", status, r)
	}

	s.RateLimit(1, 3)
	status, r := get("/bot" + token + "/sendMessage?chat_id=1&text=x")
	if status != 429 || r.Parameters.RetryAfter != 3 || r.Description != "Too Many Requests: retry after 3" {
		t.Errorf("rate limited: %d %+v", status, r)
	}

	long := strings.Repeat("😀", 2049)
	status, r = get("/bot" + token + "/sendMessage?chat_id=1&text=" + url.QueryEscape(long))
	if status != 400 || r.Description != "Bad Request: message is too long" {
		t.Errorf("4098 UTF-16 units: %d %+v", status, r)
	}

	s.SetConflict(true)
	if status, r := get("/bot" + token + "/getUpdates"); status != 409 || r.ErrorCode != 409 {
		t.Errorf("conflict: %d %+v", status, r)
	}
	s.SetConflict(false)

	s.FailPolls(1)
	if status, _ := get("/bot" + token + "/getUpdates"); status != 502 {
		t.Errorf("failed poll: %d, want 502", status)
	}
}

func TestNewerPollEndsOlder(t *testing.T) {
	s := start(t)
	base := s.URL() + "/bot" + token + "/getUpdates?timeout=10"
	first := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, base, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			first <- 0
			return
		}
		_ = resp.Body.Close()
		first <- resp.StatusCode
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(s.Offsets()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/bot"+token+"/getUpdates?timeout=0", nil)
	if status, _ := call(t, req); status != 200 {
		t.Errorf("newer poll: %d", status)
	}
	if status := <-first; status != http.StatusConflict {
		t.Errorf("older poll: %d, want 409", status)
	}
}
