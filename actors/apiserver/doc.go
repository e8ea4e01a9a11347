// Package apiserver implements the api_server platform: an adapter actor
// that serves the OpenAI-compatible HTTP API (/v1/chat/completions,
// /v1/responses, /v1/models, /health) on one listener and runs each
// request on the agent actor.
//
// # Lifecycle
//
// The adapter is spawned and supervised by the gateway. In *actor.Started
// it checks its settings, binds its listener, spawns the response store
// actor as its child (the store opens the database in its own Started),
// starts serving, and tells the gateway it is connected. A key that is
// missing or weak, a port that is taken, or an invalid setting is escalated
// as a fatal *messages.PlatformError; any other failure to bind or serve is
// retryable.
//
// Restarting closes the listener at once. Stopping drains: the listener
// closes at once, requests in flight get the configured grace period, then
// every connection is closed. In both cases protoactor-go stops the store
// child afterwards, and a new instance starts only after the store's
// Stopped handler closed the database.
//
// # Messages
//
// The adapter accepts no messages from other actors; its input is HTTP.
// It sends *messages.AgentRequest and *messages.CancelAgentRequest to the
// agent, the response store messages (responses, conversation names and
// idempotency keys) to its store child, *messages.StatusRequest to the
// gateway for /health/detailed, and *messages.PlatformConnected to the
// gateway. A streamed answer comes back through a short-lived process in
// the actor system's registry (an inbox), so handlers need no actor of
// their own and start no goroutine.
//
// # HTTP rules
//
// Every response, including errors that net/http writes itself for a
// request it cannot parse, carries X-Request-Id, X-Content-Type-Options:
// nosniff and Referrer-Policy: no-referrer, and every error is an OpenAI
// error envelope {"error":{"message","type","param","code"}}. The request
// id is the client's X-Request-Id when it is short and safe, else a
// generated one; it appears in the one log line of each request. The agent
// run always gets a generated id, so two requests with the same client id
// never touch each other's runs.
//
// Authentication: every route except /health and /v1/health needs
// "Authorization: Bearer KEY". The scheme is matched in any letter case,
// because RFC 9110 section 11.1 makes it case-insensitive, and spaces
// around the key are ignored. The key is compared in constant time. A
// missing or wrong key is 401 with the code invalid_api_key.
//
// CORS is deny-by-default: a request with an Origin header is 403 on every
// route, /health included, unless the origin is in API_SERVER_CORS_ORIGINS
// (echoed back with Vary: Origin) or the list contains "*". A request
// without Origin gets no CORS headers. A preflight may ask for the API's
// own headers and those of the official SDKs.
//
// Bodies are limited to MaxRequestBytes of bytes actually read: a larger
// Content-Length is 413 before any byte is read, and a chunked body is cut
// off after the limit, also with 413.
//
// Streams hold the status line back until the agent sends its first
// delta or a keepalive is due, so a run that fails before producing
// anything gets the same JSON error as a non-streaming one (see Agent
// failures). After that, a failure ends a chat stream with the finish
// reason "error" (or "length") and a Responses stream with
// response.failed or response.incomplete, never as completed. An idle stream gets the SSE
// comment ": keepalive" every KeepAlive. A client that goes away cancels
// the agent run, and a streamed response is stored with the status
// "cancelled" and the text it had received. Each
// frame is flushed once no further agent message is waiting, so the first
// delta goes out at once and a burst of deltas goes out in one write.
//
// Idempotency-Key on a non-streaming POST /v1/chat/completions or
// /v1/responses runs the request at most once per key and session key
// within IdempotencyTTL. Later and concurrent duplicates get the first
// answer byte for byte with Idempotency-Replayed: true; the same key with
// another method, path or body is 409 idempotency_key_conflict; an answer
// with a 5xx or 429 status releases the key so that a retry runs again.
// Keys live in the responses database and survive a restart. Streaming
// requests ignore the header.
//
// # Agent failures
//
// A run that fails before producing anything gets a JSON error, streamed
// or not:
//
//   - 429 rate_limit_error/rate_limit_exceeded when the upstream
//     responded with 429, so that the OpenAI SDKs back off and retry;
//   - 503 agent_incomplete when the upstream responded with 503;
//   - 504 agent_incomplete when the run timed out;
//   - 503 server_shutting_down when the server ended the run;
//   - 502 agent_incomplete for anything else, including a 401 or 403 from
//     the upstream, whose message states that the upstream rejected the
//     gateway's own credentials.
//
// A 429 or 503 passes the upstream's Retry-After wait on, as Retry-After
// in whole seconds and retry-after-ms. Messages name the reason (for
// example "connection refused") but never the upstream's host, port or
// URL. The agent logs the full error under the run's id (request_id).
// That is the request's own id unless the client sent an X-Request-Id,
// and the request's log line then shows it as run_id.
package apiserver
