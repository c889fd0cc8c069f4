package hub

import (
	"io"
	"net/http"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// Extension is a half of the hub that lives in another package and plugs
// in here; production access (package accesshub) is the one devenv has. A
// hub serves the LAN without any. An extension keeps its records in the
// hub's store (in buckets it declares with RegisterBuckets), chains its
// audit records into the hub's trail (AppendAudit), and serves routes of
// its own on the HTTPS API and the admin socket. Give it in
// Options.Extensions.
type Extension interface {
	// Attach is called once by New, after the store is open and checked
	// and before anything is served; the extension keeps h. An error
	// fails New.
	Attach(h *Hub) error
	// APIRoutes and AdminRoutes add the extension's routes to the HTTPS
	// API and to the admin socket. Wrap handlers with Hub.Handle so that
	// errors answer as the hub's do.
	APIRoutes(mux *http.ServeMux)
	AdminRoutes(mux *http.ServeMux)
	// EndTrust is called inside the transaction that revokes a device or
	// removes a user, so that what that trust allowed ends in the same
	// commit. after, when not nil, runs once the transaction committed.
	EndTrust(tx *bolt.Tx, end TrustEnd) (after func(), err error)
	// WriteMetrics adds the extension's metrics to /metrics.
	WriteMetrics(w io.Writer) error
	// Detach is called by Hub.Close once serving has stopped, before the
	// store closes: the extension stops its timers and goroutines.
	Detach()
}

// TrustEnd says whose trust ended: a device revoked or a user removed.
type TrustEnd struct {
	User   string // the removed user, or the revoked device's user
	Device string // the revoked device's ID; "" when a user was removed
	Why    string // why, for the audit trail
}

// Bucket is a bucket an extension keeps in the hub's store.
type Bucket struct {
	Name []byte
	// Record, when set, returns a new value of the type every value of
	// the bucket parses as (JSON): the hub's start, doctor and backup
	// check each record against it, and a repair drops what fails.
	Record func() any
	// Names, when set, is the bucket whose keys this bucket's values are:
	// a repair drops an entry whose record did not survive.
	Names []byte
}

// registered are the extensions' buckets, in the order registered.
var registered struct {
	sync.Mutex
	buckets []Bucket // guarded by Mutex
}

// RegisterBuckets declares buckets of an extension, from its package's
// init: every hub opened in this process creates them, and the offline
// commands (Doctor, Backup) check and repair them, whether or not the
// extension is given to the hub. Names must not clash with the hub's.
func RegisterBuckets(bs ...Bucket) {
	registered.Lock()
	defer registered.Unlock()
	registered.buckets = append(registered.buckets, bs...)
}

// extensionBuckets lists the registered buckets.
func extensionBuckets() []Bucket {
	registered.Lock()
	defer registered.Unlock()
	return append([]Bucket(nil), registered.buckets...)
}

// trustEnds collects what extensions run once a transaction that ended
// trust commits.
type trustEnds struct{ after []func() }

// endTrustLocked has every extension end what end's trust allowed, in tx.
func (h *Hub) endTrustLocked(tx *bolt.Tx, te *trustEnds, end TrustEnd) error {
	for _, e := range h.opts.Extensions {
		after, err := e.EndTrust(tx, end)
		if err != nil {
			return err
		}
		if after != nil {
			te.after = append(te.after, after)
		}
	}
	return nil
}

// attach attaches the extensions in order; when one fails, those attached
// before it are detached.
func (h *Hub) attach() error {
	for i, e := range h.opts.Extensions {
		if err := e.Attach(h); err != nil {
			for _, done := range h.opts.Extensions[:i] {
				done.Detach()
			}
			return err
		}
	}
	return nil
}

// detach detaches the extensions, the last attached first.
func (h *Hub) detach() {
	for i := len(h.opts.Extensions) - 1; i >= 0; i-- {
		h.opts.Extensions[i].Detach()
	}
}
