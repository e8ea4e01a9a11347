package store

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate/messages"
)

func TestPutEncodedRoundTrip(t *testing.T) {
	system := newSystem(t)
	pid := spawnStore(t, system, testConfig(t, nil))
	r := newResponse(t, "a")

	reply := request[*messages.PutResponseReply](t, system, pid, &PutEncodedResponse{
		PutResponse: messages.PutResponse{RequestID: "put-1", Response: r},
	})
	if reply.Err != nil {
		t.Fatalf("PutResponseReply.Err = %v, want nil", reply.Err)
	}
	if reply.RequestID != "put-1" {
		t.Errorf("PutResponseReply.RequestID = %q, want put-1", reply.RequestID)
	}
	get := request[*messages.GetResponseReply](t, system, pid,
		&messages.GetResponse{ID: r.ID, SessionKey: "a"})
	if get.Err != nil {
		t.Fatalf("Get: %v", get.Err)
	}
	if string(get.Response.Body) != string(r.Body) {
		t.Errorf("body = %s, want %s", get.Response.Body, r.Body)
	}
}

func TestPutEncodedKeepsOtherChecks(t *testing.T) {
	system := newSystem(t)
	pid := spawnStore(t, system, testConfig(t, nil))
	bad := newResponse(t, "a")
	bad.Status = ""

	reply := request[*messages.PutResponseReply](t, system, pid,
		&PutEncodedResponse{PutResponse: messages.PutResponse{Response: bad}})
	if !errors.Is(reply.Err, ErrInvalidArgument) {
		t.Errorf("err = %v, want ErrInvalidArgument", reply.Err)
	}
}

// A transaction that also holds a plain PutResponse checks the JSON of
// every write in it, the encoded ones included.
func TestMixedBatchChecksJSON(t *testing.T) {
	o := &opener{prepare: func(f *faultyStore) {
		f.gate = make(chan struct{})
		f.entered = make(chan struct{})
	}}
	system := newSystem(t)
	pid := spawnStore(t, system, testConfig(t, o))

	first := system.Root.RequestFuture(pid,
		&messages.PutResponse{Response: newResponse(t, "a")}, requestTimeout)
	eventually(t, "the store to open", func() bool { return len(o.stores()) == 1 })
	store := o.last(t)
	<-store.entered

	// Both writes wait in the mailbox while the first transaction is held,
	// so the next transaction holds both of them.
	invalid := newResponse(t, "a")
	invalid.Body = json.RawMessage(`{not json`)
	encoded := system.Root.RequestFuture(pid,
		&PutEncodedResponse{PutResponse: messages.PutResponse{Response: invalid}}, requestTimeout)
	plain := system.Root.RequestFuture(pid,
		&messages.PutResponse{Response: newResponse(t, "a")}, requestTimeout)
	close(store.gate)

	if err := putErr(t, first); err != nil {
		t.Errorf("first write: %v", err)
	}
	if err := putErr(t, encoded); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("encoded write with invalid JSON in a mixed batch: err = %v, "+
			"want ErrInvalidArgument", err)
	}
	if err := putErr(t, plain); err != nil {
		t.Errorf("plain write: %v", err)
	}
}

// putErr waits for the reply to a put and returns its error.
func putErr(t *testing.T, f *actor.Future) error {
	t.Helper()
	res, err := f.Result()
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	reply, ok := res.(*messages.PutResponseReply)
	if !ok {
		t.Fatalf("put: reply %T, want *messages.PutResponseReply", res)
	}
	return reply.Err
}
