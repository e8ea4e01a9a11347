package ircdtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ServerName is the name the test server announces.
const ServerName = "irc.actorgate.test"

// startTimeout bounds how long Start waits for ngircd to report that it
// is ready.
const startTimeout = 20 * time.Second

// Options configures a test server.
type Options struct {
	// TLS adds a TLS listener with a self-signed certificate for
	// 127.0.0.1; Server.RootCAs trusts it.
	TLS bool
	// PingTimeout is the idle time in seconds after which the server sends
	// PING to a client; 0 leaves ngircd's default (120). ngircd rejects
	// values below 5.
	PingTimeout int
}

// Server is one ngircd instance; Kill and Restart keep its ports and
// configuration.
type Server struct {
	t       testing.TB
	dir     string
	conf    string
	binary  string
	Port    int
	TLSPort int
	// RootCAs trusts the TLS listener's certificate; nil without TLS.
	RootCAs *x509.CertPool
	// OperName and OperPassword are an IRC operator's credentials, for
	// tests that KILL a client.
	OperName     string
	OperPassword string

	mu   sync.Mutex
	proc *process
}

// process is one run of ngircd.
type process struct {
	cmd    *exec.Cmd
	output *watchedBuffer
	exited chan struct{}
	err    error
}

// Binary returns the path of ngircd, or "" when it is not installed.
func Binary() string {
	if p := os.Getenv("ACTORGATE_NGIRCD"); p != "" {
		return p
	}
	if p, err := exec.LookPath("ngircd"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/ngircd"); err == nil {
		return "/usr/sbin/ngircd"
	}
	return ""
}

// Start writes a configuration into a temporary folder and starts ngircd
// with it in the foreground. The server is killed when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	binary := Binary()
	if binary == "" {
		if os.Getenv("ACTORGATE_IRC_TESTS") != "" {
			t.Fatal("ngircd not found and ACTORGATE_IRC_TESTS is set: install it " +
				"(apt-get install ngircd) or set ACTORGATE_NGIRCD to its path")
		}
		t.Skip("ngircd not found: install it (apt-get install ngircd) to run the IRC tests")
	}
	s := &Server{
		t: t, dir: t.TempDir(), binary: binary, Port: FreePort(t),
		OperName: "tester", OperPassword: randomHex(t, 12),
	}
	if opts.TLS {
		s.TLSPort = FreePort(t)
		s.RootCAs = writeCertificate(t, s.dir)
	}
	s.conf = filepath.Join(s.dir, "ngircd.conf")
	if err := os.WriteFile(s.conf, []byte(s.config(opts)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(s.dir, "conf.d"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	s.Restart()
	return s
}

func (s *Server) config(opts Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[Global]\n\tName = %s\n\tInfo = actorgate test server\n", ServerName)
	fmt.Fprintf(&b, "\tListen = 127.0.0.1\n\tPorts = %d\n", s.Port)
	fmt.Fprintf(&b, "\tMotdPhrase = \"actorgate test server\"\n")
	fmt.Fprintf(&b, "\tAdminInfo1 = test\n\tAdminInfo2 = test\n\tAdminEMail = test@%s\n", ServerName)
	b.WriteString("[Limits]\n\tMaxConnectionsIP = 0\n\tMaxPenaltyTime = 0\n")
	b.WriteString("\tMaxNickLength = 30\n\tMaxJoins = 0\n")
	if opts.PingTimeout > 0 {
		fmt.Fprintf(&b, "\tPingTimeout = %d\n\tPongTimeout = %d\n", opts.PingTimeout, opts.PingTimeout)
	}
	b.WriteString("[Options]\n\tPAM = no\n\tIdent = no\n\tDNS = no\n")
	fmt.Fprintf(&b, "\tIncludeDir = %s\n", filepath.Join(s.dir, "conf.d"))
	if s.TLSPort != 0 {
		fmt.Fprintf(&b, "[SSL]\n\tCertFile = %s\n\tKeyFile = %s\n\tPorts = %d\n",
			filepath.Join(s.dir, "cert.pem"), filepath.Join(s.dir, "key.pem"), s.TLSPort)
	}
	fmt.Fprintf(&b, "[Operator]\n\tName = %s\n\tPassword = %s\n", s.OperName, s.OperPassword)
	return b.String()
}

// Addr returns the plain listener's address.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// TLSAddr returns the TLS listener's address.
func (s *Server) TLSAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.TLSPort))
}

// Restart starts ngircd again, on the same ports, after Kill. It waits
// until the server reports that it is ready.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.t.Fatal("ircdtest: Restart while the server is running; call Kill first")
	}
	p := &process{output: newWatchedBuffer("ready."), exited: make(chan struct{})}
	// G204: the binary is the ngircd that Binary found, and Start wrote
	// the configuration.
	p.cmd = exec.Command(s.binary, "-n", "-f", s.conf) //nolint:gosec // G204, see above

	p.cmd.Dir = s.dir
	p.cmd.Stdout = p.output
	p.cmd.Stderr = p.output
	if err := p.cmd.Start(); err != nil {
		s.t.Fatalf("ircdtest: starting %s: %v", s.binary, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	s.proc = p

	select {
	case <-p.output.found:
	case <-p.exited:
		s.proc = nil
		s.t.Fatalf("ircdtest: ngircd exited before it was ready (%v):\n%s", p.err, p.output)
	case <-time.After(startTimeout):
		s.t.Fatalf("ircdtest: ngircd not ready after %v:\n%s", startTimeout, p.output)
	}
}

// Kill ends the server with SIGKILL, so that no client gets a goodbye,
// and waits for the process to exit. It is a no-op when the server is not
// running.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	s.proc = nil
}

// Freeze stops the server with SIGSTOP: its sockets stay open but it
// responds to nothing. Thaw continues it.
func (s *Server) Freeze() { s.signal(syscall.SIGSTOP) }

// Thaw continues a frozen server with SIGCONT.
func (s *Server) Thaw() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		s.t.Fatalf("ircdtest: sending %v to a server that is not running", sig)
	}
	if err := s.proc.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("ircdtest: sending %v: %v", sig, err)
	}
}

// Output returns what the current or last ngircd process printed.
func (s *Server) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return ""
	}
	return s.proc.output.String()
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// writeCertificate writes a self-signed ECDSA certificate for 127.0.0.1
// and its key into dir and returns a pool that trusts it.
func writeCertificate(t testing.TB, dir string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: ServerName},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{ServerName},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}

	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}

	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return pool
}

// TLSConfig returns a client configuration that trusts the server.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
}

// watchedBuffer collects a process's output and closes found when a
// marker first appears in it.
type watchedBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	found  chan struct{}
	seen   bool
}

func newWatchedBuffer(marker string) *watchedBuffer {
	return &watchedBuffer{marker: marker, found: make(chan struct{})}
}

func (w *watchedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.seen && strings.Contains(w.buf.String(), w.marker) {
		w.seen = true
		close(w.found)
	}
	return len(p), nil
}

func (w *watchedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
