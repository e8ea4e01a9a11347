package stores

import (
	"regexp"
	"testing"
)

var responseIDPattern = regexp.MustCompile(`^resp_[0-9a-f]{48}$`)

func FuzzValidResponseID(f *testing.F) {
	for _, seed := range []string{
		"", "resp_", "resp_0123456789abcdef0123456789abcdef0123456789abcdef",
		"resp_0123456789ABCDEF0123456789abcdef0123456789abcdef",
		"resp_0123456789abcdef0123456789abcdef0123456789abcde\n",
		"msg_00123456789abcdef0123456789abcdef0123456789abcdef",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		want := responseIDPattern.MatchString(id)
		if got := validResponseID(id); got != want {
			t.Fatalf("validResponseID(%q) = %v, want %v", id, got, want)
		}
		if want && threadKey(id) != id[5:21] {
			t.Fatalf("threadKey(%q) = %q, want %q", id, threadKey(id), id[5:21])
		}
	})
}
