package stores

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/actorgate/actorgate/messages"
)

// backend opens one implementation of Responses for the contract suite.
// open is called again with the same path to check what survives Close.
type backend struct {
	name string
	open func(t *testing.T, path string, max int, clock *testClock) Responses
}

var backends = []backend{
	{
		name: "sqlite",
		open: func(t *testing.T, path string, max int, clock *testClock) Responses {
			return openSQLiteStore(t, path, max, clock)
		},
	},
}

// contractCase is one behaviour every Responses implementation must have.
type contractCase struct {
	name string
	run  func(t *testing.T, b backend)
}

var contractCases = []contractCase{
	{"put get delete", testPutGetDelete},
	{"session scoping", testSessionScoping},
	{"malformed ids", testMalformedIDs},
	{"replace keeps id", testReplace},
	{"batch rejects one", testBatchRejectsOne},
	{"chained response validation", testChainValidation},
	{"conversation follows latest", testConversationFollowsLatest},
	{"conversation dropped on delete", testConversationDroppedOnDelete},
	{"conversation dropped on eviction", testConversationDroppedOnEviction},
	{"lru evicts oldest", testLRUEvictsOldest},
	{"lru refresh on read", testLRURefreshOnRead},
	{"idempotency states", testIdempotencyStates},
	{"idempotency abandon", testIdempotencyAbandon},
	{"idempotency ttl", testIdempotencyTTL},
	{"idempotency invalid", testIdempotencyInvalid},
	{"survives reopen", testSurvivesReopen},
	{"close twice", testCloseTwice},
}

func TestResponsesContract(t *testing.T) {
	for _, b := range backends {
		for _, c := range contractCases {
			t.Run(b.name+"/"+c.name, func(t *testing.T) { c.run(t, b) })
		}
	}
}

// openFresh opens an empty store in a new temporary directory.
func openFresh(t *testing.T, b backend, max int) (Responses, *testClock, string) {
	t.Helper()
	clock := newTestClock()
	path := filepath.Join(t.TempDir(), "responses.db")
	return b.open(t, path, max, clock), clock, path
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, messages.ErrNotFound) {
		t.Fatalf("%s: err = %v, want messages.ErrNotFound", what, err)
	}
}

func testPutGetDelete(t *testing.T, b backend) {
	s, _, _ := openFresh(t, b, 10)
	ctx := context.Background()
	first := newResponse(t, "alice")
	r := chained(t, first)
	r.Conversation = "chat"
	r.Instructions = "be brief"
	r.Status = messages.ResponseIncomplete
	r.CreatedAt = time.Unix(1_700_000_000, 123_456_789)
	put(t, s, first, r)

	got := mustGet(t, s, "alice", r.ID)
	checks := []struct {
		field     string
		got, want any
	}{
		{"ID", got.ID, r.ID},
		{"SessionKey", got.SessionKey, r.SessionKey},
		{"PreviousID", got.PreviousID, r.PreviousID},
		{"Conversation", got.Conversation, r.Conversation},
		{"Instructions", got.Instructions, r.Instructions},
		{"Status", got.Status, r.Status},
		{"Body", string(got.Body), string(r.Body)},
		{"History", string(got.History), string(r.History)},
		{"CreatedAt", got.CreatedAt.UnixNano(), r.CreatedAt.UnixNano()},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}
	if n := count(t, s); n != 2 {
		t.Errorf("Count = %d, want 2", n)
	}

	if err := s.Delete(ctx, "alice", r.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := s.Get(ctx, "alice", r.ID)
	wantNotFound(t, "Get after Delete", err)
	wantNotFound(t, "second Delete", s.Delete(ctx, "alice", r.ID))
	if n := count(t, s); n != 1 {
		t.Errorf("Count after Delete = %d, want 1", n)
	}
}

func testSessionScoping(t *testing.T, b backend) {
	s, _, _ := openFresh(t, b, 10)
	ctx := context.Background()
	r := newResponse(t, "alice")
	r.Conversation = "chat"
	put(t, s, r)

	_, err := s.Get(ctx, "bob", r.ID)
	wantNotFound(t, "Get by another session", err)
	_, err = s.Get(ctx, "", r.ID)
	wantNotFound(t, "Get by the default session", err)
	wantNotFound(t, "Delete by another session", s.Delete(ctx, "bob", r.ID))
	_, err = s.Conversation(ctx, "bob", "chat")
	wantNotFound(t, "Conversation of another session", err)

	stolen := r
	stolen.SessionKey = "bob"
	stolen.Body = json.RawMessage(`{"stolen":true}`)
	err = s.Put(ctx, []messages.StoredResponse{stolen})
	var batchErr *BatchError
	if !errors.As(err, &batchErr) || !errors.Is(batchErr.Errs[0], ErrIDInUse) {
		t.Fatalf("Put of another session's id: err = %v, want a BatchError with ErrIDInUse", err)
	}
	if got := mustGet(t, s, "alice", r.ID); string(got.Body) != string(r.Body) {
		t.Errorf("body after a rejected overwrite = %s, want %s", got.Body, r.Body)
	}
	if id, err := s.Conversation(ctx, "alice", "chat"); err != nil || id != r.ID {
		t.Errorf("Conversation(alice) = %q, %v; want %q", id, err, r.ID)
	}
}

func testMalformedIDs(t *testing.T, b backend) {
	s, _, _ := openFresh(t, b, 10)
	ctx := context.Background()
	valid := newResponse(t, "")
	put(t, s, valid)

	ids := map[string]string{
		"empty":         "",
		"prefix only":   "resp_",
		"short":         valid.ID[:len(valid.ID)-1],
		"long":          valid.ID + "0",
		"uppercase":     strings.ToUpper(valid.ID[:5]) + valid.ID[5:],
		"uppercase hex": valid.ID[:5] + strings.ToUpper(valid.ID[5:]),
		"wrong prefix":  "msg__" + valid.ID[5:],
		"not hex":       valid.ID[:10] + "g" + valid.ID[11:],
		"sql":           "resp_' OR 1=1 --" + strings.Repeat("0", 37),
	}
	for name, id := range ids {
		t.Run(name, func(t *testing.T) {
			_, err := s.Get(ctx, "", id)
			wantNotFound(t, "Get", err)
			wantNotFound(t, "Delete", s.Delete(ctx, "", id))
			r := newResponse(t, "")
			r.ID = id
			if err := s.Put(ctx, []messages.StoredResponse{r}); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("Put: err = %v, want ErrInvalidArgument", err)
			}
		})
	}
	if n := count(t, s); n != 1 {
		t.Errorf("Count = %d, want 1", n)
	}
}

func testReplace(t *testing.T, b backend) {
	s, _, _ := openFresh(t, b, 10)
	r := newResponse(t, "alice")
	r.Status = messages.ResponseInProgress
	r.CreatedAt = time.Unix(1_700_000_000, 0)
	put(t, s, r)

	r.Status = messages.ResponseCompleted
	r.Body = json.RawMessage(`{"final":true}`)
	r.Conversation = "chat"
	r.CreatedAt = time.Time{}
	put(t, s, r)

	got := mustGet(t, s, "alice", r.ID)
	if got.Status != messages.ResponseCompleted || string(got.Body) != `{"final":true}` {
		t.Errorf("after replace: status %q body %s", got.Status, got.Body)
	}
	if got.Conversation != "chat" {
		t.Errorf("Conversation = %q, want chat", got.Conversation)
	}
	if want := int64(1_700_000_000); got.CreatedAt.Unix() != want {
		t.Errorf("CreatedAt = %v, want the first one kept when the replacement sets none", got.CreatedAt)
	}
	if n := count(t, s); n != 1 {
		t.Errorf("Count = %d, want 1", n)
	}
}

func testBatchRejectsOne(t *testing.T, b backend) {
	s, _, _ := openFresh(t, b, 10)
	good1, bad, good2 := newResponse(t, "a"), newResponse(t, "a"), newResponse(t, "a")
	bad.Body = json.RawMessage(`{not json`)

	err := s.Put(context.Background(), []messages.StoredResponse{good1, bad, good2})
	var batchErr *BatchError
	if !errors.As(err, &batchErr) {
		t.Fatalf("Put: err = %v, want *BatchError", err)
	}
	if len(batchErr.Errs) != 3 {
		t.Fatalf("len(Errs) = %d, want 3", len(batchErr.Errs))
	}
	if batchErr.Errs[0] != nil || batchErr.Errs[2] != nil {
		t.Errorf("valid responses rejected: %v, %v", batchErr.Errs[0], batchErr.Errs[2])
	}
	if !errors.Is(batchErr.Errs[1], ErrInvalidArgument) || !strings.Contains(batchErr.Errs[1].Error(), "body") {
		t.Errorf("Errs[1] = %v, want ErrInvalidArgument naming the body", batchErr.Errs[1])
	}
	mustGet(t, s, "a", good1.ID)
	mustGet(t, s, "a", good2.ID)
	_, err = s.Get(context.Background(), "a", bad.ID)
	wantNotFound(t, "Get of the rejected response", err)
}

func testChainValidation(t *testing.T, b backend) {
	s, _, _ := openFresh(t, b, 10)
	root := newResponse(t, "a")
	put(t, s, root)

	otherThread := newResponse(t, "a")
	otherThread.PreviousID = root.ID
	self := chained(t, root)
	self.PreviousID = self.ID
	malformed := chained(t, root)
	malformed.PreviousID = "resp_nope"
	noStatus := chained(t, root)
	noStatus.Status = ""
	badHistory := chained(t, root)
	badHistory.History = json.RawMessage(`[`)

	cases := map[string]struct {
		r    messages.StoredResponse
		want string
	}{
		"other thread":       {otherThread, "thread"},
		"previous is self":   {self, "itself"},
		"malformed previous": {malformed, "previous id"},
		"empty status":       {noStatus, "status"},
		"bad history":        {badHistory, "history"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := s.Put(context.Background(), []messages.StoredResponse{c.r})
			if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Put: err = %v, want ErrInvalidArgument mentioning %q", err, c.want)
			}
		})
	}
	if n := count(t, s); n != 1 {
		t.Errorf("Count = %d, want 1", n)
	}
}

func testConversationFollowsLatest(t *testing.T, b backend) {
	s, _, _ := openFresh(t, b, 10)
	ctx := context.Background()
	first := newResponse(t, "a")
	first.Conversation = "chat"
	second := chained(t, first)
	second.Conversation = "chat"
	put(t, s, first)
	put(t, s, second)

	id, err := s.Conversation(ctx, "a", "chat")
	if err != nil || id != second.ID {
		t.Fatalf("Conversation = %q, %v; want %q", id, err, second.ID)
	}
	_, err = s.Conversation(ctx, "a", "other")
	wantNotFound(t, "unknown conversation", err)
	_, err = s.Conversation(ctx, "a", "")
	wantNotFound(t, "empty conversation name", err)
}

func testConversationDroppedOnDelete(t *testing.T, b backend) {
	s, _, _ := openFresh(t, b, 10)
	ctx := context.Background()
	first := newResponse(t, "a")
	first.Conversation = "chat"
	second := chained(t, first)
	second.Conversation = "chat"
	put(t, s, first, second)

	if err := s.Delete(ctx, "a", second.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := s.Conversation(ctx, "a", "chat")
	wantNotFound(t, "Conversation after deleting its response", err)
	if got := mustGet(t, s, "a", first.ID); got.Conversation != "" {
		t.Errorf("first response still carries conversation %q", got.Conversation)
	}
}

func testConversationDroppedOnEviction(t *testing.T, b backend) {
	s, _, _ := openFresh(t, b, 2)
	ctx := context.Background()
	named := newResponse(t, "a")
	named.Conversation = "chat"
	put(t, s, named)
	put(t, s, newResponse(t, "a"))
	put(t, s, newResponse(t, "a"))

	_, err := s.Get(ctx, "a", named.ID)
	wantNotFound(t, "Get of the evicted response", err)
	_, err = s.Conversation(ctx, "a", "chat")
	wantNotFound(t, "Conversation of the evicted response", err)
	if n := count(t, s); n != 2 {
		t.Errorf("Count = %d, want 2", n)
	}
}

// putMany stores n responses one Put at a time, oldest first.
func putMany(t *testing.T, s Responses, n int) []messages.StoredResponse {
	t.Helper()
	rs := make([]messages.StoredResponse, n)
	for i := range rs {
		rs[i] = newResponse(t, "a")
		put(t, s, rs[i])
	}
	return rs
}

// With a limit of 100, an eviction also frees a headroom of one row.
func testLRUEvictsOldest(t *testing.T, b backend) {
	s, _, _ := openFresh(t, b, 100)
	rs := putMany(t, s, 101)

	if n := count(t, s); n != 99 {
		t.Fatalf("Count = %d, want 99 (the limit of 100 less a headroom of 1)", n)
	}
	for _, r := range rs[:2] {
		_, err := s.Get(context.Background(), "a", r.ID)
		wantNotFound(t, "Get of one of the two least recently used", err)
	}
	for _, r := range rs[2:] {
		mustGet(t, s, "a", r.ID)
	}
	// The headroom lets the next write in without an eviction.
	put(t, s, newResponse(t, "a"))
	if n := count(t, s); n != 100 {
		t.Fatalf("Count after one more write = %d, want 100", n)
	}
	mustGet(t, s, "a", rs[2].ID)
}

func testLRURefreshOnRead(t *testing.T, b backend) {
	s, _, _ := openFresh(t, b, 100)
	rs := putMany(t, s, 100)
	mustGet(t, s, "a", rs[0].ID)
	put(t, s, newResponse(t, "a"))

	if n := count(t, s); n != 99 {
		t.Fatalf("Count = %d, want 99", n)
	}
	mustGet(t, s, "a", rs[0].ID)
	for _, r := range rs[1:3] {
		_, err := s.Get(context.Background(), "a", r.ID)
		wantNotFound(t, "Get of the least recently used after a refresh", err)
	}
	mustGet(t, s, "a", rs[3].ID)
}

func begin(s Responses, session, key, fingerprint string, ttl time.Duration, now time.Time) (messages.BeginIdempotentReply, error) {
	return s.BeginIdempotent(context.Background(), messages.BeginIdempotent{
		RequestID: "req-" + key, SessionKey: session, Key: key, Fingerprint: fingerprint, TTL: ttl,
	}, now)
}

func finish(s Responses, session, key string, status int, body string, now time.Time) error {
	return s.FinishIdempotent(context.Background(), messages.FinishIdempotent{
		SessionKey: session, Key: key, Status: status, Body: []byte(body),
	}, now)
}

func abandon(s Responses, session, key string, now time.Time) error {
	return s.FinishIdempotent(context.Background(), messages.FinishIdempotent{
		SessionKey: session, Key: key, Abandon: true,
	}, now)
}

func wantState(t *testing.T, what string, reply messages.BeginIdempotentReply, err error, want messages.IdempotencyState) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: err = %v, want state %s", what, err, want)
	}
	if reply.State != want {
		t.Fatalf("%s: state = %q, want %q", what, reply.State, want)
	}
}

func testIdempotencyStates(t *testing.T, b backend) {
	s, clock, _ := openFresh(t, b, 10)
	now, ttl := clock.Now(), time.Hour

	reply, err := begin(s, "a", "k", "fp1", ttl, now)
	wantState(t, "first Begin", reply, err, messages.IdempotencyNew)
	if reply.RequestID != "req-k" {
		t.Errorf("RequestID = %q, want req-k", reply.RequestID)
	}
	_, err = begin(s, "a", "k", "fp1", ttl, now)
	if !errors.Is(err, ErrIdempotencyPending) {
		t.Fatalf("Begin while pending: err = %v, want ErrIdempotencyPending", err)
	}
	_, err = begin(s, "a", "k", "fp2", ttl, now)
	if !errors.Is(err, messages.ErrIdempotencyConflict) {
		t.Fatalf("Begin with another fingerprint while pending: err = %v, want conflict", err)
	}
	reply, err = begin(s, "b", "k", "fp2", ttl, now)
	wantState(t, "same key in another session", reply, err, messages.IdempotencyNew)

	if err := finish(s, "a", "k", 201, `{"ok":true}`, now); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	reply, err = begin(s, "a", "k", "fp1", ttl, now)
	wantState(t, "Begin after Finish", reply, err, messages.IdempotencyDone)
	if reply.Status != 201 || !bytes.Equal(reply.Body, []byte(`{"ok":true}`)) {
		t.Errorf("stored result = %d %s, want 201 {\"ok\":true}", reply.Status, reply.Body)
	}
	_, err = begin(s, "a", "k", "fp2", ttl, now)
	if !errors.Is(err, messages.ErrIdempotencyConflict) {
		t.Errorf("Begin with another fingerprint when done: err = %v, want conflict", err)
	}

	if err := finish(s, "a", "k", 500, `late`, now); err != nil {
		t.Fatalf("second Finish: %v", err)
	}
	reply, _ = begin(s, "a", "k", "fp1", ttl, now)
	if reply.Status != 201 {
		t.Errorf("after a second Finish status = %d, want the first result 201", reply.Status)
	}
}

func testIdempotencyAbandon(t *testing.T, b backend) {
	s, clock, _ := openFresh(t, b, 10)
	now := clock.Now()

	reply, err := begin(s, "a", "k", "fp", time.Hour, now)
	wantState(t, "Begin", reply, err, messages.IdempotencyNew)
	if err := abandon(s, "a", "k", now); err != nil {
		t.Fatalf("Abandon: %v", err)
	}
	reply, err = begin(s, "a", "k", "fp", time.Hour, now)
	wantState(t, "Begin after Abandon", reply, err, messages.IdempotencyNew)

	if err := abandon(s, "a", "unknown", now); err != nil {
		t.Errorf("Abandon of an unknown key: %v, want nil", err)
	}
	wantNotFound(t, "Finish of an unknown key", finish(s, "a", "unknown", 200, "{}", now))

	if err := finish(s, "a", "k", 200, "{}", now); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if err := abandon(s, "a", "k", now); err != nil {
		t.Fatalf("Abandon of a done key: %v", err)
	}
	reply, err = begin(s, "a", "k", "fp", time.Hour, now)
	wantState(t, "Begin after abandoning a done key", reply, err, messages.IdempotencyDone)
}

func testIdempotencyTTL(t *testing.T, b backend) {
	s, clock, _ := openFresh(t, b, 10)
	start := clock.Now()

	reply, err := begin(s, "a", "done", "fp", time.Hour, start)
	wantState(t, "Begin", reply, err, messages.IdempotencyNew)
	finishedAt := start.Add(10 * time.Minute)
	if err := finish(s, "a", "done", 200, "{}", finishedAt); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	reply, err = begin(s, "a", "done", "fp", time.Hour, finishedAt.Add(59*time.Minute))
	wantState(t, "Begin before the result expires", reply, err, messages.IdempotencyDone)
	reply, err = begin(s, "a", "done", "other", time.Hour, finishedAt.Add(time.Hour))
	wantState(t, "Begin after the result expired", reply, err, messages.IdempotencyNew)

	reply, err = begin(s, "a", "stuck", "fp", time.Minute, start)
	wantState(t, "Begin of a key that is never finished", reply, err, messages.IdempotencyNew)
	_, err = begin(s, "a", "stuck", "fp", time.Minute, start.Add(59*time.Second))
	if !errors.Is(err, ErrIdempotencyPending) {
		t.Fatalf("Begin within the TTL of a pending key: err = %v, want pending", err)
	}
	reply, err = begin(s, "a", "stuck", "fp", time.Minute, start.Add(time.Minute))
	wantState(t, "Begin of a pending key older than its TTL", reply, err, messages.IdempotencyNew)
}

func testIdempotencyInvalid(t *testing.T, b backend) {
	s, clock, _ := openFresh(t, b, 10)
	now := clock.Now()
	long := strings.Repeat("k", maxIdempotencyKeyLength+1)

	begins := map[string]messages.BeginIdempotent{
		"empty key":         {Key: "", Fingerprint: "fp", TTL: time.Hour},
		"long key":          {Key: long, Fingerprint: "fp", TTL: time.Hour},
		"empty fingerprint": {Key: "k", TTL: time.Hour},
		"zero ttl":          {Key: "k", Fingerprint: "fp"},
		"negative ttl":      {Key: "k", Fingerprint: "fp", TTL: -time.Second},
	}
	for name, msg := range begins {
		t.Run("begin "+name, func(t *testing.T) {
			_, err := s.BeginIdempotent(context.Background(), msg, now)
			if !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("err = %v, want ErrInvalidArgument", err)
			}
		})
	}
	finishes := map[string]messages.FinishIdempotent{
		"empty key":   {Status: 200},
		"zero status": {Key: "k"},
		"status 600":  {Key: "k", Status: 600},
	}
	for name, msg := range finishes {
		t.Run("finish "+name, func(t *testing.T) {
			err := s.FinishIdempotent(context.Background(), msg, now)
			if !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("err = %v, want ErrInvalidArgument", err)
			}
		})
	}
}

func testSurvivesReopen(t *testing.T, b backend) {
	s, clock, path := openFresh(t, b, 10)
	now := clock.Now()
	r := newResponse(t, "a")
	r.Conversation = "chat"
	put(t, s, r)
	reply, err := begin(s, "a", "done", "fp", time.Hour, now)
	wantState(t, "Begin done key", reply, err, messages.IdempotencyNew)
	if err := finish(s, "a", "done", 200, `{"n":1}`, now); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	reply, err = begin(s, "a", "pending", "fp", time.Hour, now)
	wantState(t, "Begin pending key", reply, err, messages.IdempotencyNew)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = b.open(t, path, 10, clock)
	if got := mustGet(t, s, "a", r.ID); string(got.Body) != string(r.Body) {
		t.Errorf("body after reopen = %s, want %s", got.Body, r.Body)
	}
	if id, err := s.Conversation(context.Background(), "a", "chat"); err != nil || id != r.ID {
		t.Errorf("Conversation after reopen = %q, %v; want %q", id, err, r.ID)
	}
	reply, err = begin(s, "a", "done", "fp", time.Hour, now)
	wantState(t, "Begin of a done key after reopen", reply, err, messages.IdempotencyDone)
	if string(reply.Body) != `{"n":1}` {
		t.Errorf("stored body after reopen = %s", reply.Body)
	}
	reply, err = begin(s, "a", "pending", "fp", time.Hour, now)
	wantState(t, "Begin of a key pending before reopen", reply, err, messages.IdempotencyNew)
}

func testCloseTwice(t *testing.T, b backend) {
	s, clock, _ := openFresh(t, b, 10)
	ctx := context.Background()
	if err := s.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v, want nil", err)
	}

	r := newResponse(t, "a")
	calls := map[string]func() error{
		"Get":          func() error { _, err := s.Get(ctx, "a", r.ID); return err },
		"Put":          func() error { return s.Put(ctx, []messages.StoredResponse{r}) },
		"Delete":       func() error { return s.Delete(ctx, "a", r.ID) },
		"Conversation": func() error { _, err := s.Conversation(ctx, "a", "chat"); return err },
		"Count":        func() error { _, err := s.Count(ctx); return err },
		"Begin":        func() error { _, err := begin(s, "a", "k", "fp", time.Hour, clock.Now()); return err },
		"Finish":       func() error { return finish(s, "a", "k", 200, "{}", clock.Now()) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, ErrClosed) {
				t.Errorf("err = %v, want ErrClosed", err)
			}
		})
	}
}
