//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package h1

import (
	"io"
	"net"
	"os"
	"syscall"
)

// rawConn returns the syscall.RawConn that await waits on, or nil for a
// connection other than *net.TCPConn and *net.UnixConn. Other types may
// wrap a socket and change the bytes their Read returns, so their socket
// is never read directly.
func rawConn(nc net.Conn) syscall.RawConn {
	var sc syscall.Conn
	switch nc := nc.(type) {
	case *net.TCPConn:
		sc = nc
	case *net.UnixConn:
		sc = nc
	default:
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// readNonblocking calls read(2) once on fd, the non-blocking socket of nc,
// and returns what net.Conn.Read would: io.EOF at the end of the stream
// and a *net.OpError for a failure. It returns errWouldBlock when no byte
// is ready.
func readNonblocking(nc net.Conn, fd int, p []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
			return 0, errWouldBlock
		case err != nil:
			return 0, &net.OpError{
				Op: "read", Net: nc.LocalAddr().Network(), Source: nc.LocalAddr(),
				Addr: nc.RemoteAddr(), Err: os.NewSyscallError("read", err),
			}
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}
