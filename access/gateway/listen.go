package gateway

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/devenv-dev/devenv/access/proxy"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// target is one configured target being served.
type target struct {
	TargetConfig
	addr    netip.AddrPort // its listener on the tunnel
	handler proxy.Handler
	ln      net.Listener
	// sessions counts the connections served, against Limits.Sessions.
	sessions sessionCount
}

// accept serves a target's listener until it is closed.
func (gw *Gateway) accept(t *target) {
	for {
		c, err := t.ln.Accept()
		if err != nil {
			if gw.ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				gw.log.Error("accepting on a target's listener", "target", t.Name, "err", err)
			}
			return
		}
		if !gw.countConn() {
			c.Close() // the gateway is closing
			return
		}
		go func() {
			defer gw.conns.Done()
			gw.serveConn(t, c)
		}()
	}
}

// countConn counts a connection in gw.conns unless the gateway is closing.
// It holds gw.mu, as close does while it cancels gw.ctx, so that no count
// is taken while close waits for the connections.
func (gw *Gateway) countConn() bool {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	if gw.ctx.Err() != nil {
		return false
	}
	gw.conns.Add(1)
	return true
}

// serveConn admits a connection only from the client address of an
// active grant of this very target, and serves it under a context that is
// a child of the grant's: when the grant ends, the connection is closed.
func (gw *Gateway) serveConn(t *target, c net.Conn) {
	client := remoteAddrPort(c)
	a := gw.admit(client.Addr())
	if a != nil {
		defer a.conns.Done()
	}
	if reason := refusal(a, t); reason != "" {
		c.Close()
		rec := hubapi.AuditRecord{Action: "connect", Target: t.Name, Verdict: proxy.Refused,
			Detail: map[string]string{"client": client.Addr().String(), "reason": reason}}
		if a != nil {
			rec.RequestID = a.RequestID
		}
		gw.record(rec)
		gw.log.Warn("refused a connection", "target", t.Name, "client", client, "reason", reason)
		return
	}
	release, limit := t.admitSession(a.ctx, a)
	if limit != "" {
		gw.refuseInProtocol(a, t, c, client, limit)
		return
	}
	defer release()
	ctx, cancel := context.WithCancelCause(a.ctx)
	defer cancel(nil)
	cc := &countingConn{Conn: c}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	start := time.Now()
	gw.record(hubapi.AuditRecord{Action: "connect", Target: t.Name, RequestID: a.RequestID, Verdict: proxy.Allowed,
		Detail: map[string]string{"client": client.String(), "requester": a.Requester}})
	s := proxy.Session{RequestID: a.RequestID, Requester: a.Requester, Target: t.Name, Client: client,
		Record: func(op proxy.Operation) {
			gw.record(hubapi.AuditRecord{Action: "operation", Target: t.Name, RequestID: a.RequestID,
				Verdict: op.Verdict, Detail: op.Detail})
		}}
	err := t.handler.Serve(ctx, cc, s)
	c.Close()
	d := map[string]string{
		"client": client.String(), "duration": time.Since(start).Round(time.Millisecond).String(),
		"bytes_in": strconv.FormatInt(cc.in.Load(), 10), "bytes_out": strconv.FormatInt(cc.out.Load(), 10),
	}
	if cause := context.Cause(a.ctx); cause != nil {
		d["reason"] = cause.Error()
	} else if err != nil {
		d["reason"] = err.Error()
	}
	gw.record(hubapi.AuditRecord{Action: "disconnect", Target: t.Name, RequestID: a.RequestID, Detail: d})
}

// refusalTimeout bounds how long a refused client may take to send what
// its protocol's refusal answers.
const refusalTimeout = 5 * time.Second

// refuseInProtocol turns away a connection that grant a allows but a limit
// does not, in the client's protocol where the handler speaks one, and
// audits it.
func (gw *Gateway) refuseInProtocol(a *activeGrant, t *target, c net.Conn, client netip.AddrPort, reason string) {
	if r, ok := t.handler.(proxy.Refuser); ok {
		ctx, cancel := context.WithTimeout(a.ctx, refusalTimeout)
		r.Refuse(ctx, c, reason)
		cancel()
	}
	c.Close()
	gw.record(hubapi.AuditRecord{Action: "connect", Target: t.Name, RequestID: a.RequestID, Verdict: proxy.Refused,
		Detail: map[string]string{"client": client.String(), "requester": a.Requester, "reason": reason}})
	gw.log.Warn("refused a connection", "target", t.Name, "request", a.RequestID, "reason", reason)
}

// refusal says why a connection to t under grant a (nil: none) is refused.
func refusal(a *activeGrant, t *target) string {
	switch {
	case a == nil:
		return "no active grant for this address"
	case a.Target != t.Name:
		return "the grant is for target " + strconv.Quote(a.Target)
	}
	return ""
}

func remoteAddrPort(c net.Conn) netip.AddrPort {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	return ap
}

// countingConn counts the bytes of a connection: in from the client, out
// to it.
type countingConn struct {
	net.Conn
	in, out atomic.Int64
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.in.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.out.Add(int64(n))
	return n, err
}

// CloseWrite half-closes the connection where the transport can, so that
// relays can pass an end of stream on.
func (c *countingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
