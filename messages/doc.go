// Package messages defines the messages that actorgate's actors exchange.
//
// The types are plain structs that import only the standard library, so a
// host that embeds the gateway in its own protoactor-go actor system can
// build, send and match them without importing any actor package. Requests
// and replies come in named pairs: a request is sent with Request or
// RequestFuture, and the actor that accepts it responds to the sender with
// the matching reply. Every request carries a RequestID so that logs on both
// sides can be joined.
//
// # Gateway
//
// The gateway actor supervises one adapter actor per enrolled platform.
// The host chooses the gateway's NAME when it starts it. The gateway names
// its agent "agent" and each adapter after its platform, so their PIDs are
// "NAME/agent" and "NAME/PLATFORM".
//
//   - [StatusRequest] is accepted by the gateway, which replies [StatusReply]
//     with one [PlatformStatus] row per enrolled platform, sorted by name.
//   - [PausePlatform] and [ResumePlatform] are accepted by the gateway, which
//     replies [PlatformCommandReply].
//   - [PlatformConnected] is sent by an adapter to its parent, the gateway,
//     once it is really connected: its listener is bound or the chat
//     service accepted its login. No reply.
//   - [PlatformError] is the failure reason an adapter escalates to the
//     gateway. The gateway stops a platform whose error is not retryable
//     and restarts one whose error is, with exponential backoff. A panic
//     with any other value counts as a retryable error with the code
//     adapter_panic.
//
// # Agent
//
// The agent actor runs one agent backend (echo, or an OpenAI-compatible
// upstream).
//
//   - [AgentRequest] is accepted by the agent. When Stream is set, the agent
//     sends zero or more [AgentDelta] messages to the sender before the
//     final [AgentReply]; otherwise it replies [AgentReply] once. A request
//     whose Deadline has passed, or that has no sender, is dropped without
//     a reply. A request whose RequestID is still running gets a reply
//     with an [AgentError] of code agent_busy.
//   - [CancelAgentRequest] is accepted by the agent and cancels the run with
//     that RequestID, if it is still going. No reply.
//
// # Response store
//
// The response store actor is the only owner of the responses database.
// It is the child "responses" of the api_server adapter. Every request is
// scoped to a SessionKey: one caller never reads or deletes another
// caller's responses or conversation names. A request without a sender is
// carried out but gets no reply.
//
//   - [PutResponse] → [PutResponseReply]
//   - [GetResponse] → [GetResponseReply]
//   - [DeleteResponse] → [DeleteResponseReply]
//   - [GetConversation] → [GetConversationReply]
//   - [BeginIdempotent] → [BeginIdempotentReply]
//   - [FinishIdempotent] → [FinishIdempotentReply]
//
// # Chat platforms
//
//   - [InboundMessage] is published on the actor system's event stream by
//     every chat adapter for each message it receives.
//   - [SendMessage] is accepted by a chat adapter, which replies
//     [SendMessageReply].
//
// # Sessions store
//
// The sessions store actor is the only owner of the sessions database,
// which keeps the conversation history of every chat platform and the
// cursors the platforms persist. A session key names one conversation:
// platform, chat type, chat id, thread id and, in groups, the user id.
//
//   - [LoadSession] → [LoadSessionReply]: the bounded recent history. The
//     idle timeout and the daily reset hour are applied here: an expired
//     session is replaced by an empty one.
//   - [AppendTurns] → [AppendTurnsReply]: turns written in one
//     transaction.
//   - [MarkDelivered] → [MarkDeliveredReply]
//   - [ResetSession] → [ResetSessionReply]
//   - [GetCursor] → [GetCursorReply]
//   - [SetCursor] → [SetCursorReply]
package messages
