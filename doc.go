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
// One gateway at a time uses a data folder. Before anything opens a
// database, Start takes an exclusive flock on a lock file in the folder
// (cfg.Home) and on one beside each database the gateway opens, and Close
// releases them. A second Start on the same folder or database, in this
// process or in another, returns an error wrapping ErrHomeInUse or
// ErrDatabaseInUse that names the file and the holder's pid. The locks
// come from github.com/gofrs/flock: flock(2) on Unix, LockFileEx on
// Windows.
//
// The actorgate binary (cmd/actorgate) is a thin program around this
// package.
package actorgate
