package actorgate_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/actorgate/actorgate/actors/telegram"
	"github.com/actorgate/actorgate/actors/telegram/telegramtest"
	"github.com/actorgate/actorgate/actors/webhook"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

const chatBotToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

func TestChatPlatformsWired(t *testing.T) {
	api, err := telegramtest.Start(chatBotToken, "gatebot")
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	cfg := testConfig()
	cfg.Home = t.TempDir()
	cfg.Platforms.Telegram.Token = chatBotToken
	cfg.Platforms.Telegram.BaseURL = api.URL()
	cfg.Platforms.Telegram.PollTimeout = time.Second
	cfg.Platforms.Telegram.AllowedUsers = []string{"42"}
	cfg.Platforms.Webhook.Secret = "wired-webhook-secret-0123"
	cfg.Platforms.Webhook.Port = freePort(t)
	gw := startGateway(t, newHost(t), "gw", cfg)

	waitRow(t, gw, webhook.Name, "connected", inState(messages.StateConnected))
	waitRow(t, gw, telegram.Name, "connected", inState(messages.StateConnected))

	reply := postWebhook(t, cfg.Platforms.Webhook, `{"chat_id":"c","user_id":"u","text":"hi"}`)
	if reply.Reply != "turn 1: hi" {
		t.Errorf("webhook reply = %q", reply.Reply)
	}
	api.Push(telegramtest.PrivateText(42, "alice", "hello"))
	deadline := time.Now().Add(20 * time.Second)
	for len(api.Sent()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if sent := api.Sent(); len(sent) != 1 || sent[0].Text != "turn 1: hello" {
		t.Errorf("telegram sent %+v", sent)
	}
	if _, err := os.Stat(filepath.Join(cfg.Home, config.SessionsDB)); err != nil {
		t.Errorf("sessions database: %v", err)
	}
}

func TestChatPlatformRejected(t *testing.T) {
	cfg := testConfig()
	cfg.Home = t.TempDir()
	cfg.Platforms.Telegram.Token = "your-bot-token"
	gw := startGateway(t, newHost(t), "gw", cfg)

	row := waitRow(t, gw, telegram.Name, "fatal", inState(messages.StateFatal))
	if row.ErrorCode != config.CodeTelegramTokenInvalid {
		t.Errorf("error code = %q", row.ErrorCode)
	}
	if _, err := os.Stat(filepath.Join(cfg.Home, config.SessionsDB)); err == nil {
		t.Error("a rejected platform opened the sessions database")
	}
}

func postWebhook(t *testing.T, wh config.WebhookConfig, body string) webhook.Reply {
	t.Helper()
	url := fmt.Sprintf("http://%s%s", wh.Addr(), webhook.Path)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	ts, sig := webhook.Sign(wh.Secret, time.Now(), []byte(body))
	req.Header.Set(webhook.HeaderTimestamp, ts)
	req.Header.Set(webhook.HeaderSignature, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, _ := io.ReadAll(resp.Body)
	var r webhook.Reply
	if err := json.Unmarshal(data, &r); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %d %s", resp.StatusCode, data)
	}
	return r
}
