package loopback

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
)

// Listen binds a TCP listener to addr, which must be host:port with a
// loopback IP host such as 127.0.0.1:0.
func Listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q is invalid: %w; use 127.0.0.1:PORT", addr, err)
	}
	if err := checkHost(host); err != nil {
		return nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return ln, nil
}

// ParseURL parses an http URL and checks that its host is a loopback IP
// address.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("URL %q is invalid: %w", raw, err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("URL %q: scheme %q is not supported; use http", raw, u.Scheme)
	}
	if err := checkHost(u.Hostname()); err != nil {
		return nil, fmt.Errorf("URL %q: %w", raw, err)
	}
	return u, nil
}

// checkHost accepts only a literal loopback IP: a host name could resolve
// anywhere.
func checkHost(host string) error {
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: host %q; use 127.0.0.1", ErrNotLoopback, host)
	}
	return nil
}

// WriteAddrFile writes value to path through a temporary file and a
// rename, so that a reader never sees a partial value. An empty path
// writes nothing.
func WriteAddrFile(path, value string) error {
	if path == "" {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".addr-*")
	if err != nil {
		return fmt.Errorf("writing the address file: %w", err)
	}
	_, werr := tmp.WriteString(value)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing the address file %s: %w", path, werr)
	}
	return nil
}
