package loopback

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		ok   bool
	}{
		{"ipv4 loopback", "http://127.0.0.1:8080/v1", true},
		{"other loopback", "http://127.0.0.2:80", true},
		{"ipv6 loopback", "http://[::1]:80", true},
		{"host name", "http://localhost:80", false},
		{"private address", "http://10.0.0.1:80", false},
		{"metadata address", "http://169.254.169.254/", false},
		{"https", "https://127.0.0.1:443", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseURL(tc.raw)
			if tc.ok && err != nil {
				t.Fatalf("ParseURL(%q) = %v, want no error", tc.raw, err)
			}
			if !tc.ok && err == nil {
				t.Fatalf("ParseURL(%q) accepted a non-loopback URL", tc.raw)
			}
		})
	}
}

func TestListenRejectsOtherHosts(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.168.1.1:0", "localhost:0"} {
		ln, err := Listen(addr)
		if err == nil {
			_ = ln.Close()
			t.Fatalf("Listen(%q) bound a non-loopback address", addr)
		}
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("Listen(%q) = %v, want ErrNotLoopback", addr, err)
		}
	}
}

func TestListenLoopback(t *testing.T) {
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := ParseURL("http://" + ln.Addr().String()); err != nil {
		t.Fatalf("bound address is not accepted back: %v", err)
	}
}

func TestWriteAddrFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "addr")
	if err := WriteAddrFile(path, "http://127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "http://127.0.0.1:1" {
		t.Fatalf("address file holds %q", got)
	}
	if err := WriteAddrFile("", "x"); err != nil {
		t.Fatalf("empty path: %v", err)
	}
}
