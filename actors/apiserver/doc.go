// Package apiserver implements the api_server platform: an adapter actor
// that serves the OpenAI-compatible HTTP API (/v1/chat/completions,
// /v1/responses, /v1/models, /health) on one listener and answers through
// the agent actor.
//
// # Lifecycle
//
// The adapter is spawned and supervised by the gateway. In *actor.Started
// it checks its key, binds its listener, spawns the response store actor
// as its child (the store opens the database in its own Started), starts
// serving, and tells the gateway it is connected. A key that is missing or
// weak, a port that is taken, or an invalid setting is escalated as a fatal
// *messages.PlatformError; any other failure to bind or serve is
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
// agent, the response store messages to its store child,
// *messages.StatusRequest to the gateway for /health/detailed, and
// *messages.PlatformConnected to the gateway.
package apiserver
