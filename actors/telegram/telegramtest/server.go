package telegramtest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"
)

// MaxMessageLength is the Bot API's limit on a message's text, in UTF-16
// code units after entity parsing.
const MaxMessageLength = 4096

// Sent is a message the bot sent with sendMessage.
type Sent struct {
	MessageID int
	ChatID    string
	Text      string
	ThreadID  int
	// ReplyTo is the message_id of reply_parameters, or of the older
	// reply_to_message_id.
	ReplyTo int
}

// Action is a chat action the bot sent with sendChatAction.
type Action struct {
	ChatID   string
	ThreadID int
	Action   string
}

// Server is a fake Bot API server for one bot.
type Server struct {
	token string
	bot   models.User
	ln    net.Listener
	http  *http.Server
	done  chan struct{}

	mu            sync.Mutex
	changed       chan struct{}
	updates       []models.Update
	nextUpdateID  int64
	nextMessageID int
	pollSeq       int
	sent          []Sent
	actions       []Action
	offsets       []int64
	failPolls     int
	rateLimited   int
	retryAfter    int
	conflict      bool
	closed        bool
}

// Start starts a fake Bot API on 127.0.0.1 for the bot with token, whose
// username is username.
func Start(token, username string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{
		token: token, ln: ln, done: make(chan struct{}), changed: make(chan struct{}),
		bot:          models.User{ID: botID(token), IsBot: true, FirstName: "Test bot", Username: username},
		nextUpdateID: 100, nextMessageID: 1000,
	}
	s.http = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.http.Serve(ln)
	}()
	return s, nil
}

func botID(token string) int64 {
	var id int64
	_, _ = fmt.Sscan(strings.Split(token, ":")[0], &id)
	return id
}

// URL returns the server's base URL, the value for WithServerURL.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the server and ends the polls it holds.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.changed)
	}
	s.mu.Unlock()
	_ = s.http.Close()
	<-s.done
}

// broadcast wakes every held poll; the caller holds s.mu.
func (s *Server) broadcast() {
	if s.closed {
		return
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// Push queues msg as a new update and returns the update id. The message
// gets a message_id and a date when it has none.
func (s *Server) Push(msg models.Message) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg.ID == 0 {
		s.nextMessageID++
		msg.ID = s.nextMessageID
	}
	if msg.Date == 0 {
		msg.Date = int(time.Now().Unix())
	}
	s.nextUpdateID++
	s.updates = append(s.updates, models.Update{ID: s.nextUpdateID, Message: &msg})
	s.broadcast()
	return s.nextUpdateID
}

// PrivateText builds a text message that user sent to the bot in a
// private chat.
func PrivateText(userID int64, username, text string) models.Message {
	return models.Message{
		Chat: models.Chat{ID: userID, Type: models.ChatTypePrivate, FirstName: username},
		From: &models.User{ID: userID, FirstName: username, Username: username},
		Text: text,
	}
}

// Sent returns the messages the bot sent, in order.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Actions returns the chat actions the bot sent, in order.
func (s *Server) Actions() []Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Action(nil), s.actions...)
}

// Offsets returns the offset of every getUpdates call, in order.
func (s *Server) Offsets() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int64(nil), s.offsets...)
}

// Pending returns the number of updates not yet confirmed by an offset.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// FailPolls makes the next n getUpdates calls fail with 502 Bad Gateway,
// as the Bot API does when its front end loses the back end.
func (s *Server) FailPolls(n int) {
	s.mu.Lock()
	s.failPolls = n
	s.mu.Unlock()
}

// RateLimit makes the next n sendMessage calls fail with 429 and
// retry_after seconds.
func (s *Server) RateLimit(n, retryAfter int) {
	s.mu.Lock()
	s.rateLimited, s.retryAfter = n, retryAfter
	s.mu.Unlock()
}

// SetConflict makes every getUpdates call fail with 409, as when another
// instance of the bot polls, or a webhook is set.
func (s *Server) SetConflict(on bool) {
	s.mu.Lock()
	s.conflict = on
	s.broadcast()
	s.mu.Unlock()
}

// envelope is the Bot API's response object.
type envelope struct {
	OK          bool        `json:"ok"`
	Result      any         `json:"result,omitempty"`
	ErrorCode   int         `json:"error_code,omitempty"`
	Description string      `json:"description,omitempty"`
	Parameters  *parameters `json:"parameters,omitempty"`
}

type parameters struct {
	RetryAfter int `json:"retry_after,omitempty"`
}

func writeResult(w http.ResponseWriter, result any) {
	writeEnvelope(w, http.StatusOK, envelope{OK: true, Result: result})
}

func writeFailure(w http.ResponseWriter, code int, description string) {
	writeEnvelope(w, code, envelope{ErrorCode: code, Description: description})
}

func writeEnvelope(w http.ResponseWriter, status int, e envelope) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(e)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, found := strings.Cut(rest, "/")
	if !ok || !found || method == "" {
		writeFailure(w, http.StatusNotFound, "Not Found")
		return
	}
	if token != s.token {
		writeFailure(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	p, err := readParams(r)
	if err != nil {
		writeFailure(w, http.StatusBadRequest, "Bad Request: "+err.Error())
		return
	}
	switch strings.ToLower(method) {
	case "getme":
		writeResult(w, s.bot)
	case "getupdates":
		s.getUpdates(w, r, p)
	case "sendmessage":
		s.sendMessage(w, p)
	case "sendchataction":
		s.sendChatAction(w, p)
	default:
		writeFailure(w, http.StatusNotFound, "Not Found: method not found")
	}
}

// getUpdates confirms the updates below offset, then returns the next
// ones, holding the request until one arrives or timeout seconds pass. A
// newer poll ends an older one with 409, as the Bot API does.
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, p params) {
	offset, _ := p.int("offset")
	limit, ok := p.int("limit")
	if !ok || limit < 1 || limit > 100 {
		limit = 100
	}
	timeout, _ := p.int("timeout")
	deadline := time.NewTimer(time.Duration(max(timeout, 0)) * time.Second)
	defer deadline.Stop()

	s.mu.Lock()
	s.offsets = append(s.offsets, offset)
	if s.failPolls > 0 {
		s.failPolls--
		s.mu.Unlock()
		writeFailure(w, http.StatusBadGateway, "Bad Gateway")
		return
	}
	s.pollSeq++
	seq := s.pollSeq
	s.confirm(offset)
	s.broadcast()
	for {
		if s.conflict || s.pollSeq != seq {
			s.mu.Unlock()
			writeFailure(w, http.StatusConflict, "Conflict: terminated by other getUpdates "+
				"request; make sure that only one bot instance is running")
			return
		}
		batch := s.batch(int(limit))
		if len(batch) > 0 || timeout <= 0 || s.closed {
			s.mu.Unlock()
			writeResult(w, batch)
			return
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			timeout = 0
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
	}
}

// confirm forgets the updates below offset; the caller holds s.mu.
func (s *Server) confirm(offset int64) {
	if offset <= 0 {
		return
	}
	i := 0
	for i < len(s.updates) && s.updates[i].ID < offset {
		i++
	}
	s.updates = s.updates[i:]
}

func (s *Server) batch(limit int) []models.Update {
	n := min(limit, len(s.updates))
	return append([]models.Update{}, s.updates[:n]...)
}

func (s *Server) sendMessage(w http.ResponseWriter, p params) {
	chatID := p.str("chat_id")
	text := p.str("text")
	var reply struct {
		MessageID int `json:"message_id"`
	}
	if err := p.object("reply_parameters", &reply); err != nil {
		writeFailure(w, http.StatusBadRequest, "Bad Request: can't parse reply parameters JSON object")
		return
	}
	if reply.MessageID == 0 {
		if id, ok := p.int("reply_to_message_id"); ok {
			reply.MessageID = int(id)
		}
	}
	thread, _ := p.int("message_thread_id")

	s.mu.Lock()
	defer s.mu.Unlock()
	switch problem := checkMessage(chatID, text); {
	case problem != "":
		writeFailure(w, http.StatusBadRequest, problem)
		return
	case s.rateLimited > 0:
		s.rateLimited--
		writeEnvelope(w, http.StatusTooManyRequests, envelope{
			ErrorCode:   http.StatusTooManyRequests,
			Description: fmt.Sprintf("Too Many Requests: retry after %d", s.retryAfter),
			Parameters:  &parameters{RetryAfter: s.retryAfter},
		})
		return
	}
	s.nextMessageID++
	s.sent = append(s.sent, Sent{
		MessageID: s.nextMessageID, ChatID: chatID, Text: text, ThreadID: int(thread),
		ReplyTo: reply.MessageID,
	})
	var id int64
	_, _ = fmt.Sscan(chatID, &id)
	writeResult(w, models.Message{
		ID: s.nextMessageID, MessageThreadID: int(thread), Date: int(time.Now().Unix()),
		Chat: models.Chat{ID: id}, From: &s.bot, Text: text,
	})
}

// checkMessage returns the Bot API's description of what is wrong with a
// message, or "".
func checkMessage(chatID, text string) string {
	switch {
	case chatID == "":
		return "Bad Request: chat_id is empty"
	case strings.TrimSpace(text) == "":
		return "Bad Request: message text is empty"
	case len(utf16.Encode([]rune(text))) > MaxMessageLength:
		return "Bad Request: message is too long"
	}
	return ""
}

func (s *Server) sendChatAction(w http.ResponseWriter, p params) {
	chatID, action := p.str("chat_id"), p.str("action")
	if chatID == "" || action == "" {
		writeFailure(w, http.StatusBadRequest, "Bad Request: chat_id and action are required")
		return
	}
	thread, _ := p.int("message_thread_id")
	s.mu.Lock()
	s.actions = append(s.actions, Action{ChatID: chatID, ThreadID: int(thread), Action: action})
	s.mu.Unlock()
	writeResult(w, true)
}
