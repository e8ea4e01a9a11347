package wire

import (
	"regexp"
	"strings"
	"testing"
)

func TestNewResponseIDRoundTrip(t *testing.T) {
	key := NewThreadKey()
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(key) {
		t.Fatalf("thread key %q is not 16 lowercase hex digits", key)
	}
	id := NewResponseID(key)
	if !regexp.MustCompile(`^resp_[0-9a-f]{48}$`).MatchString(id) {
		t.Fatalf("response id %q has the wrong layout", id)
	}
	got, ok := ParseResponseID(id)
	if !ok || got != key {
		t.Errorf("ParseResponseID(%q) = %q, %v; want %q, true", id, got, ok, key)
	}
	if other := NewResponseID(key); other == id {
		t.Errorf("two ids in one thread are equal: %s", id)
	}
}

func TestNewResponseIDBadThreadKey(t *testing.T) {
	for _, key := range []string{"", "short", "00112233445566ZZ", "00112233445566778"} {
		id := NewResponseID(key)
		got, ok := ParseResponseID(id)
		if !ok {
			t.Errorf("key %q: id %q does not parse", key, id)
		}
		if got == key {
			t.Errorf("key %q was used as is", key)
		}
	}
}

func TestParseResponseIDRejects(t *testing.T) {
	valid := "resp_00112233445566778899aabbccddeeff0011223344556677"
	if _, ok := ParseResponseID(valid); !ok {
		t.Fatalf("valid id %q rejected", valid)
	}
	cases := map[string]string{
		"empty":         "",
		"prefix only":   "resp_",
		"short":         valid[:len(valid)-1],
		"long":          valid + "0",
		"uppercase hex": strings.ToUpper(valid[:5]) + valid[5:],
		"upper digit":   valid[:10] + "A" + valid[11:],
		"wrong prefix":  "resq_" + valid[5:],
		"non hex":       valid[:20] + "g" + valid[21:],
		"chat id":       "chatcmpl-00112233445566778899aabbccddeeff0011223344",
		"unicode":       valid[:49] + "é" + valid[51:],
		"path":          "resp_../../../etc/passwd000000000000000000000000000",
	}
	for name, id := range cases {
		t.Run(name, func(t *testing.T) {
			if key, ok := ParseResponseID(id); ok {
				t.Errorf("ParseResponseID(%q) accepted, key %q", id, key)
			}
		})
	}
}

func TestOtherIDs(t *testing.T) {
	cases := []struct {
		got     string
		pattern string
	}{
		{NewChatCompletionID(), `^chatcmpl-[0-9a-f]{32}$`},
		{NewItemID(MessageItemPrefix), `^msg_[0-9a-f]{32}$`},
		{NewItemID(FunctionCallItemPrefix), `^fc_[0-9a-f]{32}$`},
	}
	for _, tc := range cases {
		if !regexp.MustCompile(tc.pattern).MatchString(tc.got) {
			t.Errorf("id %q does not match %s", tc.got, tc.pattern)
		}
	}
	first, second := NewChatCompletionID(), NewChatCompletionID()
	if first == second {
		t.Error("two chat completion ids are equal")
	}
}
