// Package lifecycle holds the small pieces every actorgate actor uses to
// live safely under protoactor-go supervision: a receiver middleware that
// keeps a panic in a lifecycle handler from resurrecting or wedging an
// actor, a way to report a typed failure to the supervisor without
// panicking, an idempotent closer for the resources an actor owns, and
// OpenRetry, which paces and logs an actor's attempts to open a resource
// such as a database.
package lifecycle
