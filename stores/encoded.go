package stores

import "context"

// encodedKey is the context key of WithEncodedJSON.
type encodedKey struct{}

// WithEncodedJSON returns a copy of ctx that marks the Body and History of
// every response in a Put call as output of actorgate's own JSON encoders,
// so Put skips its json.Valid check of them. Every other check still runs.
//
// Skipping the check saves parsing bytes that the gateway encoded a moment
// before. The encoders are held to valid output by their own tests and
// fuzz targets, which run json.Valid on what they produce. Bytes from
// anywhere else, such as a host that embeds the gateway and sends its own
// PutResponse, must not be marked.
func WithEncodedJSON(ctx context.Context) context.Context {
	return context.WithValue(ctx, encodedKey{}, true)
}

// encodedJSON reports whether ctx carries the WithEncodedJSON mark.
func encodedJSON(ctx context.Context) bool {
	marked, _ := ctx.Value(encodedKey{}).(bool)
	return marked
}
