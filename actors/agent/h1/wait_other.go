//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package h1

import (
	"errors"
	"net"
	"syscall"
)

// rawConn returns nil, so await keeps the read buffer while it waits on
// systems where this package does not read sockets directly.
func rawConn(net.Conn) syscall.RawConn { return nil }

// readNonblocking is never called, because rawConn returns nil.
func readNonblocking(net.Conn, int, []byte) (int, error) {
	return 0, errors.New("h1: non-blocking reads are not supported on this system")
}
