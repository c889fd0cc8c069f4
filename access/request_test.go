package access

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

func TestRequestKeepsThePrivateKeyHere(t *testing.T) {
	h, dir := &fakeHub{}, t.TempDir()
	r, err := Request(t.Context(), RequestOptions{Hub: h, Dir: dir, Target: "api", For: time.Minute, Reason: "bug 12"})
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := NewKeyStore(dir)
	key, err := keys.Load(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.sent[0].PublicKey, key.PublicKey().String(); got != want {
		t.Errorf("sent public key %s, want %s", got, want)
	}
	fi, _ := os.Stat(keys.Path(r.ID))
	di, _ := os.Stat(keys.Dir)
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Errorf("key file %v, directory %v; want 0600, 0700", fi.Mode().Perm(), di.Mode().Perm())
	}
	entries, _ := os.ReadDir(keys.Dir)
	if len(entries) != 1 {
		t.Errorf("key store holds %d files, want 1 (no staged leftovers)", len(entries))
	}
	// A second request gets its own key.
	r2, _ := Request(t.Context(), RequestOptions{Hub: h, Dir: dir, Target: "api", For: time.Minute, Reason: "again"})
	if h.sent[1].PublicKey == h.sent[0].PublicKey || r2.ID == r.ID {
		t.Errorf("two requests share a key or an ID: %+v", h.sent)
	}
}

func TestKeyStoreRefusesOpenFilesAndBadIDs(t *testing.T) {
	h, dir := &fakeHub{}, t.TempDir()
	r, _ := Request(t.Context(), RequestOptions{Hub: h, Dir: dir, Target: "api", For: time.Minute, Reason: "x"})
	keys, _ := NewKeyStore(dir)
	if err := os.Chmod(keys.Path(r.ID), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Load(r.ID); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("load of a 0644 key: %v", err)
	}
	for _, id := range []string{"../state", ".hidden", "a/b", ""} {
		if _, err := keys.Load(id); err == nil || errors.Is(err, ErrNoKey) {
			t.Errorf("load %q: %v, want a refusal", id, err)
		}
	}
	if _, err := keys.Load("r9"); !errors.Is(err, ErrNoKey) {
		t.Errorf("load of a missing key: %v", err)
	}
	if err := keys.Remove(r.ID); err != nil || keys.Has(r.ID) {
		t.Errorf("remove: %v", err)
	}
	if err := keys.Remove(r.ID); err != nil {
		t.Errorf("second remove: %v", err)
	}
}

// TestWaitReturnsTheDecision runs in a synctest bubble: the fake hub
// answers at once, so Wait paces itself by waitRetry, and the bubble's
// clock shows that it does, exactly, without the test waiting for it.
func TestWaitReturnsTheDecision(t *testing.T) {
	tests := []struct {
		name    string
		state   string
		keyKept bool
	}{
		{"approved", hubapi.StateApproved, true},
		{"denied", hubapi.StateDenied, false},
		{"lapsed", hubapi.StateLapsed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h, dir := &fakeHub{}, t.TempDir()
				r, _ := Request(t.Context(), RequestOptions{Hub: h, Dir: dir, Target: "api", For: time.Minute, Reason: "x"})
				// The hub decides during the third long-poll.
				var polls []time.Time
				h.onGrant = func(id string, n int) {
					polls = append(polls, time.Now())
					if n == 3 {
						h.set(id, func(r *hubapi.Request) { r.State = tt.state; r.Approver = "bob" })
					}
				}
				got, err := Wait(t.Context(), h, dir, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.State != tt.state || got.Approver != "bob" {
					t.Errorf("wait = %+v", got)
				}
				if len(polls) != 3 || polls[1].Sub(polls[0]) != waitRetry || polls[2].Sub(polls[1]) != waitRetry {
					t.Errorf("polls at %v, want 3 polls %s apart", polls, waitRetry)
				}
				keys, _ := NewKeyStore(dir)
				if keys.Has(r.ID) != tt.keyKept {
					t.Errorf("key kept = %v, want %v", keys.Has(r.ID), tt.keyKept)
				}
			})
		})
	}
}

func TestWaitEndsWithTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, dir := &fakeHub{}, t.TempDir()
		r, _ := Request(t.Context(), RequestOptions{Hub: h, Dir: dir, Target: "api", For: time.Minute, Reason: "x"})
		start := time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
		defer cancel()
		if _, err := Wait(ctx, h, dir, r.ID); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("wait = %v", err)
		}
		if took := time.Since(start); took != 90*time.Second {
			t.Errorf("Wait returned %s after it began, want at its context's deadline (90s)", took)
		}
	})
}

func TestPickGrant(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return now.Add(time.Duration(m) * time.Minute) }
	rs := []hubapi.Request{
		{ID: "a1", Target: "api", State: hubapi.StateApproved, NotAfter: at(10), Created: at(-20)},
		{ID: "a2", Target: "api", State: hubapi.StateApproved, NotAfter: at(30), Created: at(-10)},
		{ID: "a3", Target: "api", State: hubapi.StateApproved, NotAfter: at(60), Created: at(-5)}, // key elsewhere
		{ID: "d1", Target: "db", State: hubapi.StatePending, Created: at(-1)},
		{ID: "d0", Target: "db", State: hubapi.StateApproved, NotAfter: at(-1), Created: at(-30)},
		{ID: "k1", Target: "kv", State: hubapi.StateApproved, NotAfter: at(5), Created: at(-3)},
		{ID: "q1", Target: "queue", State: hubapi.StateDenied, Created: at(-3)},
	}
	hasKey := func(id string) bool { return id != "a3" && id != "k1" }
	tests := []struct{ ref, want, err string }{
		{"api", "a2", ""},
		{"a1", "a1", ""},
		{"db", "", "request d1 for db is still pending"},
		{"d0", "", "your last request for db (d0) is expired"},
		{"kv", "", "grant k1 for kv was requested on another machine"},
		{"queue", "", "your last request for queue (q1) is denied"},
		{"web", "", "you have no request web and none for a target web"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := pickGrant(rs, tt.ref, now, hasKey)
			if tt.err == "" {
				if err != nil || got.ID != tt.want {
					t.Errorf("pick = %s, %v; want %s", got.ID, err, tt.want)
				}
				return
			}
			if !errors.Is(err, ErrNoGrant) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("pick = %s, %v; want an error with %q", got.ID, err, tt.err)
			}
		})
	}
}

func TestNewKeyStoreUnderStateDir(t *testing.T) {
	if ks, _ := NewKeyStore("/x/vpn"); ks.Dir != filepath.Join("/x/vpn", "access") {
		t.Errorf("dir = %s", ks.Dir)
	}
}
