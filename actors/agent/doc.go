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
//   - [NewOpenAI] sends requests to any OpenAI-compatible upstream through
//     POST {base_url}/chat/completions, streamed with server-sent events or
//     not. Its default transport keeps a pool of keep-alive connections and
//     ignores the proxy environment variables (HTTP_PROXY, HTTPS_PROXY). A
//     failed run is reported in the reply as a [messages.AgentError] with
//     one of the Code constants, never as a Go error. Its message names
//     the reason (connection refused, timed out, TLS failure, ...) but not
//     the upstream's host, port or URL. The Go error behind it, which
//     does, goes to the log line of the failed run. After an HTTP error
//     status the message keeps the upstream's error message, and
//     RetryAfter holds the wait that a Retry-After or retry-after-ms
//     header requests. A 401 or 403 is the exception: the message states
//     only that the upstream rejected the gateway's credentials, and the
//     log line, at error level, quotes the upstream and names the setting
//     to fix, agent.api_key (AGENT_API_KEY).
//
// [NewFromConfig] builds the backend that a [config.AgentConfig] selects.
//
// # The agent actor
//
// [Props] returns the props of the agent actor, and [Producer] its
// producer. The actor builds its backend in Started by calling the
// constructor it was given. A failure there is escalated to the supervisor
// as a *[messages.PlatformError], with Retryable false for an invalid
// configuration. The actor that spawns the agent supervises it, which is
// the gateway in the actorgate binary.
//
// It accepts:
//
//   - *[messages.AgentRequest]: the run starts on its own goroutine and the
//     mailbox moves on at once. With Stream set, the sender receives zero
//     or more *[messages.AgentDelta] messages, in order, and then one
//     *[messages.AgentReply]. Without it, the sender receives only the
//     reply. The run's context ends at the request's Deadline, and the
//     OpenAI backend adds its own timeout.
//   - *[messages.CancelAgentRequest]: cancels the run with that RequestID,
//     which then replies with the code "cancelled". The cancel itself gets
//     no reply.
//
// A request is dropped without a reply when its Deadline has passed or it
// has no sender (a warning is logged). A request with the RequestID of a
// run still in progress is rejected with the code "agent_busy". Nothing is
// sent to a requester once the Deadline has passed, because a reply that
// reaches a protoactor-go future after it timed out causes a data race in
// the pinned protoactor-go version. The deadline is checked just before
// each send, so a send that starts an instant before the deadline still
// goes out.
//
// # Running on the caller's goroutine
//
// A [Runner] given to the actor with [WithRunner] runs requests on the
// goroutine that calls [Runner.Run], with the backend of the running
// incarnation: no message, no goroutine and no future per run, and the
// deltas of a streamed run go straight to the caller's emit function. The
// API server uses it. Runs started either way share the runner's table of
// request ids.
//
// On Restarting, Stopping and Stopped the actor cancels every run, waits
// up to five seconds for them to return, and closes the backend. The
// cancelled runs reply "cancelled" to their senders. A new run on a
// Runner waits up to two seconds for the next incarnation to start, and is
// rejected with [ErrNotRunning] when none has by then or its context ends.
// The same wait covers a request that arrives before the first
// incarnation has started.
package agent
