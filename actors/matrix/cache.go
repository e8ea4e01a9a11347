package matrix

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/actorgate/actorgate/actors/chat"
)

// txnTTL is how long the transaction id of a failed send is kept for its
// retries. It is longer than the chat sender's retries last.
const txnTTL = 10 * time.Minute

// maxCacheEntries bounds the transaction and sender caches. Beyond it the
// oldest entries are dropped.
const maxCacheEntries = 1024

// txnCache hands out the transaction id of each outgoing message. An
// entry lives from the first attempt to the successful one, so retries of
// one message share an id while a later message with the same text gets a
// new one. It is safe for concurrent use.
type txnCache struct {
	mu      sync.Mutex
	entries map[string]txnEntry
}

type txnEntry struct {
	id      string
	created time.Time
}

func newTxnCache() *txnCache {
	return &txnCache{entries: make(map[string]txnEntry)}
}

// get returns the transaction id for key, making one on the first call.
func (c *txnCache) get(key string) string {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok && now.Sub(e.created) < txnTTL {
		return e.id
	}
	if len(c.entries) >= maxCacheEntries {
		c.prune(now)
	}
	e := txnEntry{id: "actorgate_" + randomHex(12), created: now}
	c.entries[key] = e
	return e.id
}

// done forgets key after its message was sent.
func (c *txnCache) done(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}

// prune drops expired entries, and all of them when that is not enough.
func (c *txnCache) prune(now time.Time) {
	for k, e := range c.entries {
		if now.Sub(e.created) >= txnTTL {
			delete(c.entries, k)
		}
	}
	if len(c.entries) >= maxCacheEntries {
		clear(c.entries)
	}
}

// txnKey identifies one outgoing message by everything it contains.
func txnKey(out chat.Outgoing) string {
	h := sha256.New()
	for _, part := range []string{out.ChatID, out.ThreadID, out.ReplyTo, out.Text} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// senderCache remembers who sent the recent inbound messages, so that a
// reply can mention its sender. It is safe for concurrent use.
type senderCache struct {
	mu      sync.Mutex
	senders map[id.EventID]id.UserID
	order   []id.EventID
}

func newSenderCache() *senderCache {
	return &senderCache{senders: make(map[id.EventID]id.UserID)}
}

func (c *senderCache) put(evt id.EventID, sender id.UserID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.senders[evt]; ok {
		return
	}
	if len(c.order) >= maxCacheEntries {
		delete(c.senders, c.order[0])
		c.order = c.order[1:]
	}
	c.senders[evt] = sender
	c.order = append(c.order, evt)
}

func (c *senderCache) get(evt id.EventID) id.UserID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.senders[evt]
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newRequestID returns "matrix_" and 16 random hex digits.
func newRequestID() string {
	return "matrix_" + randomHex(8)
}
