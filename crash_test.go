package actorgate_test

import (
	"testing"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/actors/apiserver"
	"github.com/actorgate/actorgate/messages"
)

// TestAdapterCrashStaysInItsGateway embeds two gateways in one host
// system, makes an adapter of one panic, and checks that everything else
// keeps replying while the crashed adapter is restarted.
func TestAdapterCrashStaysInItsGateway(t *testing.T) {
	system := newHost(t)
	host := spawnHostActor(t, system, "host")

	cfgA := withAPIServer(t, testConfig())
	chatA, mailA := &probe{name: "chat"}, &probe{name: "mail"}
	a := startGateway(t, system, "a", cfgA,
		actorgate.WithPlatform(chatA.platform()), actorgate.WithPlatform(mailA.platform()))

	cfgB := withAPIServer(t, testConfig())
	chatB := &probe{name: "chat"}
	b := startGateway(t, system, "b", cfgB, actorgate.WithPlatform(chatB.platform()))

	for _, gw := range []*actorgate.Gateway{a, b} {
		for _, name := range []string{"chat", apiserver.Name} {
			waitRow(t, gw, name, "connected", inState(messages.StateConnected))
		}
	}
	waitRow(t, a, "mail", "connected", inState(messages.StateConnected))

	system.Root.Send(a.PlatformPID("chat"), &crash{})
	r := waitRow(t, a, "chat", "restarted and connected", func(r messages.PlatformStatus) bool {
		return r.State == messages.StateConnected && r.Restarts == 1
	})
	if chatA.starts.Load() != 2 || chatA.restarted.Load() != 1 {
		t.Errorf("crashed adapter: %d starts, %d restarts; want 2 and 1",
			chatA.starts.Load(), chatA.restarted.Load())
	}
	if r.Attempts != 0 {
		t.Errorf("crashed adapter after recovery: attempts = %d, want 0", r.Attempts)
	}
	pingPID(t, system, a.PlatformPID("chat"))

	// Everything else still replies and never restarted.
	pingPID(t, system, host)
	pingPID(t, system, a.PlatformPID("mail"))
	pingPID(t, system, b.PlatformPID("chat"))
	if got := ask(t, a, "still there"); got != "turn 1: still there" {
		t.Errorf("gateway a answered %q", got)
	}
	if got := ask(t, b, "still there"); got != "turn 1: still there" {
		t.Errorf("gateway b answered %q", got)
	}
	for _, cfg := range []struct {
		name string
		port int
		code int
	}{
		{"a", cfgA.Platforms.APIServer.Port, getModels(t, cfgA)},
		{"b", cfgB.Platforms.APIServer.Port, getModels(t, cfgB)},
	} {
		if cfg.code != 200 {
			t.Errorf("API server of %s on port %d answered %d, want 200", cfg.name, cfg.port, cfg.code)
		}
	}
	unaffected := []struct {
		gw       *actorgate.Gateway
		platform string
	}{
		{a, "mail"}, {b, "chat"}, {a, apiserver.Name}, {b, apiserver.Name},
	}
	for _, u := range unaffected {
		r := row(t, u.gw, u.platform)
		if r.State != messages.StateConnected || r.Restarts != 0 {
			t.Errorf("%s/%s: state %s, restarts %d; want connected and 0",
				u.gw.Name(), u.platform, r.State, r.Restarts)
		}
	}
	for name, p := range map[string]*probe{"a/mail": mailA, "b/chat": chatB} {
		if p.starts.Load() != 1 || p.restarted.Load() != 0 {
			t.Errorf("%s: %d starts, %d restarts; want 1 and 0",
				name, p.starts.Load(), p.restarted.Load())
		}
	}
}
