// Package actorgate embeds an actorgate gateway in a protoactor-go actor
// system.
//
// Start spawns the whole gateway tree (the gateway actor, the agent, and
// one adapter per enrolled platform) inside an actor system the caller
// owns, under a name the caller chooses, from a configuration built in
// code. The returned Gateway handle reports status and stops the tree with
// Close. actorgate never replaces the host system's logger, root context or
// metrics provider, and never shuts the actor system down.
//
// The actorgate binary (cmd/actorgate) is a thin program around this
// package.
package actorgate
