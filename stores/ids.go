package stores

// Response ids are "resp_" followed by a 16-hex thread key and 32 random
// hex digits, all lowercase.
const (
	responseIDPrefix = "resp_"
	threadKeyLength  = 16
	responseIDLength = len(responseIDPrefix) + threadKeyLength + 32
)

// validResponseID reports whether id has the exact response id form.
func validResponseID(id string) bool {
	if len(id) != responseIDLength || id[:len(responseIDPrefix)] != responseIDPrefix {
		return false
	}
	for i := len(responseIDPrefix); i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// threadKey returns the thread key of a valid response id.
func threadKey(id string) string {
	return id[len(responseIDPrefix) : len(responseIDPrefix)+threadKeyLength]
}
