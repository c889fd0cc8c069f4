package accesshub

import (
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/internal/clock"
	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// deadlines runs one timer per pending request (its lapse) and per active
// grant (its expiry). The store holds the deadlines; the timers only
// mirror them and are re-armed from the store when the hub starts.
type deadlines struct {
	clock   clock.Clock // set before the first arm
	mu      sync.Mutex
	timers  map[string]*deadline // guarded by mu; by request id
	stopped bool                 // guarded by mu; no timers after stop
	running sync.WaitGroup       // callbacks in progress
}

type deadline struct{ t clock.Timer }

// arm (re)sets the timer of request id to call fire(id) at at.
func (d *deadlines) arm(id string, at time.Time, fire func(string)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	if d.timers == nil {
		d.timers = map[string]*deadline{}
	}
	if old := d.timers[id]; old != nil {
		old.t.Stop()
	}
	e := &deadline{}
	e.t = d.clock.AfterFunc(at.Sub(d.clock.Now()), func() {
		if d.take(id, e) {
			defer d.running.Done()
			fire(id)
		}
	})
	d.timers[id] = e
}

// take removes e if it is still id's timer and the timers run.
func (d *deadlines) take(id string, e *deadline) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped || d.timers[id] != e {
		return false
	}
	delete(d.timers, id)
	d.running.Add(1)
	return true
}

func (d *deadlines) disarm(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e := d.timers[id]; e != nil {
		e.t.Stop()
		delete(d.timers, id)
	}
}

// stop cancels every timer and waits for callbacks in progress.
func (d *deadlines) stop() {
	d.mu.Lock()
	d.stopped = true
	for id, e := range d.timers {
		e.t.Stop()
		delete(d.timers, id)
	}
	d.mu.Unlock()
	d.running.Wait()
}

// onDeadline lapses a pending request or expires a grant whose time has
// come; a timer that fired early is re-armed.
func (a *Access) onDeadline(id string) {
	var ended string
	err := a.accessUpdate(func(tx *bolt.Tx, fx *accessEffects) error {
		ended = ""
		r, err := getRequest(tx, id)
		if err != nil {
			return err
		}
		at := r.deadline()
		now := a.clock.Now().UTC()
		switch {
		case at.IsZero():
			return nil
		case now.Before(at):
			fx.armAt(id, at)
			return nil
		case r.State == hubapi.StatePending:
			ended = hubapi.StateLapsed
		default:
			ended = hubapi.StateExpired
		}
		return a.endLocked(tx, fx, &r, ended, hub.ActorHub, "", now)
	})
	switch {
	case err != nil:
		a.log.Error("ending an access request at its deadline", "request", id, "err", err)
	case ended != "":
		a.log.Info("access ended at its deadline", "request", id, "state", ended)
	}
}

// startAccess loads the access version and re-arms every deadline kept in
// the store; what fell due while the hub was down ends now, in order.
func (a *Access) startAccess() error {
	if err := a.checkStoredRequests(); err != nil {
		return err
	}
	var due []requestRecord
	arm := map[string]time.Time{}
	err := a.db.View(func(tx *bolt.Tx) error {
		a.accessChanges.Advance(accessVersion(tx))
		all, err := allRequests(tx)
		now := a.clock.Now()
		for _, r := range all {
			switch at := r.deadline(); {
			case at.IsZero():
			case now.Before(at):
				arm[r.ID] = at
			default:
				due = append(due, r)
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	slices.SortFunc(due, func(a, b requestRecord) int { return a.deadline().Compare(b.deadline()) })
	for _, r := range due {
		a.onDeadline(r.ID)
	}
	for id, at := range arm {
		a.deadlines.arm(id, at, a.onDeadline)
	}
	return nil
}
