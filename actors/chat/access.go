package chat

import (
	"strings"
	"sync"
	"time"
)

// DefaultRefusalInterval is the least time between two refusals sent to
// the same user.
const DefaultRefusalInterval = time.Hour

// maxRefusalEntries bounds the refusal memory; older entries are pruned
// beyond it.
const maxRefusalEntries = 4096

// Access decides who may talk to the bot. The zero value lets nobody in.
type Access struct {
	// AllowAll lets every user in; Users is then not consulted.
	AllowAll bool
	// Users lists the user ids that may talk to the bot, compared exactly
	// after trimming white space.
	Users []string
	// Setting names the allowlist setting, such as TELEGRAM_ALLOWED_USERS,
	// for the refusal text.
	Setting string
}

// Allowed reports whether userID may talk to the bot.
func (a Access) Allowed(userID string) bool {
	if a.AllowAll {
		return true
	}
	userID = strings.TrimSpace(userID)
	if userID == "" {
		return false
	}
	for _, u := range a.Users {
		if strings.TrimSpace(u) == userID {
			return true
		}
	}
	return false
}

// refusals remembers when each user was last refused, so that a user who
// keeps writing gets one refusal per interval and not one per message.
type refusals struct {
	interval time.Duration
	mu       sync.Mutex
	last     map[string]time.Time
}

func newRefusals(interval time.Duration) *refusals {
	return &refusals{interval: interval, last: make(map[string]time.Time)}
}

// due reports whether user should get a refusal at now, and records it.
func (r *refusals) due(user string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if at, ok := r.last[user]; ok && now.Sub(at) < r.interval {
		return false
	}
	if len(r.last) >= maxRefusalEntries {
		r.prune(now)
	}
	r.last[user] = now
	return true
}

// prune drops the entries older than the interval, and everything when
// that is not enough, so the memory stays bounded.
func (r *refusals) prune(now time.Time) {
	for user, at := range r.last {
		if now.Sub(at) >= r.interval {
			delete(r.last, user)
		}
	}
	if len(r.last) >= maxRefusalEntries {
		clear(r.last)
	}
}
