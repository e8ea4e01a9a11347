package matrix

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"

	"github.com/actorgate/actorgate/actors/chat"
)

// httpError builds the error mautrix returns for a response with status
// and the JSON body.
func httpError(status int, body string, header http.Header) error {
	herr := mautrix.HTTPError{Response: &http.Response{StatusCode: status, Header: header}}
	if body != "" {
		herr.RespError = &mautrix.RespError{StatusCode: status}
		if err := json.Unmarshal([]byte(body), herr.RespError); err != nil {
			panic(err)
		}
	}
	return herr
}

func TestSendErrorClassification(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		permanent bool
		after     time.Duration
	}{
		{"network", mautrix.HTTPError{WrappedError: errors.New("connection refused")}, false, 0},
		{"server error", httpError(502, "", nil), false, 0},
		{"timeout", httpError(408, "", nil), false, 0},
		{"not in room", httpError(403, `{"errcode":"M_FORBIDDEN","error":"not in room"}`, nil), true, 0},
		{"too large", httpError(413, `{"errcode":"M_TOO_LARGE","error":"too large"}`, nil), true, 0},
		{
			"rate limit in body", httpError(429,
				`{"errcode":"M_LIMIT_EXCEEDED","error":"slow down","retry_after_ms":1500}`, nil),
			false, 1500 * time.Millisecond,
		},
		{
			"rate limit in header", httpError(429, "", http.Header{"Retry-After": {"3"}}),
			false, 3 * time.Second,
		},
		{"rate limit without wait", httpError(429, "", nil), false, defaultRetryAfter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := sendError(tc.err)
			if permanent := errors.Is(got, chat.ErrPermanent); permanent != tc.permanent {
				t.Errorf("permanent = %v, want %v", permanent, tc.permanent)
			}
			var ra *chat.RetryAfterError
			isRetryAfter := errors.As(got, &ra)
			if isRetryAfter != (tc.after > 0) {
				t.Fatalf("retry-after error = %v, want %v", isRetryAfter, tc.after > 0)
			}
			if isRetryAfter && ra.After != tc.after {
				t.Errorf("retry after = %s, want %s", ra.After, tc.after)
			}
			if !errors.As(got, new(mautrix.HTTPError)) {
				t.Errorf("classified error %v lost the HTTP error", got)
			}
		})
	}
}

func TestStripControls(t *testing.T) {
	cases := map[string]string{
		"plain text":              "plain text",
		"lines\nand\ttabs":        "lines\nand\ttabs",
		"bell\x07 and nul\x00":    "bell and nul",
		"crlf\r\nline":            "crlf\nline",
		"del\x7f gone":            "del gone",
		"ünïcödé 🙂 <tag> & \"q\"": "ünïcödé 🙂 <tag> & \"q\"",
	}
	for in, want := range cases {
		if got := stripControls(in); got != want {
			t.Errorf("stripControls(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTxnCacheReusesIDUntilSent(t *testing.T) {
	c := newTxnCache()
	out := chat.Outgoing{ChatID: "!r:x", ReplyTo: "$e", Text: "hello"}
	key := txnKey(out)
	first := c.get(key)
	if again := c.get(key); again != first {
		t.Errorf("retry got transaction id %q, want the first one %q", again, first)
	}
	if other := c.get(txnKey(chat.Outgoing{ChatID: "!r:x", Text: "hello"})); other == first {
		t.Error("a message with another reply target shares the transaction id")
	}
	c.done(key)
	if next := c.get(key); next == first {
		t.Error("a new message with the same text reuses the sent message's transaction id")
	}
}

func TestContentRepliesInThreadAndMentions(t *testing.T) {
	c := &conn{senders: newSenderCache(), log: zap.NewNop()}
	c.senders.put("$question", "@alice:x")
	cases := []struct {
		name     string
		out      chat.Outgoing
		thread   id.EventID
		replyTo  id.EventID
		mentions []id.UserID
	}{
		{"plain", chat.Outgoing{Text: "a"}, "", "", nil},
		{
			"reply",
			chat.Outgoing{Text: "a", ReplyTo: "$question"},
			"", "$question",
			[]id.UserID{"@alice:x"},
		},
		{
			"thread reply",
			chat.Outgoing{Text: "a", ThreadID: "$root", ReplyTo: "$question"},
			"$root", "$question",
			[]id.UserID{"@alice:x"},
		},
		{"thread continuation", chat.Outgoing{Text: "a", ThreadID: "$root"}, "$root", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := c.content(tc.out)
			if got := msg.RelatesTo.GetThreadParent(); got != tc.thread {
				t.Errorf("thread = %q, want %q", got, tc.thread)
			}
			if got := msg.RelatesTo.GetReplyTo(); got != tc.replyTo {
				t.Errorf("reply to = %q, want %q", got, tc.replyTo)
			}
			if msg.Mentions == nil {
				t.Fatal("m.mentions missing; clients would guess mentions from the text")
			}
			if len(msg.Mentions.UserIDs) != len(tc.mentions) ||
				(len(tc.mentions) > 0 && msg.Mentions.UserIDs[0] != tc.mentions[0]) {
				t.Errorf("mentions = %v, want %v", msg.Mentions.UserIDs, tc.mentions)
			}
		})
	}
}

func TestSyncFilterIsJSON(t *testing.T) {
	var f map[string]any
	if err := json.Unmarshal([]byte(syncFilter), &f); err != nil {
		t.Fatalf("sync filter is not JSON: %v\n%s", err, syncFilter)
	}
}
