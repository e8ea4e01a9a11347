package main

import (
	"net/http"
)

// Fixed request bodies, the same for every target.
var (
	chatBody = []byte(`{"model":"bench-model","messages":[` +
		`{"role":"user","content":"Say hello in one short sentence."}]}`)
	streamBody = []byte(`{"model":"bench-model","stream":true,"messages":[` +
		`{"role":"user","content":"Say hello in one short sentence."}]}`)
	responsesBody = []byte(`{"model":"bench-model","store":true,` +
		`"input":"Say hello in one short sentence."}`)
)

// Markers that a complete response body contains.
var (
	chatMarker      = []byte(`"chat.completion"`)
	responsesMarker = []byte(`"status":"completed"`)
)

// Paths of the OpenAI-compatible API.
const (
	chatPath      = "/v1/chat/completions"
	responsesPath = "/v1/responses"
)

// apiHeader returns the headers of every request: the mock and the proxy
// get the gateway's key too, so that every target parses the same header.
func apiHeader(key string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Authorization", "Bearer "+key)
	return h
}

// chatTarget returns a chat completion target on s. servers are the
// processes whose CPU the measurement reads, s first.
func chatTarget(name string, s *server, key string, stream bool, servers ...*server) target {
	t := target{
		name: name, url: s.url + chatPath, header: apiHeader(key),
		servers: append([]*server{s}, servers...), body: chatBody, expect: chatMarker,
	}
	if stream {
		t.body, t.stream, t.expect = streamBody, true, nil
	}
	return t
}
