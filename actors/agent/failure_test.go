package agent

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/actorgate/actorgate/actors/agent/h1"
	"github.com/actorgate/actorgate/messages"
)

// internalHost, internalPort and internalName make up the upstream's
// address in the errors that TestTransportReasonHidesAddress builds.
const (
	internalHost = "10.20.30.40"
	internalPort = "8123"
	internalName = "models.internal.example"
)

// dialError is the error of a dial to the internal upstream that failed
// with errno.
func dialError(errno syscall.Errno) error {
	return &net.OpError{
		Op: "dial", Net: "tcp",
		Addr: &net.TCPAddr{IP: net.ParseIP(internalHost), Port: 8123},
		Err:  os.NewSyscallError("connect", errno),
	}
}

// readError is the error of a read from the internal upstream.
func readError(err error) error {
	return fmt.Errorf("h1: read on connection to %s:%s: %w", internalHost, internalPort,
		&net.OpError{
			Op: "read", Net: "tcp",
			Addr: &net.TCPAddr{IP: net.ParseIP(internalHost), Port: 8123}, Err: err,
		})
}

// urlError wraps err as http.Client does, with the whole URL.
func urlError(err error) error {
	return &url.Error{
		Op: "Post", URL: "https://" + internalName + ":" + internalPort + "/v1/chat/completions",
		Err: err,
	}
}

// timeoutErr is a net.Error that reports a timeout.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestTransportReasonHidesAddress(t *testing.T) {
	leaf := &x509.Certificate{}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"refused", urlError(dialError(syscall.ECONNREFUSED)), "connection refused"},
		{
			"reset", readError(os.NewSyscallError("read", syscall.ECONNRESET)),
			"connection reset by the upstream",
		},
		{
			"broken pipe", readError(os.NewSyscallError("write", syscall.EPIPE)),
			"the upstream closed the connection while the request was sent",
		},
		{"host unreachable", dialError(syscall.EHOSTUNREACH), "host unreachable"},
		{"network unreachable", dialError(syscall.ENETUNREACH), "network unreachable"},
		{"dns not found", urlError(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{
			Err: "no such host", Name: internalName, Server: internalHost + ":53", IsNotFound: true,
		}}), "DNS lookup failed: host name not found"},
		{"dns failure", urlError(&net.DNSError{
			Err: "server misbehaving", Name: internalName, Server: internalHost + ":53",
		}), "DNS lookup failed"},
		{"tls host name", urlError(&tls.CertificateVerificationError{Err: x509.HostnameError{
			Certificate: leaf, Host: internalName,
		}}), "TLS failure: the upstream's certificate is not valid for its host name"},
		{"tls authority", urlError(&tls.CertificateVerificationError{
			Err: x509.UnknownAuthorityError{Cert: leaf},
		}), "TLS failure: the upstream's certificate is signed by an unknown authority"},
		{"tls expired", urlError(&tls.CertificateVerificationError{
			Err: x509.CertificateInvalidError{Cert: leaf, Reason: x509.Expired, Detail: internalName},
		}), "TLS failure: the upstream's certificate is invalid or expired"},
		{"tls record", urlError(tls.RecordHeaderError{Msg: "first record does not look like a " +
			"TLS handshake"}), "TLS failure: the upstream did not answer with TLS"},
		{"tls alert", urlError(&net.OpError{
			Op: "remote error", Err: errors.New("tls: handshake failure"),
		}), "TLS failure: the upstream rejected the handshake (tls: handshake failure)"},
		{"plain http", urlError(http.ErrSchemeMismatch), "TLS failure: the upstream answered with plain HTTP"},
		{"timeout", readError(timeoutErr{}), "timed out"},
		{"closed", readError(io.ErrUnexpectedEOF), "the upstream closed the connection"},
		{"malformed", readError(fmt.Errorf("%w: status line %q", h1.ErrMalformedResponse,
			internalHost)), "the upstream's response is not valid HTTP/1.1"},
		{
			"unknown", fmt.Errorf("h1: dialing %s:%s: something new", internalHost, internalPort),
			"connection failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := transportReason(tt.err)
			if got != tt.want {
				t.Errorf("reason = %q, want %q", got, tt.want)
			}
			requireNoAddress(t, got, internalHost, internalPort, internalName)
		})
	}
}

// requireNoAddress fails the test when text contains any of the parts of
// an upstream address.
func requireNoAddress(t *testing.T, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(text, p) {
			t.Errorf("%q contains the upstream's address part %q", text, p)
		}
	}
}

func TestTimeoutReason(t *testing.T) {
	dial := urlError(&net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}})
	if got := timeoutReason(dial); got != "connecting timed out" {
		t.Errorf("dial timeout reason = %q", got)
	}
	headers := fmt.Errorf("%w after 5m0s", h1.ErrResponseHeaderTimeout)
	if got := timeoutReason(headers); got != "no response header arrived before the timeout" {
		t.Errorf("header timeout reason = %q", got)
	}
}

func TestRetryAfterHeaders(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		ms      string
		seconds string
		want    time.Duration
	}{
		{"none", "", "", 0},
		{"seconds", "", "7", 7 * time.Second},
		{"decimal seconds", "", "0.25", 250 * time.Millisecond},
		{"milliseconds", "1500", "", 1500 * time.Millisecond},
		{"milliseconds first", "1500", "7", 1500 * time.Millisecond},
		{"invalid milliseconds", "soon", "7", 7 * time.Second},
		{"http date", "", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"past date", "", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"date beyond a day", "", now.Add(25 * time.Hour).Format(http.TimeFormat), 0},
		{"zero", "0", "0", 0},
		{"negative", "-5", "-5", 0},
		{"beyond a day", "", "86401", 0},
		{"a whole day", "", "86400", 24 * time.Hour},
		{"huge", "1" + strings.Repeat("0", 40), "1" + strings.Repeat("0", 40), 0},
		{"exponent", "1e3", "1e1", 0},
		{"hex", "0x10", "0x10", 0},
		{"not a number", "NaN", "Inf", 0},
		{"garbage", "", "tomorrow, maybe", 0},
		{"spaces", "", " 7 ", 7 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.ms != "" {
				h.Set("Retry-After-Ms", tt.ms)
			}
			if tt.seconds != "" {
				h.Set("Retry-After", tt.seconds)
			}
			if got := retryAfter(h, now); got != tt.want {
				t.Errorf("retryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}

// closedPort returns a loopback address on which nothing listens.
func closedPort(t *testing.T) (host, port string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

// runLogged runs req on backend through a runner of an agent that logs to
// the returned observer.
func runLogged(t *testing.T, backend Backend, req *messages.AgentRequest,
) (messages.AgentReply, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	_, runner := spawnLoggedRunner(t, newSystem(t), backend, zap.New(core))
	reply, err := runner.Run(context.Background(), req, func(agentDelta) {})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return reply, logs
}

// failureLog returns the fields of the one "agent run failed" line.
func failureLog(t *testing.T, logs *observer.ObservedLogs) (zapcore.Level, map[string]any) {
	t.Helper()
	entries := logs.FilterMessage("agent run failed").All()
	if len(entries) != 1 {
		t.Fatalf("%d failure log lines, want 1: %v", len(entries), logs.All())
	}
	return entries[0].Level, entries[0].ContextMap()
}

// refusedBackend returns an openai backend whose upstream is host:port,
// where nothing listens, closed when the test ends.
func refusedBackend(t *testing.T, host, port string, logger *zap.Logger) Backend {
	t.Helper()
	b, err := NewOpenAI(OpenAIConfig{
		BaseURL: "http://" + net.JoinHostPort(host, port) + "/v1", Timeout: 5 * time.Second,
	}, logger)
	if err != nil {
		t.Fatalf("NewOpenAI: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestOpenAIRefusedHidesAddress(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run("stream="+strconv.FormatBool(stream), func(t *testing.T) {
			host, port := closedPort(t)
			b := refusedBackend(t, host, port, nil)

			reply, logs := runLogged(t, b, userRequest("hi", stream))

			requireError(t, reply, CodeUpstreamUnavailable)
			want := "the upstream could not be reached: connection refused"
			if reply.Err.Message != want {
				t.Errorf("message = %q, want %q", reply.Err.Message, want)
			}
			requireNoAddress(t, reply.Err.Message, host, port)
			level, fields := failureLog(t, logs)
			if level != zapcore.WarnLevel {
				t.Errorf("failure logged at %s, want warn", level)
			}
			cause, _ := fields["cause"].(string)
			if !strings.Contains(cause, net.JoinHostPort(host, port)) {
				t.Errorf("logged cause = %q, want it to name %s:%s", cause, host, port)
			}
			if fields["request_id"] != "req-1" {
				t.Errorf("logged request_id = %v, want req-1", fields["request_id"])
			}
		})
	}
}

func TestAgentMessageRunLogsCause(t *testing.T) {
	host, port := closedPort(t)
	b := refusedBackend(t, host, port, nil)
	core, logs := observer.New(zapcore.DebugLevel)
	system := newSystem(t)
	pid := spawnAgent(t, system, b, zap.New(core))

	res, err := system.Root.RequestFuture(pid, userRequest("hi", false), waitLimit).Result()
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}
	reply := *res.(*messages.AgentReply)
	requireError(t, reply, CodeUpstreamUnavailable)
	requireNoAddress(t, reply.Err.Message, host, port)
	waitFor(t, "the run's failure log", func() bool {
		return logs.FilterMessage("agent run failed").Len() == 1
	})
	_, fields := failureLog(t, logs)
	if cause, _ := fields["cause"].(string); !strings.Contains(cause, port) {
		t.Errorf("logged cause = %q, want it to name port %s", cause, port)
	}
}

func TestOpenAIDirectRunLogsCause(t *testing.T) {
	host, port := closedPort(t)
	core, logs := observer.New(zapcore.DebugLevel)
	b := refusedBackend(t, host, port, zap.New(core))

	reply := b.Run(context.Background(), userRequest("hi", false), nil)

	requireError(t, reply, CodeUpstreamUnavailable)
	requireNoAddress(t, reply.Err.Message, host, port)
	entries := logs.FilterMessage("upstream request failed").All()
	if len(entries) != 1 {
		t.Fatalf("%d upstream failure log lines, want 1: %v", len(entries), logs.All())
	}
	fields := entries[0].ContextMap()
	if entries[0].Level != zapcore.WarnLevel {
		t.Errorf("level = %s, want warn", entries[0].Level)
	}
	if cause, _ := fields["error"].(string); !strings.Contains(cause, port) {
		t.Errorf("logged error = %q, want it to name port %s", cause, port)
	}
	if fields["request_id"] != "req-1" {
		t.Errorf("logged request_id = %v, want req-1", fields["request_id"])
	}
}

// resetAfterHead responds with a status line and headers that promise more
// body than it sends, then resets the connection.
func resetAfterHead(contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		writeResetHead(buf, contentType)
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
		_ = conn.Close()
	}
}

func writeResetHead(buf *bufio.ReadWriter, contentType string) {
	body := `{"id":"chatcmpl-1","choices":[`
	if contentType == "text/event-stream" {
		body = "data: " + contentChunk("partial") + "\n\n"
	}
	_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: " + contentType + "\r\n" +
		"Content-Length: 100000\r\n\r\n" + body)
	_ = buf.Flush()
}

func TestOpenAIReadFailureHidesAddress(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run("stream="+strconv.FormatBool(stream), func(t *testing.T) {
			contentType := "application/json"
			if stream {
				contentType = "text/event-stream"
			}
			f := newFakeUpstream(t, resetAfterHead(contentType))
			host, port, err := net.SplitHostPort(strings.TrimPrefix(f.srv.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			b := newTestBackend(t, f, 5*time.Second)

			reply, logs := runLogged(t, b, userRequest("hi", stream))

			requireError(t, reply, CodeUpstreamError)
			prefix := "reading the upstream response failed: "
			if stream {
				prefix = "reading the upstream stream failed: "
			}
			if !strings.HasPrefix(reply.Err.Message, prefix) {
				t.Errorf("message = %q, want it to start with %q", reply.Err.Message, prefix)
			}
			requireNoAddress(t, reply.Err.Message, host, port)
			if _, fields := failureLog(t, logs); fields["cause"] == nil {
				t.Errorf("the failure log has no cause: %v", fields)
			}
		})
	}
}

func TestHideAddresses(t *testing.T) {
	tests := []struct{ in, want string }{
		{"model not found", "model not found"},
		{"line 1:23: unexpected token", "line 1:23: unexpected token"},
		{
			"connect to http://10.0.0.5:8000/v1/models failed",
			"connect to [URL] failed",
		},
		{"backend 10.0.0.5:8000 refused", "backend [address] refused"},
		{"backend 192.168.1.20 is down", "backend [address] is down"},
		{"dial [fd00::1]:9000: refused", "dial [address]: refused"},
		{"llm.internal.example:8443 timed out", "[address] timed out"},
		{"see localhost:11434 and localhost", "see [address] and [address]"},
		{`{"detail":"https://vllm.lan/x?y=1"}`, `{"detail":"[URL]"}`},
	}
	for _, tt := range tests {
		if got := hideAddresses(tt.in); got != tt.want {
			t.Errorf("hideAddresses(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOpenAIErrorTextHidesAddress(t *testing.T) {
	const upstreamText = "upstream http://10.1.2.3:8000/v1 failed at 10.1.2.3:8000"
	for _, stream := range []bool{false, true} {
		t.Run("stream="+strconv.FormatBool(stream), func(t *testing.T) {
			f := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				if !stream {
					serveJSON(http.StatusInternalServerError,
						`{"error":{"message":"`+upstreamText+`","type":"server_error"}}`)(w, r)
					return
				}
				w.Header().Set("Content-Type", "text/event-stream")
				_, _ = io.WriteString(w, `data: {"error":{"message":"`+upstreamText+`"}}`+"\n\n")
			})
			b := newTestBackend(t, f, 5*time.Second)

			reply := b.Run(context.Background(), userRequest("hi", stream), nil)

			requireError(t, reply, CodeUpstreamError)
			requireNoAddress(t, reply.Err.Message, "10.1.2.3", "8000")
			if !strings.Contains(reply.Err.Message, "upstream [URL] failed at [address]") {
				t.Errorf("message = %q, want the upstream's text with placeholders", reply.Err.Message)
			}
		})
	}
}

func TestOpenAIRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header http.Header
		want   time.Duration
	}{
		{"429 seconds", 429, http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{
			"429 milliseconds", 429,
			http.Header{"Retry-After-Ms": {"1500"}, "Retry-After": {"2"}},
			1500 * time.Millisecond,
		},
		{"503 seconds", 503, http.Header{"Retry-After": {"30"}}, 30 * time.Second},
		{"429 garbage", 429, http.Header{"Retry-After": {"later"}}, 0},
		{"429 none", 429, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header()[k] = v
				}
				serveJSON(tt.status, `{"error":{"message":"slow down","type":"requests",`+
					`"code":"rate_limit_exceeded"}}`)(w, r)
			})
			b := newTestBackend(t, f, 5*time.Second)

			reply := b.Run(context.Background(), userRequest("hi", false), nil)

			requireError(t, reply, CodeUpstreamError)
			if reply.Err.UpstreamStatus != tt.status {
				t.Errorf("upstream status = %d, want %d", reply.Err.UpstreamStatus, tt.status)
			}
			if reply.Err.RetryAfter != tt.want {
				t.Errorf("retry after = %v, want %v", reply.Err.RetryAfter, tt.want)
			}
			want := "the upstream returned HTTP " + strconv.Itoa(tt.status) + ": slow down"
			if reply.Err.Message != want {
				t.Errorf("message = %q, want %q", reply.Err.Message, want)
			}
		})
	}
}

func TestOpenAICredentialsRejected(t *testing.T) {
	const upstreamText = "Incorrect API key provided: sk-te****-key."
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			f := newFakeUpstream(t, serveJSON(status, `{"error":{"message":"`+upstreamText+
				`","type":"invalid_request_error","code":"invalid_api_key"}}`))
			b := newTestBackend(t, f, 5*time.Second)

			reply, logs := runLogged(t, b, userRequest("hi", true))

			requireError(t, reply, CodeUpstreamError)
			want := "the upstream rejected the gateway's credentials (HTTP " +
				strconv.Itoa(status) + ")"
			if reply.Err.Message != want {
				t.Errorf("message = %q, want %q", reply.Err.Message, want)
			}
			if reply.Err.UpstreamStatus != status {
				t.Errorf("upstream status = %d, want %d", reply.Err.UpstreamStatus, status)
			}
			level, fields := failureLog(t, logs)
			if level != zapcore.ErrorLevel {
				t.Errorf("failure logged at %s, want error", level)
			}
			cause, _ := fields["cause"].(string)
			for _, part := range []string{"agent.api_key (AGENT_API_KEY)", upstreamText} {
				if !strings.Contains(cause, part) {
					t.Errorf("logged cause = %q, want it to contain %q", cause, part)
				}
			}
		})
	}
}

func TestCredentialsErrorWrapsSentinel(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		err := credentialsError(status, "")
		if !errors.Is(err, ErrUpstreamCredentials) {
			t.Errorf("credentialsError(%d) = %v, want it to wrap ErrUpstreamCredentials", status, err)
		}
		if !strings.Contains(err.Error(), `"no message"`) {
			t.Errorf("credentialsError(%d) = %v, want it to say the upstream sent no message",
				status, err)
		}
	}
}

func TestOpenAITLSFailureHidesAddress(t *testing.T) {
	plain := newFakeUpstream(t, serveJSON(http.StatusOK, completionJSON("hi", "", "stop")))
	selfSigned := httptest.NewUnstartedServer(serveJSON(http.StatusOK, completionJSON("hi", "", "stop")))
	// The failed handshakes are the point of the test, not worth a log line.
	selfSigned.Config.ErrorLog = log.New(io.Discard, "", 0)
	selfSigned.StartTLS()
	t.Cleanup(selfSigned.Close)
	tests := []struct {
		name    string
		baseURL string
		want    string
	}{
		{
			"plain http upstream", "https://" + strings.TrimPrefix(plain.srv.URL, "http://") + "/v1",
			"the upstream could not be reached: TLS failure: the upstream did not answer with TLS",
		},
		{
			"unknown authority", selfSigned.URL + "/v1",
			"the upstream could not be reached: TLS failure: the upstream's certificate is " +
				"signed by an unknown authority",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.baseURL)
			if err != nil {
				t.Fatal(err)
			}
			b, err := NewOpenAI(OpenAIConfig{BaseURL: tt.baseURL, Timeout: 5 * time.Second}, nil)
			if err != nil {
				t.Fatalf("NewOpenAI: %v", err)
			}
			t.Cleanup(func() { _ = b.Close() })

			reply, logs := runLogged(t, b, userRequest("hi", false))

			requireError(t, reply, CodeUpstreamUnavailable)
			if reply.Err.Message != tt.want {
				t.Errorf("message = %q, want %q", reply.Err.Message, tt.want)
			}
			requireNoAddress(t, reply.Err.Message, u.Hostname(), u.Port())
			if _, fields := failureLog(t, logs); fields["cause"] == nil {
				t.Errorf("the failure log has no cause: %v", fields)
			}
		})
	}
}
