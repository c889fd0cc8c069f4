package hub

import (
	"crypto/tls"
	"net/netip"
	"sync"

	bolt "go.etcd.io/bbolt"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn/wg"
)

// peerChanges are what a committed operation asks of the hub's device.
type peerChanges struct {
	remove []string       // public keys whose peers go (applied first)
	set    []deviceRecord // devices whose peers are added or replaced
}

func (pc peerChanges) empty() bool { return len(pc.remove) == 0 && len(pc.set) == 0 }

// mutate runs fn in one write transaction; when fn changed peers, the
// netmap version advances in the same transaction, the device is updated
// right after the commit, and long-polls wake. A crash between commit and
// device update is harmless: Serve re-adds every live device on start.
func (h *Hub) mutate(fn func(tx *bolt.Tx, pc *peerChanges) error) error {
	h.applyMu.Lock()
	defer h.applyMu.Unlock()
	var pc peerChanges
	var v uint64
	err := h.db.Update(func(tx *bolt.Tx) error {
		pc = peerChanges{}
		if err := fn(tx, &pc); err != nil {
			return err
		}
		if pc.empty() {
			return nil
		}
		var err error
		v, err = bumpVersion(tx)
		return err
	})
	if err != nil {
		return err
	}
	h.applyLocked(pc)
	if v > 0 {
		h.changes.Advance(v)
	}
	return nil
}

// applyLocked mirrors peer changes onto the device. Failures are logged:
// the store already holds the truth and the next start re-applies it.
func (h *Hub) applyLocked(pc peerChanges) {
	if h.dev == nil {
		return
	}
	for _, k := range pc.remove {
		key, err := wgtypes.ParseKey(k)
		if err == nil {
			err = h.dev.RemovePeer(key)
		}
		if err != nil {
			h.log.Error("removing a peer from the hub device", "public_key", k, "err", err)
		}
	}
	for _, d := range pc.set {
		p, err := peerOf(d)
		if err == nil {
			err = h.dev.SetPeer(p)
		}
		if err != nil {
			h.log.Error("adding a peer to the hub device", "device", d.ID, "public_key", d.PublicKey, "err", err)
		}
	}
}

// peerOf is the hub's peer for a device: it dials in, and only its own
// address is routed to it.
func peerOf(d deviceRecord) (wg.Peer, error) {
	key, err := wgtypes.ParseKey(d.PublicKey)
	if err != nil {
		return wg.Peer{}, err
	}
	addr, err := parseAddr(d.Address)
	if err != nil {
		return wg.Peer{}, err
	}
	return wg.Peer{PublicKey: key, AllowedIPs: []netip.Prefix{single(addr)}}, nil
}

// Changes broadcasts the advances of a version (the netmap's; an
// extension's own) to long-polls. The zero value is ready.
type Changes struct {
	mu      sync.Mutex
	version uint64        // guarded by mu; the last committed version
	wake    chan struct{} // guarded by mu; closed when version advances
}

// Current returns the version and a channel closed when it advances.
func (c *Changes) Current() (uint64, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wake == nil {
		c.wake = make(chan struct{})
	}
	return c.version, c.wake
}

// Advance makes v the version, if it is newer, and wakes the waiters.
func (c *Changes) Advance(v uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v <= c.version && c.wake != nil {
		return
	}
	c.version = max(c.version, v)
	if c.wake != nil {
		close(c.wake)
	}
	c.wake = make(chan struct{})
}

func (h *Hub) tlsConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{h.cert}, MinVersion: tls.VersionTLS12}
}
