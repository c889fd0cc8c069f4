package accessview

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/tui/keytest"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// fakeHub is a hub whose lists the test sets; decisions change them as the
// hub would.
type fakeHub struct {
	mu         sync.Mutex
	mine       []hubapi.Request // guarded by mu
	pending    []hubapi.Request // guarded by mu
	targets    []hubapi.Target  // guarded by mu
	err        error            // guarded by mu; every call fails with it when set
	pendingErr error            // guarded by mu; listing pending fails with it
	calls      []string         // guarded by mu
	asks       []Ask            // guarded by mu
}

func (f *fakeHub) call(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return f.err
}

func (f *fakeHub) Requests(_ context.Context, state string) ([]hubapi.Request, error) {
	if err := f.call("requests " + state); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if state == hubclient.RequestsPending {
		return slices.Clone(f.pending), f.pendingErr
	}
	return slices.Clone(f.mine), nil
}

func (f *fakeHub) Targets(context.Context) ([]hubapi.Target, error) {
	if err := f.call("targets"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.targets), nil
}

func (f *fakeHub) Request(_ context.Context, a Ask) (hubapi.Request, error) {
	if err := f.call("request " + a.Target); err != nil {
		return hubapi.Request{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asks = append(f.asks, a)
	r := hubapi.Request{ID: fmt.Sprintf("feed%04d00000000", len(f.asks)), Requester: "ann", Target: a.Target, For: a.For,
		Reason: a.Reason, State: hubapi.StatePending, Created: testClock}
	f.mine = append(f.mine, r)
	return r, nil
}

// decide ends pending request id in a state.
func (f *fakeHub) decide(verb, id string, end func(*hubapi.Request)) (hubapi.Request, error) {
	if err := f.call(verb + " " + id); err != nil {
		return hubapi.Request{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.pending, func(r hubapi.Request) bool { return r.ID == id })
	if i < 0 {
		return hubapi.Request{}, hubclient.ErrNotPending
	}
	r := f.pending[i]
	end(&r)
	f.pending = slices.Delete(f.pending, i, i+1)
	return r, nil
}

func (f *fakeHub) Approve(_ context.Context, req hubapi.ApproveRequest) (hubapi.Request, error) {
	return f.decide("approve", req.ID, func(r *hubapi.Request) {
		r.State, r.Approver, r.Decided, r.NotAfter = hubapi.StateApproved, "bob", testClock, testClock.Add(r.For)
	})
}

func (f *fakeHub) Deny(_ context.Context, req hubapi.DenyRequest) (hubapi.Request, error) {
	return f.decide("deny "+req.Reason, req.ID, func(r *hubapi.Request) {
		r.State, r.Approver, r.Decided, r.DenyReason = hubapi.StateDenied, "bob", testClock, req.Reason
	})
}

func (f *fakeHub) RevokeGrant(_ context.Context, id string) (hubapi.Request, error) {
	if err := f.call("revoke " + id); err != nil {
		return hubapi.Request{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.mine {
		if r.ID == id {
			f.mine[i].State, f.mine[i].Approver, f.mine[i].Decided = hubapi.StateRevoked, "ann", testClock
			return f.mine[i], nil
		}
	}
	return hubapi.Request{}, hubclient.ErrRequestUnknown
}

func (f *fakeHub) set(fn func(f *fakeHub)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeHub) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// testClock is the fixed time of the tests.
var testClock = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// sampleHub is ann's view as an approver: a live grant, a pending request
// and a denied one of hers; erin's request waiting for a decision.
func sampleHub() *fakeHub {
	return &fakeHub{
		mine: []hubapi.Request{
			{ID: "a1b2c3d4e5f60718", Requester: "ann", Target: "orders-api", For: 30 * time.Minute, Reason: "bug 1234: refunds stuck",
				State: hubapi.StateApproved, Created: testClock.Add(-20 * time.Minute), Decided: testClock.Add(-17*time.Minute - 56*time.Second),
				Approver: "bob", NotAfter: testClock.Add(12*time.Minute + 4*time.Second)},
			{ID: "0badc0ffee000001", Requester: "ann", Target: "billing-db", For: time.Hour, Reason: "month-end report",
				State: hubapi.StateDenied, Created: testClock.Add(-3 * time.Hour), Decided: testClock.Add(-170 * time.Minute),
				Approver: "carol", DenyReason: "use the replica in staging"},
			{ID: "5e6f7a8b9c0d1e2f", Requester: "ann", Target: "logs", For: 15 * time.Minute, Reason: "checking the 502s",
				State: hubapi.StatePending, Created: testClock.Add(-2 * time.Minute)},
		},
		pending: []hubapi.Request{
			{ID: "9c0d1e2f3a4b5c6d", Requester: "erin", Target: "prod-db", For: 30 * time.Minute, Reason: "incident 42",
				State: hubapi.StatePending, Created: testClock.Add(-130 * time.Second)},
		},
		targets: []hubapi.Target{
			{Name: "orders-api", Protocol: hubapi.ProtocolHTTP, MaxTTL: time.Hour, Description: "the orders service, read-only"},
			{Name: "prod-db", Protocol: hubapi.ProtocolPostgres, MaxTTL: 2 * time.Hour},
		},
	}
}

// newTestModel is a panel on f with the fixed clock, sized and active,
// after its first read.
func newTestModel(t testing.TB, f *fakeHub, w, h int) Model {
	m := newPanel(t, f)
	m.now = func() time.Time { return testClock }
	m.tick = func(_ time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
		return func() tea.Msg { return fn(testClock) }
	}
	p := m.SetSize(w, h)
	p, _ = p.SetActive(true)
	_, cmd := p.(Model).load(false)
	p, _ = p.Update(cmd())
	return p.(Model)
}

func update(m Model, msg tea.Msg) (Model, tea.Cmd) {
	p, cmd := m.Update(msg)
	return p.(Model), cmd
}

// press passes keys one by one and runs what each returns that is one of
// the panel's calls (not ticks), feeding the results back.
func press(m Model, keys ...string) Model {
	for _, k := range keys {
		var cmd tea.Cmd
		m, cmd = update(m, keytest.Press(k))
		m = settle(m, cmd)
	}
	return m
}

// settle runs a command's calls to the hub and feeds their results back,
// until none is left; ticks are dropped.
func settle(m Model, cmd tea.Cmd) Model {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case listsMsg, doneMsg, targetsMsg:
			var next tea.Cmd
			m, next = update(m, msg)
			queue = append(queue, next)
		}
	}
	return m
}

// newPanel is New(src) as the UI starts it, under the test's context, with
// its first read dropped.
func newPanel(t testing.TB, src Source) Model {
	p, _ := New(src).Init(t.Context())
	return p.(Model)
}
