package actorgate_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// Example embeds a gateway with the built-in echo agent in a host's actor
// system and runs one request on the agent.
func Example() {
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	defer system.Shutdown()

	// config.Default enrolls no platform; the agent backend is echo.
	gw, err := actorgate.Start(system, "assistant", config.Default())
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	defer func() { _ = gw.Close(ctx) }()

	reply, err := gw.Ask(ctx, &messages.AgentRequest{
		Messages: []messages.ChatMessage{{Role: "user", Content: "hello"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(gw.AgentPID().Id)
	fmt.Println(reply.Text)
	// Output:
	// assistant/agent
	// turn 1: hello
}

// kioskAdapter is a custom platform adapter: it reports itself connected
// once started, and turns every *kioskInput it receives into an inbound
// message on the actor system's event stream, as chat adapters do.
type kioskAdapter struct {
	gateway string
}

// kioskInput stands for a message a user typed on the kiosk.
type kioskInput struct{ user, text string }

func (k *kioskAdapter) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		// A real adapter connects to its service here and, when that
		// fails, escalates a *messages.PlatformError (lifecycle.Fail).
		ctx.Send(ctx.Parent(), &messages.PlatformConnected{Platform: "kiosk"})
	case *kioskInput:
		ctx.ActorSystem().EventStream.Publish(&messages.InboundMessage{
			Gateway: k.gateway, Platform: "kiosk", ChatType: messages.ChatDM,
			ChatID: "kiosk-1", UserID: msg.user, UserName: msg.user, Text: msg.text,
			Time: time.Now(),
		})
	}
}

func kioskPlatform() gateway.Platform {
	return gateway.Platform{
		Name:        "kiosk",
		Fingerprint: "v1",
		NewActor: func(env gateway.Env) actor.Actor {
			return &kioskAdapter{gateway: env.Gateway}
		},
	}
}

// ExampleWithPlatform registers a custom platform adapter. The gateway
// supervises it like a built-in one and lists it in its status table.
func ExampleWithPlatform() {
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	defer system.Shutdown()

	gw, err := actorgate.Start(system, "front-desk", config.Default(),
		actorgate.WithPlatform(kioskPlatform()))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	defer func() { _ = gw.Close(ctx) }()

	// The adapter connects asynchronously: poll the status table.
	for ctx.Err() == nil {
		rows, err := gw.Status(ctx)
		if err == nil && len(rows) == 1 && rows[0].State == messages.StateConnected {
			fmt.Println(rows[0].Name, rows[0].State)
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Output: kiosk connected
}

// Example_inboundMessages subscribes to the messages users send through
// the gateway's adapters, and replies to each one through the agent.
func Example_inboundMessages() {
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	defer system.Shutdown()

	gw, err := actorgate.Start(system, "front-desk", config.Default(),
		actorgate.WithPlatform(kioskPlatform()))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	defer func() { _ = gw.Close(ctx) }()

	inbound := make(chan *messages.InboundMessage, 1)
	sub := system.EventStream.Subscribe(func(evt any) {
		if msg, ok := evt.(*messages.InboundMessage); ok {
			inbound <- msg
		}
	})
	defer system.EventStream.Unsubscribe(sub)

	// Stand in for a user typing on the kiosk.
	system.Root.Send(gw.PlatformPID("kiosk"), &kioskInput{user: "alice", text: "where is room 4?"})

	msg := <-inbound
	fmt.Printf("%s/%s from %s: %s\n", msg.Gateway, msg.Platform, msg.UserName, msg.Text)
	reply, err := gw.Ask(ctx, &messages.AgentRequest{
		SessionID: msg.Platform + ":" + msg.ChatID,
		Messages:  []messages.ChatMessage{{Role: "user", Content: msg.Text}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("agent:", reply.Text)
	// Output:
	// front-desk/kiosk from alice: where is room 4?
	// agent: turn 1: where is room 4?
}
