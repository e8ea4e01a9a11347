package stores

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actorgate/actorgate/messages"
)

func TestPutJSONCheck(t *testing.T) {
	tests := []struct {
		name    string
		marked  bool
		modify  func(r *messages.StoredResponse)
		wantErr string // empty when Put must store the response
	}{
		{
			"invalid body unmarked", false,
			func(r *messages.StoredResponse) { r.Body = json.RawMessage(`{not json`) }, "body",
		},
		{
			"invalid history unmarked", false,
			func(r *messages.StoredResponse) { r.History = json.RawMessage(`[`) }, "history",
		},
		{
			"invalid body marked", true,
			func(r *messages.StoredResponse) { r.Body = json.RawMessage(`{not json`) }, "",
		},
		{
			"empty body marked", true,
			func(r *messages.StoredResponse) { r.Body = nil }, "body is empty",
		},
		{
			"malformed id marked", true,
			func(r *messages.StoredResponse) { r.ID = "resp_short" }, "malformed",
		},
		{
			"empty status marked", true,
			func(r *messages.StoredResponse) { r.Status = "" }, "empty status",
		},
		{"valid marked", true, func(*messages.StoredResponse) {}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openSQLiteStore(t, filepath.Join(t.TempDir(), "r.db"), 10, newTestClock())
			r := newResponse(t, "a")
			tc.modify(&r)
			ctx := context.Background()
			if tc.marked {
				ctx = WithEncodedJSON(ctx)
			}

			err := s.Put(ctx, []messages.StoredResponse{r})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Put: %v, want nil", err)
				}
				mustGet(t, s, "a", r.ID)
				return
			}
			var batchErr *BatchError
			if !errors.As(err, &batchErr) || len(batchErr.Errs) != 1 {
				t.Fatalf("Put: err = %v, want *BatchError with one entry", err)
			}
			if !errors.Is(batchErr.Errs[0], ErrInvalidArgument) {
				t.Errorf("Errs[0] = %v, want ErrInvalidArgument", batchErr.Errs[0])
			}
			if !strings.Contains(batchErr.Errs[0].Error(), tc.wantErr) {
				t.Errorf("Errs[0] = %v, want it to mention %q", batchErr.Errs[0], tc.wantErr)
			}
		})
	}
}
