package vpnview

import (
	"context"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/vpn"
)

// fakeSource is a node whose status the test sets.
type fakeSource struct {
	mu             sync.Mutex
	status         vpn.NodeStatus // guarded by mu
	err            error          // guarded by mu; Status fails with it when set
	upErr, downErr error          // guarded by mu
	reads          int            // guarded by mu
	ups, downs     int            // guarded by mu
}

func (f *fakeSource) Status(context.Context) (vpn.NodeStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return f.status, f.err
}

func (f *fakeSource) Up(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ups++
	if f.upErr == nil {
		f.status.Up = true
	}
	return f.upErr
}

func (f *fakeSource) Down(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.downs++
	if f.downErr == nil {
		f.status.Up, f.status.Peers = false, []vpn.PeerStatus{}
	}
	return f.downErr
}

func (f *fakeSource) set(s vpn.NodeStatus, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.err = s, err
}

func (f *fakeSource) counts() (reads, ups, downs int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads, f.ups, f.downs
}

// clock is the fixed time of the tests.
var clock = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// upStatus is a node that is up, with a fresh handshake and two devices.
func upStatus() vpn.NodeStatus {
	return vpn.NodeStatus{
		Up: true, Name: "laptop", User: "ann", Address: "100.100.0.2/32", Network: "100.100.0.0/16",
		PublicKey: "cGVlcktleU9mVGhlTGFwdG9wMDEyMzQ1Njc4OTAxMjM=", Hub: "https://hub.example:8443",
		HubEndpoint: "203.0.113.1:51820", Backend: "netstack", Interface: "devenv0", NetMapVersion: 7,
		Peers: []vpn.PeerStatus{{PublicKey: "aHViS2V5SHViS2V5SHViS2V5SHViS2V5SHViS2V5MDA=", Endpoint: "203.0.113.1:51820",
			AllowedIPs: []string{"100.100.0.0/16"}, LastHandshake: clock.Add(-12 * time.Second),
			RxBytes: 1288490, TxBytes: 348160}},
		Devices: []vpn.DeviceEntry{
			{Name: "bob-laptop", User: "bob", Address: "100.100.0.3/32"},
			{Name: "ci-runner", Address: "100.100.0.4/32"},
		},
	}
}

// newTestModel is a panel on f with the fixed clock, sized and active,
// after its first read.
func newTestModel(t testing.TB, f *fakeSource, w, h int) Model {
	m := newPanel(t, f)
	m.now = func() time.Time { return clock }
	m.every = time.Millisecond
	p := m.SetSize(w, h)
	p, cmd := p.SetActive(true)
	p, _ = p.Update(cmd())
	return p.(Model)
}

// update passes msg and returns the model.
func update(t interface{ Helper() }, m Model, msg tea.Msg) (Model, tea.Cmd) {
	t.Helper()
	p, cmd := m.Update(msg)
	return p.(Model), cmd
}

// newPanel is New(src) as the UI starts it, under the test's context, with
// its first read dropped.
func newPanel(t testing.TB, src Source) Model {
	p, _ := New(src).Init(t.Context())
	return p.(Model)
}
