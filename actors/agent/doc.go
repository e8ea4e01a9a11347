// Package agent owns the agent backend: the actor that runs agent requests
// and the backends it runs them on.
//
// # Backends
//
// A [Backend] runs one [messages.AgentRequest] per call of its Run method,
// and many calls may run at once.
//
//   - [NewEcho] is the default backend. It works offline and replies
//     "turn N: TEXT", where N is the number of user messages and TEXT the
//     text of the last one, so tests and benchmarks get deterministic
//     answers.
//   - [NewOpenAI] talks to any OpenAI-compatible upstream through POST
//     {base_url}/chat/completions, streamed with server-sent events or not.
//     It keeps a pool of keep-alive connections, ignores HTTP_PROXY and
//     friends, and reports every failure as a typed [messages.AgentError]
//     (see the Code constants) instead of an error value.
//
// # The agent actor
//
// [Props] returns the actor. It builds its backend in Started by calling
// the constructor it was given; a failure is escalated to the supervisor
// as a *[messages.PlatformError], with Retryable false for an invalid
// configuration. Whoever spawns it supervises it, the gateway in the
// actorgate binary.
//
// It accepts:
//
//   - *[messages.AgentRequest]: the run starts on its own goroutine and the
//     mailbox moves on at once. With Stream set, the sender receives zero
//     or more *[messages.AgentDelta] messages, in order, and then one
//     *[messages.AgentReply]; without it, only the reply. A request whose
//     Deadline has passed is dropped without a reply, and nothing is sent
//     once the Deadline passes during a run, so a requester's future never
//     receives a late reply. A request without a sender is dropped with a
//     warning. A second request with the RequestID of a running one is
//     refused with the code "agent_busy".
//   - *[messages.CancelAgentRequest]: cancels the run with that RequestID.
//     The run replies with the code "cancelled". No reply to the cancel.
//
// On Restarting, Stopping and Stopped the actor cancels every run, waits
// up to five seconds for their goroutines, and closes the backend. The
// cancelled runs reply "cancelled" to their senders.
package agent
