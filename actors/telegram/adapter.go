package telegram

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/chat"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/messages"
)

// pollSlack is added to the poll timeout for the HTTP client's timeout, so
// that a held poll ends on the server's side first.
const pollSlack = 15 * time.Second

// Adapter is the Telegram adapter actor.
type Adapter struct {
	settings Settings
	env      gateway.Env
	log      *zap.Logger

	transport *http.Transport
	bot       *bot.Bot
	core      *chat.Core
	poller    *poller
	cancel    context.CancelFunc
	polling   chan struct{}
	closer    *lifecycle.Closer
	me        *models.User

	// batch is the batch of updates being handled, nil between batches.
	batch *batch
}

// batch tracks one getUpdates result until every update is handled and
// its last update_id is stored.
type batch struct {
	lastID  int64
	pending int
	// storeID is the RequestID of the SetCursor that stores lastID.
	storeID string
}

// updateHandled is sent by the chat core when it is done with an update of
// batch b.
type updateHandled struct{ b *batch }

// New returns an adapter for the gateway to start; it opens nothing.
func New(settings Settings, env gateway.Env) *Adapter {
	log := env.Logger
	if log == nil {
		log = zap.NewNop()
	}
	return &Adapter{settings: settings.withDefaults(), env: env, log: log}
}

// Receive handles the adapter's lifecycle, the poller's reports and the
// messages other actors send it.
func (a *Adapter) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *loggedIn:
		a.loggedIn(ctx, msg)
	case *updatesReceived:
		a.received(ctx, msg)
	case *updateHandled:
		a.handled(ctx, msg)
	case *messages.SetCursorReply:
		a.stored(msg)
	case *pollFailed:
		lifecycle.MustFail(ctx, msg.err)
	case *messages.SendMessage:
		a.core.SendMessage(ctx, msg)
	case *actor.Restarting, *actor.Stopping, *actor.Stopped:
		_ = a.closer.Close()
	}
}

func (a *Adapter) start(ctx actor.Context) {
	if perr := checkSettings(a.settings); perr != nil {
		lifecycle.MustFail(ctx, perr)
		return
	}
	if a.env.Sessions == nil {
		lifecycle.MustFail(ctx, &messages.PlatformError{
			Platform: Name, Code: CodeConfigInvalid,
			Message: "Telegram needs the sessions store to remember the last update it " +
				"handled, and the gateway has none; give the gateway a sessions store " +
				"(gateway.Config.Sessions) and restart",
		})
		return
	}
	a.transport = http.DefaultTransport.(*http.Transport).Clone()
	a.transport.Proxy = nil
	client := &http.Client{
		Transport: a.transport, Timeout: a.settings.Telegram.PollTimeout + pollSlack,
	}
	b, err := bot.New(a.settings.Telegram.Token,
		bot.WithServerURL(a.settings.Telegram.BaseURL),
		bot.WithSkipGetMe(),
		bot.WithHTTPClient(a.settings.Telegram.PollTimeout, client),
		bot.WithErrorsHandler(func(err error) {
			a.log.Debug("telegram client error", zap.Error(err))
		}),
		bot.WithDebugHandler(func(string, ...any) {}),
	)
	if err != nil {
		lifecycle.MustFail(ctx, tokenRejected(err))
		return
	}
	a.bot = b
	a.core = chat.NewCore(a.coreConfig(), ctx.ActorSystem(), a.env, a.send)
	a.startPoller(ctx, client)
	a.closer = lifecycle.NewCloser(a.close)
}

func (a *Adapter) coreConfig() chat.Config {
	tg := a.settings.Telegram
	return chat.Config{
		Platform: Name,
		Access: chat.Access{
			AllowAll: tg.AllowAllUsers, Users: tg.AllowedUsers, Setting: "TELEGRAM_ALLOWED_USERS",
		},
		HistoryLength:        a.settings.Sessions.HistoryLength,
		GroupSessionsPerUser: a.settings.Sessions.GroupSessionsPerUser,
		AgentTimeout:         a.settings.AgentTimeout,
		Limit:                MessageLimit,
		Unit:                 chat.UTF16,
		Limits:               a.settings.Limits,
		Retry:                a.settings.Retry,
		Typing:               a.typing,
		TypingInterval:       a.settings.TypingInterval,
	}
}

func (a *Adapter) startPoller(ctx actor.Context, client *http.Client) {
	pollCtx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.poller = &poller{
		api: &apiClient{
			http: client, base: a.settings.Telegram.BaseURL, token: a.settings.Telegram.Token,
		},
		bot: a.bot, root: ctx.ActorSystem().Root, self: ctx.Self(), store: a.env.Sessions,
		timeout: a.settings.Telegram.PollTimeout, next: make(chan int64, 1),
	}
	a.polling = make(chan struct{})
	p, done := a.poller, a.polling
	go func() {
		defer close(done)
		p.run(pollCtx)
	}()
}

func (a *Adapter) loggedIn(ctx actor.Context, msg *loggedIn) {
	a.me = msg.me
	a.core.SetBotName(msg.me.Username)
	a.log.Info("telegram bot logged in", zap.String("bot_username", msg.me.Username),
		zap.Int64("bot_id", msg.me.ID))
	ctx.Send(ctx.Parent(), &messages.PlatformConnected{Platform: Name})
}

// received hands a batch to the chat core. The batch's cursor is stored
// once every update in it is handled.
func (a *Adapter) received(ctx actor.Context, msg *updatesReceived) {
	b := &batch{lastID: msg.updates[len(msg.updates)-1].ID}
	a.batch = b
	root, self := ctx.ActorSystem().Root, ctx.Self()
	for _, u := range msg.updates {
		in, ok := a.inbound(u)
		if !ok {
			continue
		}
		b.pending++
		err := a.core.Submit(chat.Job{Message: in, Done: func(chat.Result) {
			root.Send(self, &updateHandled{b: b})
		}})
		if err != nil {
			b.pending--
		}
	}
	if b.pending == 0 {
		a.store(ctx, b)
	}
}

func (a *Adapter) handled(ctx actor.Context, msg *updateHandled) {
	if msg.b != a.batch {
		return
	}
	msg.b.pending--
	if msg.b.pending == 0 {
		a.store(ctx, msg.b)
	}
}

// store requests the sessions store to keep the batch's last update_id; the
// reply lets the poller acknowledge the batch with its next offset.
func (a *Adapter) store(ctx actor.Context, b *batch) {
	b.storeID = newRequestID()
	ctx.Request(a.env.Sessions, &messages.SetCursor{
		RequestID: b.storeID, Platform: Name, Name: CursorName,
		Value: strconv.FormatInt(b.lastID, 10),
	})
}

func (a *Adapter) stored(msg *messages.SetCursorReply) {
	b := a.batch
	if b == nil || msg.RequestID != b.storeID {
		return
	}
	if msg.Err != nil {
		a.log.Warn("storing the last update_id failed; after a restart its messages may be "+
			"answered again", zap.Int64("update_id", b.lastID), zap.Error(msg.Err))
	}
	a.batch = nil
	a.poller.next <- b.lastID + 1
}

// close stops the poller, then the chat core with the messages in flight,
// whose updates stay unacknowledged and come again after a restart.
func (a *Adapter) close() error {
	if a.cancel != nil {
		a.cancel()
		<-a.polling
	}
	err := a.core.Close()
	if a.transport != nil {
		a.transport.CloseIdleConnections()
	}
	a.log.Info("telegram stopped")
	if errors.Is(err, chat.ErrCloseTimeout) {
		return err
	}
	return nil
}

// newRequestID returns "tg_" and 16 random hex digits.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "tg_" + hex.EncodeToString(b[:])
}
