// Package webhook implements the webhook platform: an adapter actor that
// serves signed HTTP requests on one listener (WEBHOOK_HOST:WEBHOOK_PORT,
// 127.0.0.1:8644 by default) and answers them through the agent, with the
// conversation history of the sessions store.
//
// # Requests
//
// A client sends POST /webhook with a JSON [Request] body
// ({"chat_id", "user_id", "user_name", "text", "callback_url"?}) and two
// headers: [HeaderTimestamp], the unix time in seconds, and
// [HeaderSignature], "sha256=" and the hex HMAC-SHA256 of timestamp + "."
// + body keyed with the shared secret ([Sign] computes both). The adapter
// rejects with 401 a request that is unsigned, whose timestamp is farther
// from its clock than the replay window (5 minutes by default), whose
// signature does not match (compared in constant time), or whose
// signature was already used within the window.
//
// Without callback_url the answer comes back in the response as a
// [Reply]: {"reply": "...", "parts": [...]}, where parts is the answer
// split at 4096 characters on sentence or line boundaries. With
// callback_url, whose origin must be on WEBHOOK_CALLBACK_ALLOWLIST, the
// response is 202 at once and the answer is posted to the callback later,
// signed the same way, with retries for network errors and 5xx or 429
// answers. The callback client follows no redirect.
//
// The signature authenticates the caller, so every user id the caller
// names is allowed: the webhook has no allowlist of its own.
//
// # Lifecycle
//
// The gateway spawns and supervises the adapter. In *actor.Started it
// checks the secret (shorter than 16 characters or a placeholder is the
// fatal webhook_secret_invalid), binds the listener (a port in use is the
// fatal webhook_port_in_use, other bind errors are retryable), starts the
// chat core and the HTTP server, and sends *messages.PlatformConnected to
// the gateway. A server that stops serving is escalated as the retryable
// webhook_serve_failed. Restarting, Stopping and Stopped run one
// idempotent close: the listener stops, requests and callbacks in flight
// get Settings.Grace to finish, then every connection is closed and what
// is left is cancelled.
//
// # Messages
//
// The adapter accepts *messages.SendMessage only to reply with an error:
// a webhook cannot start a conversation. It sends
// *messages.PlatformConnected to the gateway, and the chat core sends the
// agent and sessions store messages (see package chat).
package webhook
