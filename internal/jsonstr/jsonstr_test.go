package jsonstr

import (
	"bytes"
	"encoding/json"
	"testing"
)

// reference is encoding/json's encoding of s without HTML escaping.
func reference(t testing.TB, s string) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func TestAppendMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		"", "plain", `quote " and backslash \`, "tab\tnew\nline\rcr",
		"\b\f\x00\x01\x1f\x7f", "<html> & more", "emoji 😀 and ü",
		"line\u2028sep\u2029para", "bad \xff utf8 \xc3", "\xed\xa0\x80 surrogate",
	}
	for _, s := range cases {
		if got, want := string(Append(nil, s)), reference(t, s); got != want {
			t.Errorf("Append(%q) = %s, encoding/json gives %s", s, got, want)
		}
	}
}

func TestAppendKeepsPrefix(t *testing.T) {
	got := string(Append([]byte(`{"a":`), "b"))
	if got != `{"a":"b"` {
		t.Errorf("Append after a prefix = %s, want {\"a\":\"b\"", got)
	}
}

func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00\u2028\xff", "😀<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(Append(nil, s)), reference(t, s); got != want {
			t.Errorf("Append(%q) = %s, encoding/json gives %s", s, got, want)
		}
	})
}

func BenchmarkAppend(b *testing.B) {
	s := "A typical answer with \"quotes\", a newline\nand an ü."
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = Append(buf[:0], s)
	}
}
