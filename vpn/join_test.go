package vpn

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

func TestJoinSavesPrivateFilesAndSendsOnlyThePublicKey(t *testing.T) {
	h := newFakeHub(t)
	srv := h.start("")
	dir := filepath.Join(t.TempDir(), "vpn")
	st, err := Join(t.Context(), JoinOptions{Invite: invite(srv, "secret"), Name: "laptop", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if st.Address.String() != "100.100.0.2/32" || st.Token != testToken || st.Name != "laptop" || st.User != "ann" {
		t.Errorf("state = %+v", st)
	}
	for name, want := range map[string]os.FileMode{".": 0o700, keyFile: 0o600, stateFile: 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", name, got, want)
		}
	}
	key, err := loadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if key.PublicKey().String() != st.PublicKey || h.nm.Self.PublicKey != st.PublicKey {
		t.Errorf("hub got public key %s, want %s", h.nm.Self.PublicKey, key.PublicKey())
	}
	// Exercise every call that talks to the hub, then look at all it saw.
	if err := Leave(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	for _, req := range h.requests {
		if strings.Contains(req, key.String()) {
			t.Errorf("the private key was sent to the hub: %s", req)
		}
	}
	if len(h.requests) != 2 {
		t.Errorf("hub saw %q, want enroll and leave", h.requests)
	}
}

func TestLoadKeyRefusesReadableFile(t *testing.T) {
	dir := t.TempDir()
	k, _ := newKey()
	if err := saveKey(dir, k); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, keyFile)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadKey(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("loadKey of a 0644 key: err = %v", err)
	}
}

func TestStateRoundTrip(t *testing.T) {
	h := newFakeHub(t)
	srv := h.start("")
	dir := t.TempDir()
	st, err := Join(t.Context(), JoinOptions{Invite: invite(srv, "s"), Name: "laptop", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, got, cmp.Comparer(func(a, b interface{ String() string }) bool { return a.String() == b.String() })); diff != "" {
		t.Errorf("state (-saved +loaded):\n%s", diff)
	}
	if _, err := Join(t.Context(), JoinOptions{Invite: invite(srv, "s"), Dir: dir}); !errors.Is(err, ErrAlreadyJoined) {
		t.Errorf("second join: err = %v, want ErrAlreadyJoined", err)
	}
	if _, err := LoadState(t.TempDir()); !errors.Is(err, ErrNotJoined) {
		t.Errorf("LoadState of an empty dir: err = %v, want ErrNotJoined", err)
	}
}

func TestJoinErrors(t *testing.T) {
	defer func(r []time.Duration) { enrollRetries = r }(enrollRetries)
	enrollRetries = []time.Duration{time.Millisecond}
	h := newFakeHub(t)
	srv := h.start("")
	gone := newFakeHub(t).start("")
	gone.Close()
	apiErr := func(status int, code string) *hubclient.APIError {
		return &hubclient.APIError{Status: status, Body: hubapi.Error{Code: code, Message: "hub says " + code}}
	}
	tests := []struct {
		name    string
		invite  string
		hubErr  *hubclient.APIError
		wantIs  error
		wantMsg string
	}{
		{"expired", invite(srv, "s"), apiErr(403, "invite_expired"), hubclient.ErrInviteExpired,
			"the invite has expired; ask the hub's admin for a new one"},
		{"used", invite(srv, "s"), apiErr(403, "invite_used"), hubclient.ErrInviteUsed,
			"the invite was already used (each invite works once); ask the hub's admin for a new one"},
		{"forged", invite(srv, "s"), apiErr(403, "invite_unknown"), hubclient.ErrInviteUnknown,
			"the hub does not know this invite (mistyped, revoked or forged); ask the hub's admin for a new one"},
		{"name taken", invite(srv, "s"), apiErr(409, "name_taken"), hubclient.ErrNameTaken,
			`a device named "laptop" is already registered; choose another name with --name`},
		{"full", invite(srv, "s"), apiErr(503, "address_space_full"), hubclient.ErrAddressSpaceFull,
			"the network has no free address left; ask the hub's admin to revoke unused devices"},
		{"other hub error", invite(srv, "s"), apiErr(500, "internal"), nil, "joining: hub: hub says internal"},
		{"wrong fingerprint", hubapi.Invite{HubURL: srv.URL, Fingerprint: strings.Repeat("ab", 32), Secret: "s"}.Encode(),
			nil, hubclient.ErrFingerprint, "joining: " + hubclient.ErrFingerprint.Error()},
		{"unreachable", invite(gone, "s"), nil, hubclient.ErrUnreachable, ""},
		{"not an invite", "hello", nil, hubapi.ErrBadInvite, hubapi.ErrBadInvite.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.mu.Lock()
			h.enrollErr = tt.hubErr
			h.mu.Unlock()
			dir := filepath.Join(t.TempDir(), "vpn")
			_, err := Join(t.Context(), JoinOptions{Invite: tt.invite, Name: "laptop", Dir: dir})
			if err == nil {
				t.Fatal("join succeeded")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.wantIs)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("message:\n got %q\nwant %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message has several lines: %q", err)
			}
			if errors.Is(err, hubclient.ErrUnreachable) {
				// The hub may have enrolled the key: it waits for the
				// same join to run again.
				if names, _ := os.ReadDir(dir); len(names) != 1 || names[0].Name() != pendingFile {
					t.Errorf("join without an answer left %v in %s, want only %s", names, dir, pendingFile)
				}
				return
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("join left %s behind (%v)", dir, err)
			}
		})
	}
}

func TestJoinUndoesRegistrationWhenSavingFails(t *testing.T) {
	h := newFakeHub(t)
	srv := h.start("")
	// A non-empty directory where the key goes makes saving it fail.
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, keyFile, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Join(t.Context(), JoinOptions{Invite: invite(srv, "s"), Name: "laptop", Dir: dir})
	if err == nil {
		t.Fatal("join succeeded without saving its key")
	}
	if _, err := LoadState(dir); !errors.Is(err, ErrNotJoined) {
		t.Errorf("state after a failed join: %v", err)
	}
	if h.leaves != 1 {
		t.Errorf("hub saw %d leaves, want 1: the registration must be undone", h.leaves)
	}
}

func TestLeave(t *testing.T) {
	h := newFakeHub(t)
	srv := h.start("")
	dir := t.TempDir()
	if _, err := Join(t.Context(), JoinOptions{Invite: invite(srv, "s"), Name: "laptop", Dir: dir}); err != nil {
		t.Fatal(err)
	}
	srv.Close() // an unreachable hub: the state stays so that leave can be retried
	if err := Leave(t.Context(), dir); !errors.Is(err, hubclient.ErrUnreachable) {
		t.Fatalf("leave with the hub down: err = %v", err)
	}
	if _, err := LoadState(dir); err != nil {
		t.Errorf("state after a failed leave: %v", err)
	}
	h.start(srv.Listener.Addr().String())
	if err := Leave(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	if h.leaves != 1 {
		t.Errorf("hub saw %d leaves", h.leaves)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("leave left %v", entries)
	}
	if err := Leave(t.Context(), dir); !errors.Is(err, ErrNotJoined) {
		t.Errorf("second leave: err = %v, want ErrNotJoined", err)
	}
}
