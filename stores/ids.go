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

// idHashFunction is the SQL name of responseIDHash, which every connection
// that OpenSQLite opens registers for the schema migration.
const idHashFunction = "actorgate_id_hash"

// responseIDHash returns the 64-bit FNV-1a hash of id, the value of
// hash/fnv's New64a computed without allocating, as an int64. It fills the
// id_hash column, which schema version 2 indexed and version 3 keeps
// without an index. Changing it would make the stored values wrong.
func responseIDHash(id string) int64 {
	const (
		offsetBasis = 14695981039346656037
		prime       = 1099511628211
	)
	h := uint64(offsetBasis)
	for i := range len(id) {
		h ^= uint64(id[i])
		h *= prime
	}
	return int64(h) //nolint:gosec // a hash, so wrapping to negative is fine
}
