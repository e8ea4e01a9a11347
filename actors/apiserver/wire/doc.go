// Package wire owns the OpenAI wire format of the API server: decoding and
// validating client requests, encoding responses, the Responses API stream
// events, the server-sent events writer, ids, and the error envelope.
//
// The package is pure code: no actors, no goroutines, no network. The HTTP
// handlers of package apiserver call it, and the messages package is its
// only project import.
//
// # Requests
//
// [DecodeChatRequest] and [DecodeResponsesRequest] take a request body and
// return either a validated request or an [*Error] whose Param names the
// offending field exactly, in the OpenAI form ("messages[2].content[0].type").
// A JSON value is first decoded into json.RawMessage fields and then checked
// field by field, so a wrong type is a 400 and never a panic. Unknown
// top-level fields are ignored, because clients send many. Known option
// fields are type-checked and passed through in Options.
//
// The Responses API decoder normalises its input to chat messages, and its
// tools and tool_choice to the Chat Completions shape, so that the agent
// receives one request format.
//
// # Encoding
//
// The Append functions append JSON to a caller's buffer without reflection:
// a chat completion, the chunks of a chat completion stream, the model list,
// and [ResponseObject]. [ResponseStream] produces the Responses API stream
// events in order, and [SSEWriter] writes them (or chat chunks) as
// server-sent events, flushing each frame or, with auto flush off, each
// batch of frames at its Flush.
//
// # Ids
//
// A response id is "resp_" + a 16-hex thread key + 32 random hex digits.
// The thread key routes every response of one chain to the same place;
// [ParseResponseID] accepts only that exact layout.
package wire
