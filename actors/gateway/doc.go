// Package gateway implements the gateway actor, the root of an actorgate
// tree. It spawns the agent actor and one adapter actor per enrolled
// platform, supervises them with its own strategy, and keeps the status
// table.
//
// # Supervision
//
// An adapter reports a failure by escalating a *messages.PlatformError
// (any other panic value counts as a retryable failure with code
// adapter_panic). A failure that a retry cannot fix (a weak key, a port in
// use, an invalid setting) stops the adapter and marks it fatal until the
// configuration is reloaded or an operator resumes it. A retryable failure
// restarts the adapter after an exponential backoff with full jitter,
// forever, and raises needs_attention once the platform has been failing
// for longer than the attention threshold. The backoff wait is a timer that
// sends the gateway a message: the gateway's mailbox never blocks.
//
// A protoactor-go restart stops every child of the adapter (its store)
// before the new instance receives *actor.Started, so a restarted adapter
// never opens a second connection to its database.
//
// An adapter that has not terminated within Config.StopTimeout after the
// gateway stopped it (a stop handler that blocks) is abandoned: the
// gateway logs an error naming the platform, sets the error code
// platform_stop_timeout in its row and stops waiting for it, so a
// shutdown still completes. The abandoned actor keeps its name until the
// process exits, so the platform cannot start again before that.
//
// # Messages
//
//   - *messages.StatusRequest → *messages.StatusReply
//   - *messages.PausePlatform, *messages.ResumePlatform →
//     *messages.PlatformCommandReply
//   - *Reload → *ReloadReply: enrolls, restarts or stops platforms so that
//     the tree matches the new platform list.
//   - *messages.PlatformConnected from an adapter: marks it connected.
//
// The gateway is spawned by the actorgate package under a name the caller
// chooses; the caller's root context supervises it.
package gateway
