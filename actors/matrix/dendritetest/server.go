package dendritetest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ServerName is the homeserver's name, the part after the colon in every
// user id it creates.
const ServerName = "localhost"

// Names of the binaries scripts/dendrite.sh builds.
const (
	DendriteBinary      = "dendrite"
	CreateAccountBinary = "create-account"
	GenerateKeysBinary  = "generate-keys"
)

// EnvTests, when set to a non-empty value, makes a missing binary fail the
// test instead of skipping it.
const EnvTests = "ACTORGATE_MATRIX_TESTS"

// EnvBinDir overrides the folder the binaries are looked up in.
const EnvBinDir = "ACTORGATE_BIN_DIR"

// readyTimeout bounds how long Start and Restart wait for the client API
// to respond. Dendrite runs its database migrations first, which takes a
// few seconds on a busy 2-core machine. It is a deadline for a failing
// test, not a timing assertion.
const readyTimeout = 2 * time.Minute

// stopTimeout bounds how long Stop waits after SIGTERM before SIGKILL.
const stopTimeout = 15 * time.Second

// Server is one Dendrite instance. Kill and Restart keep its port, its
// configuration and its databases.
type Server struct {
	t    testing.TB
	dir  string
	conf string
	bin  string
	// Port is the client API's port on 127.0.0.1.
	Port int
	// URL is the client API's base URL, http://127.0.0.1:<Port>.
	URL string

	http *http.Client

	mu   sync.Mutex
	proc *process
}

// process is one run of dendrite.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error
}

// BinDir returns the folder that holds the binaries: $ACTORGATE_BIN_DIR,
// else actorgate/bin in the user's cache folder.
func BinDir() string {
	if dir := os.Getenv(EnvBinDir); dir != "" {
		return dir
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(cache, "actorgate", "bin")
}

// Missing returns the binaries that are not in BinDir.
func Missing() []string {
	dir := BinDir()
	var missing []string
	for _, name := range []string{DendriteBinary, CreateAccountBinary, GenerateKeysBinary} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	return missing
}

// Require skips the test when a binary is missing, or fails it when
// ACTORGATE_MATRIX_TESTS is set.
func Require(t testing.TB) {
	t.Helper()
	missing := Missing()
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("Dendrite binaries missing from %s: %s; build them with "+
		"scripts/dendrite.sh", BinDir(), strings.Join(missing, ", "))
	if os.Getenv(EnvTests) != "" {
		t.Fatalf("%s (%s is set, so the Matrix tests must run)", msg, EnvTests)
	}
	t.Skipf("%s, or set %s=1 to make this a failure", msg, EnvTests)
}

// Start generates a configuration and a signing key in a temporary
// folder, starts Dendrite on a free port of 127.0.0.1 and waits until its
// client API responds. The server is stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	Require(t)
	dir := t.TempDir()
	s := &Server{
		t:    t,
		dir:  dir,
		conf: filepath.Join(dir, "dendrite.yaml"),
		bin:  BinDir(),
		Port: freePort(t),
		http: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}},
	}
	s.URL = "http://127.0.0.1:" + strconv.Itoa(s.Port)
	t.Cleanup(s.Stop)

	key := filepath.Join(dir, "matrix_key.pem")
	if out, err := s.tool(GenerateKeysBinary, nil, "--private-key", key); err != nil {
		t.Fatalf("dendritetest: generate-keys failed: %v\n%s", err, out)
	}
	if err := os.WriteFile(s.conf, []byte(renderConfig(dir, key, randomHex(t, 16))), 0o600); err != nil {
		t.Fatalf("dendritetest: writing %s: %v", s.conf, err)
	}
	s.launch()
	return s
}

// Dir returns the server's temporary folder, which holds its
// configuration, databases and log (dendrite.log).
func (s *Server) Dir() string { return s.dir }

// launch starts the dendrite process and waits until it is ready.
func (s *Server) launch() {
	s.t.Helper()
	logFile, err := os.OpenFile(filepath.Join(s.dir, "dendrite.log"),
		os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatalf("dendritetest: opening the log: %v", err)
	}
	defer func() { _ = logFile.Close() }()

	// The binary is the one BinDir names, and every argument is built here.
	cmd := exec.Command(filepath.Join(s.bin, DendriteBinary), //nolint:gosec // G204, see above
		"-config", s.conf, "-http-bind-address", "127.0.0.1:"+strconv.Itoa(s.Port))
	cmd.Dir = s.dir
	cmd.Env = s.env()
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("dendritetest: starting dendrite: %v", err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	s.waitReady(p)
}

// env is the environment of the server and its tools: no proxy settings
// and nothing from the test's environment beyond PATH.
func (s *Server) env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + s.dir,
		"TMPDIR=" + s.dir,
	}
}

// waitReady polls the versions endpoint until it returns 200, p exits, or
// readyTimeout passes.
func (s *Server) waitReady(p *process) {
	s.t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-p.exited:
			s.t.Fatalf("dendritetest: dendrite exited during start-up (%v); log:\n%s",
				p.err, s.LogTail())
		default:
		}
		if s.answers() {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("dendritetest: dendrite did not respond on %s within %s; log:\n%s",
				s.URL, readyTimeout, s.LogTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Server) answers() bool {
	resp, err := s.http.Get(s.URL + "/_matrix/client/versions")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// LogTail returns the last 8 KiB of the server's log.
func (s *Server) LogTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "dendrite.log"))
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(b) > 8<<10 {
		b = b[len(b)-8<<10:]
	}
	return string(b)
}

// Kill ends the server at once with SIGKILL, as a crash would, and waits
// for the process to exit.
func (s *Server) Kill() {
	s.t.Helper()
	s.signal(syscall.SIGKILL, stopTimeout)
}

// Restart starts the server again with the same port, configuration and
// databases, after Kill or Stop, and waits until it responds.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	running := s.proc != nil
	s.mu.Unlock()
	if running {
		s.t.Fatal("dendritetest: Restart called while the server runs; call Kill first")
	}
	s.launch()
}

// Stop ends the server with SIGTERM, then SIGKILL if it is still running
// after a while. It is safe to call more than once.
func (s *Server) Stop() {
	if !s.signal(syscall.SIGTERM, stopTimeout) {
		s.signal(syscall.SIGKILL, stopTimeout)
	}
	s.http.CloseIdleConnections()
}

// signal sends sig to the running server and waits up to wait for it to
// exit. It reports whether no server is running afterwards.
func (s *Server) signal(sig syscall.Signal, wait time.Duration) bool {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil {
		return true
	}
	// The process leads its own group (Setpgid), so the negative pid
	// reaches it and nothing else.
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	select {
	case <-p.exited:
	case <-time.After(wait):
		return false
	}
	s.mu.Lock()
	if s.proc == p {
		s.proc = nil
	}
	s.mu.Unlock()
	return true
}

// tool runs one of Dendrite's command-line tools with stdin as its input
// and returns its combined output.
func (s *Server) tool(name string, stdin []byte, args ...string) ([]byte, error) {
	// name is one of the binary names above, args are built by the callers.
	cmd := exec.Command(filepath.Join(s.bin, name), args...) //nolint:gosec // G204, see above
	cmd.Dir = s.dir
	cmd.Env = s.env()
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	return cmd.CombinedOutput()
}

// Account is a Matrix account on the test server.
type Account struct {
	// UserID is the full user id, such as @alice:localhost.
	UserID   string
	Password string
	// AccessToken is the token create-account's registration returned.
	AccessToken string
}

// accessTokenPattern finds the token in create-account's log line
// "Created account: alice (AccessToken: ...)".
var accessTokenPattern = regexp.MustCompile(`AccessToken: ([^\s)]+)\)`)

// CreateAccount creates an account with a random password using
// create-account (shared-secret registration over the client API).
func (s *Server) CreateAccount(localpart string) Account {
	s.t.Helper()
	password := randomHex(s.t, 12)
	out, err := s.tool(CreateAccountBinary, []byte(password),
		"-config", s.conf, "-url", s.URL, "-username", localpart, "-passwordstdin")
	if err != nil {
		s.t.Fatalf("dendritetest: create-account %s failed: %v\n%s", localpart, err, out)
	}
	m := accessTokenPattern.FindSubmatch(out)
	if m == nil {
		s.t.Fatalf("dendritetest: create-account %s printed no access token:\n%s", localpart, out)
	}
	return Account{
		UserID:      "@" + localpart + ":" + ServerName,
		Password:    password,
		AccessToken: string(m[1]),
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("dendritetest: finding a free port: %v", err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("dendritetest: reading random bytes: %v", err)
	}
	return hex.EncodeToString(b)
}
