package wire

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// Id layout. A response id is "resp_" + a 16-hex thread key + 32 random
// hex digits, all lowercase. The thread key is the routing key of a chain of
// responses: a response that continues another copies its parent's key.
const (
	ResponseIDPrefix   = "resp_"
	ThreadKeyLength    = 16
	responseRandLength = 32
	ResponseIDLength   = len(ResponseIDPrefix) + ThreadKeyLength + responseRandLength

	ChatCompletionIDPrefix = "chatcmpl-"
	itemRandLength         = 32
)

// Item id prefixes of the Responses API.
const (
	MessageItemPrefix      = "msg_"
	FunctionCallItemPrefix = "fc_"
	CallIDPrefix           = "call_"
)

// randomHex returns n lowercase hex digits from crypto/rand; n must be even.
func randomHex(n int) string {
	var raw [32]byte
	b := raw[:n/2]
	// crypto/rand.Read never returns an error since Go 1.24: it crashes
	// the program instead.
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewThreadKey returns a fresh thread key: 16 random lowercase hex digits.
func NewThreadKey() string {
	return randomHex(ThreadKeyLength)
}

// NewResponseID returns a response id in the thread threadKey. A threadKey
// that is not 16 lowercase hex digits is replaced with a fresh one, so that
// every id this function returns passes ParseResponseID.
func NewResponseID(threadKey string) string {
	if !isLowerHex(threadKey, ThreadKeyLength) {
		threadKey = NewThreadKey()
	}
	return ResponseIDPrefix + threadKey + randomHex(responseRandLength)
}

// ParseResponseID returns the thread key of a response id. It accepts only
// the exact layout that NewResponseID produces: the prefix, then 48
// lowercase hex digits.
func ParseResponseID(id string) (threadKey string, ok bool) {
	if len(id) != ResponseIDLength || !strings.HasPrefix(id, ResponseIDPrefix) {
		return "", false
	}
	rest := id[len(ResponseIDPrefix):]
	if !isLowerHex(rest, ThreadKeyLength+responseRandLength) {
		return "", false
	}
	return rest[:ThreadKeyLength], true
}

// NewChatCompletionID returns "chatcmpl-" followed by 32 random hex digits.
func NewChatCompletionID() string {
	return ChatCompletionIDPrefix + randomHex(itemRandLength)
}

// NewItemID returns prefix (such as "msg_" or "fc_") followed by 32 random
// hex digits.
func NewItemID(prefix string) string {
	return prefix + randomHex(itemRandLength)
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
