package vpnview

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/devenv-dev/devenv/tui/keytest"
	"github.com/devenv-dev/devenv/vpn"
)

func TestStates(t *testing.T) {
	stale := upStatus()
	stale.Peers[0].LastHandshake = clock.Add(-5 * time.Minute)
	never := upStatus()
	never.Peers[0].LastHandshake = time.Time{}
	hubDown := upStatus()
	hubDown.HubError = "cannot reach the hub at https://hub.example:8443: connection refused"
	down := upStatus()
	down.Up, down.Peers = false, []vpn.PeerStatus{}
	revoked := down
	revoked.Revoked = true
	tests := []struct {
		name   string
		status vpn.NodeStatus
		err    error
		want   []string
		absent []string
	}{
		{name: "connected", status: upStatus(), want: []string{"● connected on devenv0 (netstack)", "100.100.0.2 on 100.100.0.0/16",
			"https://hub.example:8443 (WireGuard 203.0.113.1:51820)", "netstack on devenv0, network map 7",
			"hub aHViS2V5…  203.0.113.1:51820  12s ago    1.2 MiB  340.0 KiB", "DEVICES (2)", "bob-laptop", "ci-runner    -     100.100.0.4"},
			absent: []string{"not answering"}},
		{name: "stale handshake", status: stale, want: []string{"◌ up, last handshake with the hub 5m00s ago", "5m00s ago"}},
		{name: "no handshake", status: never, want: []string{"◌ up, no handshake with the hub yet", "never"}},
		{name: "hub error", status: hubDown, want: []string{"not answering: cannot reach the hub", "retrying by itself"}},
		{name: "down", status: down, want: []string{"○ down: u or devenv vpn up brings it up", "laptop (ann)"},
			absent: []string{"backend", "PEER"}},
		{name: "revoked", status: revoked, want: []string{"✕ revoked by an admin: devenv vpn leave, then join again"}},
		{name: "not joined", err: vpn.ErrNotJoined, want: []string{"not joined", "next: devenv vpn join - (paste the invite), then devenv vpn up"}},
		{name: "read fails", err: errors.New("permission denied"), want: []string{"cannot read the vpn status: permission denied", "R reads it again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSource{}
			f.set(tt.status, tt.err)
			v := ansi.Strip(newTestModel(t, f, 120, 40).View())
			for _, w := range tt.want {
				if !strings.Contains(v, w) {
					t.Errorf("view lacks %q:\n%s", w, v)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(v, a) {
					t.Errorf("view has %q:\n%s", a, v)
				}
			}
		})
	}
}

// A failed read keeps the last status on screen, says so, and a good read
// clears the failure.
func TestFailedReadKeepsLastStatus(t *testing.T) {
	f := &fakeSource{}
	f.set(upStatus(), nil)
	m := newTestModel(t, f, 100, 30)
	f.set(vpn.NodeStatus{}, errors.New("control socket timed out"))
	m.now = func() time.Time { return clock.Add(14 * time.Second) }
	m, cmd := update(t, m, keytest.Press("R"))
	m, _ = update(t, m, cmd())
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "cannot read the status now (control socket timed out); shown as of 14s ago") ||
		!strings.Contains(v, "bob-laptop") {
		t.Fatalf("after a failed read:\n%s", v)
	}
	f.set(upStatus(), nil)
	m, cmd = update(t, m, keytest.Press("R"))
	m, _ = update(t, m, cmd())
	if v := ansi.Strip(m.View()); strings.Contains(v, "cannot read") {
		t.Fatalf("after a good read:\n%s", v)
	}
}

// The panel reads on a tick only while active, and a tick of an earlier
// activation does nothing.
func TestRefreshOnlyWhileActive(t *testing.T) {
	f := &fakeSource{}
	f.set(upStatus(), nil)
	m := newTestModel(t, f, 80, 24) // active, first read done, its tick scheduled
	p, cmd := m.Update(statusMsg{gen: m.gen, chained: true, status: upStatus()})
	tick := cmd()
	if _, ok := tick.(tickMsg); !ok {
		t.Fatalf("a chained read's result scheduled %T, want a tick", tick)
	}
	p, cmd = p.Update(tick)
	if cmd == nil {
		t.Fatal("a tick while active read nothing")
	}
	if _, ok := cmd().(statusMsg); !ok {
		t.Fatal("the tick's command is not a read")
	}
	p, _ = p.SetActive(false)
	if _, cmd = p.Update(tick); cmd != nil {
		t.Error("a tick while hidden reads")
	}
	if _, cmd = p.Update(statusMsg{gen: m.gen, chained: true, status: upStatus()}); cmd != nil {
		t.Error("a read finishing while hidden schedules a tick")
	}
	p, cmd = p.SetActive(true)
	if cmd == nil {
		t.Fatal("becoming visible reads nothing")
	}
	cmd()
	if _, cmd = p.Update(tick); cmd != nil {
		t.Error("a tick of the earlier activation reads")
	}
	if reads, _, _ := f.counts(); reads != 3 {
		t.Errorf("reads = %d, want 3: the first, the tick's, the one becoming visible", reads)
	}
}

// R reads at once and starts no second chain of ticks; a second R while a
// read is in flight does nothing.
func TestRefreshKey(t *testing.T) {
	f := &fakeSource{}
	f.set(upStatus(), nil)
	m := newTestModel(t, f, 80, 24)
	m, cmd := update(t, m, keytest.Press("R"))
	if cmd == nil {
		t.Fatal("R read nothing")
	}
	if _, again := update(t, m, keytest.Press("R")); again != nil {
		t.Error("R while a read is in flight reads again")
	}
	if _, next := update(t, m, cmd()); next != nil {
		t.Error("R's read scheduled a tick")
	}
}

func TestDownAsksFirst(t *testing.T) {
	f := &fakeSource{}
	f.set(upStatus(), nil)
	m := newTestModel(t, f, 80, 24)
	m, _ = update(t, m, keytest.Press("d"))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "bring the vpn down? the node stops; y confirms, n cancels") {
		t.Fatalf("d asks nothing:\n%s", v)
	}
	m, cmd := update(t, m, keytest.Press("n"))
	if cmd != nil || m.confirm != actionNone {
		t.Fatal("n did not cancel")
	}
	m, _ = update(t, m, keytest.Press("d"))
	m, cmd = update(t, m, keytest.Press("y"))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "vpn down…") {
		t.Errorf("while going down:\n%s", v)
	}
	m, cmd = update(t, m, cmd())
	if _, _, downs := f.counts(); downs != 1 {
		t.Fatalf("downs = %d, want 1", downs)
	}
	m, _ = update(t, m, cmd()) // the read after the action
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "○ down") || !strings.HasSuffix(strings.TrimRight(v, " "), "vpn down") {
		t.Errorf("after down:\n%s", v)
	}
}

func TestUpFailureShown(t *testing.T) {
	f := &fakeSource{upErr: errors.New("the vpn node stopped: creating TUN: operation not permitted")}
	down := upStatus()
	down.Up = false
	f.set(down, nil)
	m := newTestModel(t, f, 120, 24)
	m, _ = update(t, m, keytest.Press("u"))
	m, cmd := update(t, m, keytest.Press("y"))
	m, _ = update(t, m, cmd())
	if v := ansi.Strip(m.View()); !strings.Contains(v, "vpn up failed: the vpn node stopped: creating TUN: operation not permitted") {
		t.Errorf("after a failed up:\n%s", v)
	}
}

// Asking for what is already so, or before any status, asks nothing.
func TestPointlessActionsRefused(t *testing.T) {
	f := &fakeSource{}
	f.set(upStatus(), nil)
	m := newTestModel(t, f, 80, 24)
	if m, _ = update(t, m, keytest.Press("u")); m.confirm != actionNone || !strings.Contains(ansi.Strip(m.View()), "the vpn is already up") {
		t.Errorf("u while up:\n%s", ansi.Strip(m.View()))
	}
	f.set(vpn.NodeStatus{}, errors.New("permission denied"))
	m = newTestModel(t, f, 80, 24)
	if m, _ = update(t, m, keytest.Press("d")); m.confirm != actionNone || !strings.Contains(ansi.Strip(m.View()), "the vpn status is unknown") {
		t.Errorf("d with no status read:\n%s", ansi.Strip(m.View()))
	}
	// Not joined is known, and says what to do.
	f.set(vpn.NodeStatus{}, vpn.ErrNotJoined)
	for _, k := range []string{"u", "d"} {
		m = newTestModel(t, f, 80, 24)
		if m, _ = update(t, m, keytest.Press(k)); m.confirm != actionNone ||
			!strings.Contains(ansi.Strip(m.View()), "has not joined a network yet: devenv vpn join first") {
			t.Errorf("%s while not joined:\n%s", k, ansi.Strip(m.View()))
		}
	}
}

func TestHidingDropsTheQuestion(t *testing.T) {
	f := &fakeSource{}
	f.set(upStatus(), nil)
	m := newTestModel(t, f, 80, 24)
	m, _ = update(t, m, keytest.Press("d"))
	p, _ := m.SetActive(false)
	if p.(Model).confirm != actionNone {
		t.Error("the question outlived the panel being hidden")
	}
}

func TestIgnoresOthersMessages(t *testing.T) {
	f := &fakeSource{}
	f.set(upStatus(), nil)
	m := newTestModel(t, f, 80, 24)
	before := ansi.Strip(m.View())
	for _, msg := range []tea.Msg{struct{}{}, tea.WindowSizeMsg{Width: 10, Height: 3}, fmt.Errorf("x")} {
		p, cmd := m.Update(msg)
		if cmd != nil || ansi.Strip(p.View()) != before {
			t.Errorf("%T changed the panel", msg)
		}
	}
}

// The body scrolls with j and k, no further than its end.
func TestScroll(t *testing.T) {
	s := upStatus()
	for i := range 30 {
		s.Devices = append(s.Devices, vpn.DeviceEntry{Name: fmt.Sprintf("dev-%02d", i), Address: fmt.Sprintf("100.100.1.%d/32", i)})
	}
	f := &fakeSource{}
	f.set(s, nil)
	m := newTestModel(t, f, 80, 24)
	if v := ansi.Strip(m.View()); strings.Contains(v, "dev-29") || !strings.Contains(v, "● connected") {
		t.Fatalf("first page:\n%s", v)
	}
	for range 100 {
		m, _ = update(t, m, keytest.Press("j"))
	}
	v := ansi.Strip(m.View())
	lines := strings.Split(v, "\n")
	if len(lines) != 24 || !strings.HasPrefix(lines[23], "dev-29") {
		t.Fatalf("scrolled to the end, %d lines:\n%s", len(lines), v)
	}
	m, _ = update(t, m, keytest.Press("k"))
	if v := ansi.Strip(m.View()); strings.Contains(v, "dev-29") {
		t.Errorf("k after the end did not scroll back:\n%s", v)
	}
}

func TestViewInColoursIsExactlyItsSize(t *testing.T) {
	hubDown := upStatus()
	hubDown.HubError = strings.Repeat("the hub does not answer ", 10)
	f := &fakeSource{}
	f.set(hubDown, nil)
	m := newTestModel(t, f, 80, 24)
	v := m.View()
	if !strings.Contains(v, "\x1b[") {
		t.Fatalf("no colours in the view:\n%s", v)
	}
	for i, l := range strings.Split(v, "\n") {
		if w := lipgloss.Width(l); w != 80 {
			t.Errorf("line %d is %d wide: %q", i, w, l)
		}
	}
}

func TestViewIsExactlyItsSize(t *testing.T) {
	f := &fakeSource{}
	f.set(upStatus(), nil)
	for _, size := range [][2]int{{80, 24}, {120, 40}, {30, 5}, {200, 3}} {
		m := newTestModel(t, f, size[0], size[1])
		m, _ = update(t, m, keytest.Press("d")) // with the footer
		lines := strings.Split(ansi.Strip(m.View()), "\n")
		if len(lines) != size[1] {
			t.Errorf("%dx%d: %d lines", size[0], size[1], len(lines))
		}
		for i, l := range lines {
			if w := lipgloss.Width(l); w != size[0] {
				t.Errorf("%dx%d: line %d is %d wide: %q", size[0], size[1], i, w, l)
			}
		}
	}
}

func BenchmarkView(b *testing.B) {
	f := &fakeSource{}
	f.set(upStatus(), nil)
	m := newTestModel(b, f, 120, 40)
	for b.Loop() {
		_ = ansi.Strip(m.View())
	}
}
