// Package lifecycle holds the small pieces every actorgate actor uses to
// live safely under protoactor-go supervision: a receiver middleware that
// keeps a panic in a lifecycle handler from resurrecting or wedging an
// actor, a way to report a typed failure to the supervisor without
// panicking, and an idempotent closer for the resources an actor owns.
package lifecycle
