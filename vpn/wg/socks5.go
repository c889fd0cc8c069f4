package wg

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DialFunc connects to addr, e.g. a NetstackDevice's DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// handshakeTimeout bounds a SOCKS5 client's greeting and request.
const handshakeTimeout = 10 * time.Second

// SOCKS5 reply codes (RFC 1928 §6).
const (
	socksSucceeded          = 0x00
	socksGeneralFailure     = 0x01
	socksHostUnreachable    = 0x04
	socksConnectionRefused  = 0x05
	socksCommandUnsupported = 0x07
	socksAddrUnsupported    = 0x08
)

// ServeSOCKS5 serves SOCKS5 on l until ctx ends (then it returns nil) or
// l fails: no authentication, CONNECT only, to IPv4, IPv6 and domain
// addresses, each connection dialled with dial. It closes l, and the
// connections it carries when ctx ends.
func ServeSOCKS5(ctx context.Context, l net.Listener, dial DialFunc) error {
	return serve(ctx, l, func(ctx context.Context, c net.Conn) {
		target, err := socksHandshake(c)
		if err != nil {
			return
		}
		up, err := dial(ctx, "tcp", target)
		if err != nil {
			writeSocksReply(c, dialErrorCode(err), nil)
			return
		}
		defer up.Close()
		if err := writeSocksReply(c, socksSucceeded, up.LocalAddr()); err != nil {
			return
		}
		c.SetDeadline(time.Time{})
		splice(c, up)
	})
}

// Forward accepts connections on l and joins each to target ("ip:port"),
// dialled with dial, until ctx ends (then it returns nil) or l fails.
func Forward(ctx context.Context, l net.Listener, dial DialFunc, target string) error {
	return serve(ctx, l, func(ctx context.Context, c net.Conn) {
		up, err := dial(ctx, "tcp", target)
		if err != nil {
			return
		}
		defer up.Close()
		splice(c, up)
	})
}

// serve runs handle for every connection on l, each closed when handle
// returns or ctx ends.
func serve(ctx context.Context, l net.Listener, handle func(context.Context, net.Conn)) error {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			l.Close()
			return fmt.Errorf("accepting on %s: %w", l.Addr(), err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			stopConn := context.AfterFunc(ctx, func() { c.Close() })
			defer stopConn()
			handle(ctx, c)
		}()
	}
}

// socksHandshake reads the greeting and the request and returns the
// target "host:port". Errors it can tell the client about are answered.
func socksHandshake(c net.Conn) (string, error) {
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return "", err
	}
	if hdr[0] != 5 {
		return "", fmt.Errorf("socks: version %d", hdr[0])
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return "", err
	}
	if !strings.ContainsRune(string(methods), 0) {
		c.Write([]byte{5, 0xff})
		return "", errors.New("socks: client offers no method without authentication")
	}
	if _, err := c.Write([]byte{5, 0}); err != nil {
		return "", err
	}
	var req [4]byte // VER CMD RSV ATYP
	if _, err := io.ReadFull(c, req[:]); err != nil {
		return "", err
	}
	if req[0] != 5 {
		return "", fmt.Errorf("socks: version %d", req[0])
	}
	if req[1] != 1 {
		writeSocksReply(c, socksCommandUnsupported, nil)
		return "", fmt.Errorf("socks: command %d", req[1])
	}
	host, err := readSocksAddr(c, req[3])
	if err != nil {
		writeSocksReply(c, socksAddrUnsupported, nil)
		return "", err
	}
	var port [2]byte
	if _, err := io.ReadFull(c, port[:]); err != nil {
		return "", err
	}
	return net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port[:])))), nil
}

func readSocksAddr(r io.Reader, atyp byte) (string, error) {
	var n int
	switch atyp {
	case 1:
		n = 4
	case 4:
		n = 16
	case 3:
		var l [1]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return "", err
		}
		n = int(l[0])
	default:
		return "", fmt.Errorf("socks: address type %d", atyp)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	if atyp == 3 {
		return string(b), nil
	}
	addr, _ := netip.AddrFromSlice(b)
	return addr.String(), nil
}

// writeSocksReply answers a request; bound is the address the proxy
// connected from, nil when there is none.
func writeSocksReply(w io.Writer, code byte, bound net.Addr) error {
	ap := netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	if a, ok := bound.(*net.TCPAddr); ok && a != nil {
		ap = a.AddrPort()
	} else if bound != nil {
		if p, err := netip.ParseAddrPort(bound.String()); err == nil {
			ap = p
		}
	}
	addr := ap.Addr().Unmap()
	b := []byte{5, code, 0, 1}
	if addr.Is6() {
		b[3] = 4
	}
	b = append(b, addr.AsSlice()...)
	b = binary.BigEndian.AppendUint16(b, ap.Port())
	_, err := w.Write(b)
	return err
}

func dialErrorCode(err error) byte {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "refused"):
		return socksConnectionRefused
	case strings.Contains(msg, "unreachable"), strings.Contains(msg, "timed out"),
		errors.Is(err, context.DeadlineExceeded):
		return socksHostUnreachable
	}
	return socksGeneralFailure
}

// splice copies both ways until both sides are done, passing on half
// closes where the connections support them.
func splice(a, b net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); copyHalf(a, b) }()
	go func() { defer wg.Done(); copyHalf(b, a) }()
	wg.Wait()
}

func copyHalf(dst, src net.Conn) {
	_, err := io.Copy(dst, src)
	if cw, ok := dst.(interface{ CloseWrite() error }); ok && err == nil {
		cw.CloseWrite()
		return
	}
	dst.Close() // an error, or no half close: end both directions
	src.Close()
}
