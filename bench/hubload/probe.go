package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/devenv-dev/devenv/internal/netnstest"
)

// errNotReached means no echo request was answered in time.
var errNotReached = errors.New("not reached")

// probeEvery is how often a probe sends an echo request.
const probeEvery = 10 * time.Millisecond

// prober pings from one namespace: its raw ICMP socket was opened there, so
// its packets leave from there whichever thread sends them.
type prober struct {
	conn *net.IPConn
	id   uint16 // echo identifier of the last reach; each reach takes a new one
}

func newProber(h *netnstest.Host) (*prober, error) {
	var c net.PacketConn
	err := h.Do(func() error {
		var err error
		c, err = net.ListenPacket("ip4:icmp", "0.0.0.0")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("opening an ICMP socket in %s: %w", h.Name, err)
	}
	return &prober{conn: c.(*net.IPConn), id: uint16(time.Now().UnixNano())}, nil
}

func (p *prober) close() { p.conn.Close() }

// reach sends an echo request to dst every probeEvery until one is
// answered, and returns when the first answer arrived; errNotReached after
// timeout. Each request is new, so the first that can get through does.
func (p *prober) reach(ctx context.Context, dst netip.Addr, timeout time.Duration) (time.Time, error) {
	p.id++
	id := p.id
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := p.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return time.Time{}, err
	}
	got := make(chan time.Time, 1)
	go func() { got <- p.await(dst, id) }()
	tick := time.NewTicker(probeEvery)
	defer tick.Stop()
	to := &net.IPAddr{IP: dst.AsSlice()}
	for seq := uint16(0); ; seq++ {
		_, _ = p.conn.WriteTo(echoRequest(id, seq), to) // lost ones are what we wait out
		select {
		case at := <-got:
			if at.IsZero() {
				return at, errNotReached
			}
			return at, nil
		case <-ctx.Done():
			_ = p.conn.SetReadDeadline(time.Now()) // end await before the next reach
			<-got
			if ctx.Err() == context.DeadlineExceeded {
				return time.Time{}, errNotReached
			}
			return time.Time{}, context.Cause(ctx)
		case <-tick.C:
		}
	}
}

// await reads until an echo reply with id comes from dst, and returns when
// it arrived; the zero time when the read deadline passed first.
func (p *prober) await(dst netip.Addr, id uint16) time.Time {
	buf := make([]byte, 1500)
	for {
		n, from, err := p.conn.ReadFrom(buf) // the IPv4 header is stripped
		if err != nil {
			return time.Time{}
		}
		at := time.Now()
		ip, ok := from.(*net.IPAddr)
		if !ok || n < 8 || buf[0] != 0 || binary.BigEndian.Uint16(buf[4:]) != id {
			continue
		}
		if src, ok := netip.AddrFromSlice(ip.IP); ok && src.Unmap() == dst {
			return at
		}
	}
}

// echoRequest is an ICMP echo request with a 16-byte payload.
func echoRequest(id, seq uint16) []byte {
	b := make([]byte, 24)
	b[0] = 8 // type: echo request; code 0
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], seq)
	binary.BigEndian.PutUint16(b[2:], checksum(b))
	return b
}

// checksum is the Internet checksum (RFC 1071); raw sockets leave it to us.
func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
