// Command mock is a minimal OpenAI-compatible upstream for the benchmark
// harness. It serves POST /v1/chat/completions with a fixed completion, or,
// when the request sets "stream": true, with a fixed number of content
// chunks, a finish chunk, an optional usage chunk and "data: [DONE]". Every
// response is encoded once at start, so that a request costs little more
// than reading its body and writing bytes.
//
// With -hold, a streamed response sends its first content chunk and then
// stays open until the client goes away or -hold-max passes. The memory
// scenario uses this to keep idle streams open.
//
// The mock listens on a loopback address only, writes its URL to the file
// named by -addr-file once the listener is bound, and exits by itself after
// -lifetime.
package main
