// Command mock is a minimal OpenAI-compatible upstream for the benchmark
// harness. It answers POST /v1/chat/completions with a fixed completion, or,
// when the request sets "stream": true, with a fixed number of content
// chunks, a finish chunk, an optional usage chunk and "data: [DONE]". Every
// answer is encoded once at start, so that a request costs little more
// than reading its body and writing bytes.
//
// With -hold, a streamed answer sends its first content chunk and then holds
// the stream open until the client goes away or -hold-max passes; the
// memory scenario uses this to keep idle streams open.
//
// The mock listens on a loopback address only, writes its URL to the file
// named by -addr-file once the listener is bound, and exits by itself after
// -lifetime.
package main
