package wire

import (
	"strings"
	"testing"
)

// FuzzParseResponseID checks the parser of the response ids that clients
// send in paths and in previous_response_id: it accepts only the layout
// NewResponseID produces, and the thread key it returns is the one inside
// the id.
func FuzzParseResponseID(f *testing.F) {
	f.Add(NewResponseID(NewThreadKey()))
	f.Add("resp_" + strings.Repeat("A", 48))
	f.Add("resp_" + strings.Repeat("0", 47))
	f.Add("resp_" + strings.Repeat("0", 48) + "\x00")
	f.Add("../../etc/passwd")
	f.Add("")
	f.Fuzz(func(t *testing.T, id string) {
		thread, ok := ParseResponseID(id)
		if !ok {
			if thread != "" {
				t.Fatalf("rejected %q but returned thread key %q", id, thread)
			}
			return
		}
		if len(id) != ResponseIDLength || !strings.HasPrefix(id, ResponseIDPrefix) {
			t.Fatalf("accepted %q, which is not the response id layout", id)
		}
		for _, c := range id[len(ResponseIDPrefix):] {
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				t.Fatalf("accepted %q with the non-hex character %q", id, c)
			}
		}
		if thread != id[len(ResponseIDPrefix):len(ResponseIDPrefix)+ThreadKeyLength] {
			t.Fatalf("thread key %q is not the one in %q", thread, id)
		}
		if again := NewResponseID(thread); !strings.HasPrefix(again, ResponseIDPrefix+thread) {
			t.Fatalf("NewResponseID(%q) = %q, which left the thread", thread, again)
		}
	})
}
