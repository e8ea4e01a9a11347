package h1

import "time"

// sweepInterval is how often idle connections are checked while any are
// pooled, so that one the server closed is released within about this
// long instead of when it is next taken or expires.
const sweepInterval = time.Second

// peekAfter is how long a connection must have been idle before it is
// peeked at when taken. A server rarely closes a connection this soon
// after its last response. A request on one that it did close goes out
// again on a fresh connection (see RoundTrip). So connections that go back
// and forth under load skip the peek's system call.
const peekAfter = 250 * time.Millisecond

// takeIdle returns the most recently used idle connection to key that is
// still open, closing the expired and dead ones it finds on the way, or nil.
func (t *Transport) takeIdle(key string) *conn {
	for {
		t.mu.Lock()
		list := t.idle[key]
		if len(list) == 0 {
			t.mu.Unlock()
			return nil
		}
		c := list[len(list)-1]
		list[len(list)-1] = nil
		t.idle[key] = list[:len(list)-1]
		t.idleCount--
		t.mu.Unlock()

		idle := time.Since(c.idleAt)
		if idle <= t.cfg.IdleConnTimeout && (idle < peekAfter || isAlive(c.nc)) {
			return c
		}
		c.close()
	}
}

// putIdle adds c to the idle pool without a read buffer, or closes it
// when the pool is full or the server sent bytes that belong to no
// request.
func (t *Transport) putIdle(c *conn) {
	if c.buffered() > 0 {
		c.close()
		return
	}
	c.putReader()
	c.reused = true
	c.idleAt = time.Now()

	t.mu.Lock()
	if t.idleCount >= t.cfg.MaxIdleConns {
		t.mu.Unlock()
		c.close()
		return
	}
	list := append(t.idle[c.key], c)
	expired := t.dropExpiredLocked(list, c.idleAt)
	t.armSweepLocked()
	t.mu.Unlock()

	for _, old := range expired {
		old.close()
	}
}

// dropExpiredLocked stores list in the pool without the connections at its
// bottom that have been idle longer than IdleConnTimeout, and returns those.
// takeIdle only looks at the top, so without this a busy host's oldest
// connections would stay open forever.
func (t *Transport) dropExpiredLocked(list []*conn, now time.Time) []*conn {
	n := 0
	for n < len(list) && now.Sub(list[n].idleAt) > t.cfg.IdleConnTimeout {
		n++
	}
	var expired []*conn
	if n > 0 {
		expired = append(expired, list[:n]...)
		list = append(list[:0], list[n:]...)
		clear(list[len(list):cap(list)])
	}
	t.idle[list[0].key] = list
	t.idleCount += 1 - n
	return expired
}

// armSweepLocked starts the sweep timer unless it is already running. The
// waiting timer holds no goroutine, and its function gets one only when the
// timer fires.
func (t *Transport) armSweepLocked() {
	if t.sweepArmed {
		return
	}
	t.sweepArmed = true
	if t.sweep == nil {
		t.sweep = time.AfterFunc(sweepInterval, t.sweepIdle)
		return
	}
	t.sweep.Reset(sweepInterval)
}

// sweepIdle closes the idle connections that the server has closed or that
// have expired, and runs again after sweepInterval while any remain. The
// peek at each socket does not block, so the lock is held only briefly.
func (t *Transport) sweepIdle() {
	now := time.Now()
	var dead []*conn
	t.mu.Lock()
	for key, list := range t.idle {
		alive := list[:0]
		for _, c := range list {
			if now.Sub(c.idleAt) > t.cfg.IdleConnTimeout || !isAlive(c.nc) {
				dead = append(dead, c)
				continue
			}
			alive = append(alive, c)
		}
		clear(list[len(alive):])
		t.idleCount -= len(list) - len(alive)
		if len(alive) == 0 {
			delete(t.idle, key)
		} else {
			t.idle[key] = alive
		}
	}
	t.sweepArmed = false
	if t.idleCount > 0 {
		t.armSweepLocked()
	}
	t.mu.Unlock()

	for _, c := range dead {
		c.close()
	}
}
