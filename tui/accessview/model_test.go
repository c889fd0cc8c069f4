package accessview

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/vpn"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

func mustContain(t *testing.T, v string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(v, w) {
			t.Errorf("view lacks %q:\n%s", w, v)
		}
	}
}

func mustLack(t *testing.T, v string, absent ...string) {
	t.Helper()
	for _, a := range absent {
		if strings.Contains(v, a) {
			t.Errorf("view has %q:\n%s", a, v)
		}
	}
}

// at moves the clock of m.
func at(m Model, d time.Duration) Model {
	m.now = func() time.Time { return testClock.Add(d) }
	return m
}

func TestLists(t *testing.T) {
	m := newTestModel(t, sampleHub(), 120, 40)
	v := ansi.Strip(m.View())
	mustContain(t, v, "MY REQUESTS (3)", "TO APPROVE (1)",
		"> 5e6f7a8b  logs        pending   asks 15m     checking the 502s",
		"  a1b2c3d4  orders-api  approved  12m04s left  bug 1234: refunds stuck",
		"  0badc0ff  billing-db  denied    2h50m ago    month-end report",
		"  9c0d1e2f  erin       prod-db  30m   2m10s    incident 42",
		"5e6f7a8b logs · waiting for an approver; x withdraws it · reason: checking the 502s")
	if i, j := strings.Index(v, "orders-api"), strings.Index(v, "billing-db"); i > j {
		t.Error("a live grant is listed after a denied request")
	}
	m = press(m, "j")
	mustContain(t, ansi.Strip(m.View()), "approved by bob until 12:12:04 (12m04s left); devenv access connect orders-api")
	m = press(m, "j")
	mustContain(t, ansi.Strip(m.View()), "denied by carol: use the replica in staging")
	m = press(m, "j", "j", "j") // stops at the last row
	mustContain(t, ansi.Strip(m.View()), "9c0d1e2f: erin asks prod-db for 30m · waiting 2m10s; a approves, d denies with a reason")
}

func TestEmptyLists(t *testing.T) {
	m := newTestModel(t, &fakeHub{}, 80, 24)
	mustContain(t, ansi.Strip(m.View()), "none: n asks for access to a target", "nothing waits for your decision")
}

// A hub that refuses a developer the pending list, or answers it empty:
// no section to approve in the first case, an empty one in the second.
func TestNotAnApprover(t *testing.T) {
	f := sampleHub()
	f.pendingErr = &hubclient.APIError{Status: 403, Body: hubapi.Error{Code: "forbidden",
		Message: "listing others' requests needs the approver or admin role"}}
	m := newTestModel(t, f, 100, 30)
	v := ansi.Strip(m.View())
	mustLack(t, v, "TO APPROVE", "listing others'")
	mustContain(t, v, "MY REQUESTS (3)")
	if m.approver {
		t.Error("approver after the hub refused the pending list")
	}
	m = press(m, "a")
	mustContain(t, ansi.Strip(m.View()), "approving needs the approver role")
	if m.mode != browsing {
		t.Error("a asked something of a non-approver")
	}
}

func TestApprove(t *testing.T) {
	f := sampleHub()
	m := newTestModel(t, f, 100, 30)
	m = press(m, "a")
	mustContain(t, ansi.Strip(m.View()), "a and d decide on a request under TO APPROVE")
	m = press(m, "j", "j", "j", "a")
	mustContain(t, ansi.Strip(m.View()), "approve 9c0d1e2f: erin on prod-db for 30m? y confirms, n cancels")
	m = press(m, "n")
	if m.mode != browsing || len(f.callLog()) != 2 {
		t.Fatalf("n: mode %d, calls %v", m.mode, f.callLog())
	}
	m = press(m, "a", "y")
	v := ansi.Strip(m.View())
	mustContain(t, v, "approved 9c0d1e2f: erin on prod-db until 12:30:00", "TO APPROVE (0)")
	want := []string{"requests mine", "requests pending", "approve 9c0d1e2f3a4b5c6d", "requests mine", "requests pending"}
	if diff := cmp.Diff(want, f.callLog()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestDenyWithAReason(t *testing.T) {
	f := sampleHub()
	m := newTestModel(t, f, 100, 30)
	m = press(m, "j", "j", "j", "d")
	if !m.Capturing() {
		t.Fatal("d: the reason field does not capture keys")
	}
	mustContain(t, ansi.Strip(m.View()), "deny 9c0d1e2f (erin, prod-db), reason: ")
	m = press(m, "enter")
	mustContain(t, ansi.Strip(m.View()), "a reason is required: the requester sees it")
	if m.mode != denying {
		t.Fatal("an empty reason closed the field")
	}
	m = press(m, "not during the freeze", "enter")
	if m.Capturing() {
		t.Error("still capturing after the denial")
	}
	mustContain(t, ansi.Strip(m.View()), "denied 9c0d1e2f: not during the freeze")
	if log := f.callLog(); log[2] != "deny not during the freeze 9c0d1e2f3a4b5c6d" {
		t.Errorf("calls: %v", log)
	}
}

func TestDenyEscCancels(t *testing.T) {
	f := sampleHub()
	m := press(newTestModel(t, f, 100, 30), "j", "j", "j", "d", "typo", "esc")
	if m.Capturing() || len(f.callLog()) != 2 {
		t.Errorf("esc: capturing %v, calls %v", m.Capturing(), f.callLog())
	}
}

// A failed denial keeps the field and what was typed in it.
func TestDenyFailureKeepsTheReason(t *testing.T) {
	f := sampleHub()
	m := press(newTestModel(t, f, 120, 30), "j", "j", "j", "d", "not now")
	f.set(func(f *fakeHub) {
		f.err = &hubclient.UnreachableError{URL: "https://hub:8443", Err: errors.New("connection refused")}
	})
	m = press(m, "enter")
	if m.mode != denying || m.reason.Value() != "not now" {
		t.Fatalf("after a failed denial: mode %d, reason %q", m.mode, m.reason.Value())
	}
	mustContain(t, ansi.Strip(m.View()), "denying 9c0d1e2f: cannot reach the hub at https://hub:8443: connection refused")
	f.set(func(f *fakeHub) { f.err = nil })
	m = press(m, "enter")
	mustContain(t, ansi.Strip(m.View()), "denied 9c0d1e2f: not now")
}

func TestRevoke(t *testing.T) {
	f := sampleHub()
	m := press(newTestModel(t, f, 100, 30), "j", "j", "x")
	mustContain(t, ansi.Strip(m.View()), "x withdraws a pending request of yours or cuts a grant of yours")
	m = press(m, "k", "x")
	mustContain(t, ansi.Strip(m.View()), "cut grant a1b2c3d4 (orders-api) now? y confirms, n cancels")
	m = press(m, "y")
	mustContain(t, ansi.Strip(m.View()), "a1b2c3d4 (orders-api) is revoked now", "revoked by ann at 12:00:00")
	m = press(m, "k", "x")
	mustContain(t, ansi.Strip(m.View()), "withdraw request 5e6f7a8b (logs)? y confirms, n cancels")
}

func TestRequestForm(t *testing.T) {
	f := sampleHub()
	m := press(newTestModel(t, f, 100, 30), "n")
	if !m.Capturing() {
		t.Fatal("the form does not capture keys")
	}
	mustContain(t, ansi.Strip(m.View()), "REQUEST ACCESS", "> target  ‹ orders-api ›  http, at most 1h · 1 of 2", "the orders service, read-only", "for     30m")
	m = press(m, "right")
	mustContain(t, ansi.Strip(m.View()), "‹ prod-db ›  postgres, at most 2h · 2 of 2")
	m = press(m, "enter", "incident 42", "enter", "backspace", "backspace", "backspace", "45m", "enter")
	if diff := cmp.Diff([]Ask{{Target: "prod-db", For: 45 * time.Minute, Reason: "incident 42"}}, f.asks); diff != "" {
		t.Errorf("asked (-want +got):\n%s", diff)
	}
	if m.Capturing() {
		t.Error("still capturing after sending")
	}
	v := ansi.Strip(m.View())
	mustContain(t, v, "request feed0001 for prod-db: pending; an approver decides", "MY REQUESTS (4)", "> feed0001  prod-db")
}

func TestRequestFormChecks(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want string
	}{
		{"no reason", []string{"enter", "enter", "enter"}, "a reason is required: approvers and the audit trail see it"},
		{"too long", []string{"tab", "x", "tab", "backspace", "backspace", "backspace", "2h", "enter"}, "orders-api allows at most 1h"},
		{"not a duration", []string{"tab", "x", "tab", "backspace", "soon", "enter"}, `for "30soon": want a positive duration, e.g. 30m`},
		{"esc", []string{"esc"}, "MY REQUESTS (3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := sampleHub()
			m := press(newTestModel(t, f, 100, 30), append([]string{"n"}, tt.keys...)...)
			mustContain(t, ansi.Strip(m.View()), tt.want)
			if len(f.asks) != 0 {
				t.Errorf("asked %v", f.asks)
			}
		})
	}
}

// The hub's refusal keeps the form as it was, with the reason.
func TestRequestFormHubRefuses(t *testing.T) {
	f := sampleHub()
	m := press(newTestModel(t, f, 100, 30), "n", "tab", "bug 1")
	f.set(func(f *fakeHub) {
		f.err = &hubclient.APIError{Status: 400, Body: hubapi.Error{Code: "too_long", Message: "orders-api allows at most 1h"}}
	})
	m = press(m, "enter", "enter")
	if m.mode != requesting || m.form.reason.Value() != "bug 1" {
		t.Fatalf("mode %d, reason %q", m.mode, m.form.reason.Value())
	}
	mustContain(t, ansi.Strip(m.View()), "hub: orders-api allows at most 1h")
}

// While the hub does not answer the lists stay, the panel says so in
// place, and the next good read clears it.
func TestHubUnreachableKeepsTheLists(t *testing.T) {
	f := sampleHub()
	m := newTestModel(t, f, 120, 30)
	f.set(func(f *fakeHub) {
		f.err = &hubclient.UnreachableError{URL: "https://hub:8443", Err: errors.New("connection refused")}
	})
	m = press(at(m, 14*time.Second), "R")
	v := ansi.Strip(m.View())
	mustContain(t, v, "hub unreachable (lists as of 14s ago; retrying by itself): cannot reach the hub at https://hub:8443",
		"orders-api  approved  11m50s left", "TO APPROVE (1)")
	m = at(m, 20*time.Second)
	mustContain(t, ansi.Strip(m.View()), "lists as of 20s ago")
	f.set(func(f *fakeHub) { f.err = nil })
	m = press(m, "R")
	mustLack(t, ansi.Strip(m.View()), "unreachable")
}

func TestFirstReadFails(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"not joined", vpn.ErrNotJoined, []string{"not joined: access works as the device this machine joined with", "next: devenv vpn join - (paste the invite)"}},
		{"unreachable", &hubclient.UnreachableError{URL: "https://hub:8443", Err: errors.New("i/o timeout")},
			[]string{"hub unreachable (retrying by itself): cannot reach the hub at https://hub:8443: i/o timeout"}},
		{"other", errors.New("an admin revoked this device"), []string{"cannot read the access requests (retrying by itself): an admin revoked this device"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, &fakeHub{err: tt.err}, 100, 24)
			mustContain(t, ansi.Strip(m.View()), tt.want...)
			mustLack(t, ansi.Strip(m.View()), "MY REQUESTS")
		})
	}
}

// The selection stays on its request when the lists change around it.
func TestSelectionFollowsTheRequest(t *testing.T) {
	f := sampleHub()
	m := press(newTestModel(t, f, 100, 30), "j", "j", "j")
	f.set(func(f *fakeHub) {
		f.mine = append(f.mine, hubapi.Request{ID: "1111111111111111", Target: "logs", State: hubapi.StatePending, Created: testClock})
	})
	m = press(m, "R")
	if r, mine, _ := m.selected(); mine || r.Requester != "erin" {
		t.Errorf("selected %+v after a read", r)
	}
}

func TestScrollFollowsTheSelection(t *testing.T) {
	f := sampleHub()
	for i := range 30 {
		f.mine = append(f.mine, hubapi.Request{ID: strings.Repeat(string(rune('a'+i%26)), 16), Target: "t", State: hubapi.StateExpired,
			Created: testClock.Add(-time.Duration(i+10) * time.Hour), NotAfter: testClock.Add(-time.Duration(i+9) * time.Hour)})
	}
	m := newTestModel(t, f, 80, 24)
	mustLack(t, ansi.Strip(m.View()), "erin")
	for range 40 {
		m = press(m, "j")
	}
	v := ansi.Strip(m.View())
	mustContain(t, v, "> 9c0d1e2f  erin")
	if n := strings.Count(v, "\n") + 1; n != 24 {
		t.Errorf("%d lines", n)
	}
}

func TestViewInColoursIsExactlyItsSize(t *testing.T) {
	for _, keys := range [][]string{nil, {"n"}, {"j", "j", "j", "d", "why"}} {
		m := press(newTestModel(t, sampleHub(), 80, 24), keys...)
		v := m.View()
		if !strings.Contains(v, "\x1b[") {
			t.Fatalf("%v: no colours in the view:\n%s", keys, v)
		}
		for i, l := range strings.Split(v, "\n") {
			if w := lipgloss.Width(l); w != 80 {
				t.Errorf("%v: line %d is %d wide: %q", keys, i, w, l)
			}
		}
	}
}

func TestViewIsExactlyItsSize(t *testing.T) {
	for _, keys := range [][]string{nil, {"n"}, {"j", "j", "j", "d"}} {
		for _, size := range [][2]int{{80, 24}, {120, 40}, {40, 6}, {200, 3}} {
			m := press(newTestModel(t, sampleHub(), size[0], size[1]), keys...)
			lines := strings.Split(ansi.Strip(m.View()), "\n")
			if len(lines) != size[1] {
				t.Errorf("%v %dx%d: %d lines", keys, size[0], size[1], len(lines))
			}
			for i, l := range lines {
				if w := lipgloss.Width(l); w != size[0] {
					t.Errorf("%v %dx%d: line %d is %d wide: %q", keys, size[0], size[1], i, w, l)
				}
			}
		}
	}
}

func TestIgnoresOthersMessages(t *testing.T) {
	m := newTestModel(t, sampleHub(), 80, 24)
	before := ansi.Strip(m.View())
	for _, msg := range []tea.Msg{struct{}{}, tea.WindowSizeMsg{Width: 10, Height: 3}, errors.New("x")} {
		p, cmd := m.Update(msg)
		if cmd != nil || ansi.Strip(p.View()) != before {
			t.Errorf("%T changed the panel", msg)
		}
	}
}

func BenchmarkView(b *testing.B) {
	m := newTestModel(b, sampleHub(), 120, 40)
	for b.Loop() {
		_ = ansi.Strip(m.View())
	}
}
