package wire

import (
	"bytes"
	"encoding/json"
	"maps"
	"testing"
)

var splitObjectSeeds = []string{
	`{}`,
	` { "a" : 1 , "b":[1,2,{"c":"}"}] ,"d":{"e":[]}} `,
	`{"model":"m","messages":[{"role":"user","content":"hi \"there\" \\ }"}],"stream":true}`,
	`{"a":1,"a":2}`,
	`{"k\u00e9y":null,"t":true,"f":false,"n":-1.5e3}`,
	`{"\"quoted\"":"v","x":"\\"}`,
	"{\n\t\"a\"\r\n:\n\"b\"\n}",
}

// checkSplitObject compares splitObject with encoding/json on body.
func checkSplitObject(t *testing.T, body []byte) {
	t.Helper()
	if !json.Valid(body) || jsonKind(body) != '{' {
		return
	}
	var want map[string]json.RawMessage
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatalf("encoding/json rejected %q: %v", body, err)
	}
	got := splitObject(body)
	if !maps.EqualFunc(got, want, func(a, b json.RawMessage) bool { return bytes.Equal(a, b) }) {
		t.Fatalf("splitObject(%q)\n got %q\nwant %q", body, got, want)
	}
}

var splitArraySeeds = []string{
	`[]`,
	` [ 1 , "a,]" , {"b":[2,3]} , [[]], null, true ] `,
	"[\n\"x\"\t,\r-0.5e-3]",
}

// checkSplitArray compares splitArray with encoding/json on body.
func checkSplitArray(t *testing.T, body []byte) {
	t.Helper()
	if !json.Valid(body) || jsonKind(body) != '[' {
		return
	}
	var want []json.RawMessage
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatalf("encoding/json rejected %q: %v", body, err)
	}
	got := splitArray(body)
	if len(got) != len(want) {
		t.Fatalf("splitArray(%q) has %d elements, want %d", body, len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("splitArray(%q)[%d] = %q, want %q", body, i, got[i], want[i])
		}
	}
}

func TestSplitArrayMatchesEncodingJSON(t *testing.T) {
	for _, body := range splitArraySeeds {
		checkSplitArray(t, []byte(body))
	}
}

func FuzzSplitArray(f *testing.F) {
	for _, s := range splitArraySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkSplitArray(t, body)
	})
}

func TestSplitObjectMatchesEncodingJSON(t *testing.T) {
	for _, body := range splitObjectSeeds {
		checkSplitObject(t, []byte(body))
	}
}

func TestSplitObjectValuesOutliveTheBody(t *testing.T) {
	body := []byte(`{"a":"value"}`)
	fields := splitObject(body)
	copy(body, bytes.Repeat([]byte("x"), len(body)))
	if string(fields["a"]) != `"value"` {
		t.Fatalf("value changed with the body: %q", fields["a"])
	}
}

func FuzzSplitObject(f *testing.F) {
	for _, s := range splitObjectSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkSplitObject(t, body)
	})
}
