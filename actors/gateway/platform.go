package gateway

import (
	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/messages"
)

// Env is what the gateway hands to each adapter it builds.
type Env struct {
	// Gateway is the gateway's name in the actor system.
	Gateway string
	// Agent is the agent actor's PID; it stays the same across restarts.
	Agent *actor.PID
	// Logger is named after the platform.
	Logger *zap.Logger
	// Sessions is the sessions store actor's PID, or nil when no chat
	// platform is enrolled; it stays the same across restarts.
	Sessions *actor.PID
}

// Platform describes one platform the gateway enrolls.
type Platform struct {
	// Name is the platform's name in the status table and its actor name.
	Name string
	// Fingerprint identifies the platform's settings. On a reload, a
	// platform whose fingerprint changed is restarted; one whose
	// fingerprint is the same is left alone.
	Fingerprint string
	// Rejected marks a platform whose settings were rejected before any
	// actor was built (a weak key, say). It appears in the status table as
	// fatal and is never spawned.
	Rejected *messages.PlatformError
	// UsesSessions marks a chat platform: the gateway starts the sessions
	// store before the first such platform and passes it in Env.Sessions.
	UsesSessions bool
	// NewActor builds a fresh adapter for every start and restart. It must
	// open nothing: the adapter acquires its resources in *actor.Started.
	NewActor func(env Env) actor.Actor
}
