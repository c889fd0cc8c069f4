package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/vpn"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// complete runs cobra's hidden __complete command as a shell would and
// returns the completions offered, without their descriptions.
func complete(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	out, errOut, code := runCLI(t, dir, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %q: exit %d: %s", args, code, errOut)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(l, ":") { // the directive ends the list
			break
		}
		got = append(got, strings.SplitN(l, "\t", 2)[0])
	}
	return got
}

func TestCompleteServicesAndEnvironments(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "envs.yaml", "name: demo\nenvironments:\n  dev: [web]\nservices:\n  web:\n    image: w:1\n  db:\n    image: d:1\n  api:\n    image: a:1\n")
	writeFile(t, dir, "other.yaml", "name: other\nservices:\n  queue:\n    image: q:1\n")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"logs", []string{"logs", ""}, []string{"api", "db", "web"}},
		{"logs leaves out what is named", []string{"logs", "web", ""}, []string{"api", "db"}},
		{"restart", []string{"restart", ""}, []string{"api", "db", "web"}},
		{"pull", []string{"pull", "api", ""}, []string{"db", "web"}},
		{"exec: the service", []string{"exec", ""}, []string{"api", "db", "web"}},
		{"exec: then the command", []string{"exec", "web", ""}, nil},
		{"up: environments", []string{"up", ""}, []string{"default", "dev"}},
		{"up -s: services", []string{"up", "-s", ""}, []string{"api", "db", "web"}},
		{"tui: environments", []string{"tui", ""}, []string{"default", "dev"}},
		{"-f before", []string{"-f", "other.yaml", "stop", ""}, []string{"queue"}},
		{"-f after", []string{"start", "-f", "other.yaml", ""}, []string{"queue"}},
		{"-o", []string{"ps", "-o", ""}, []string{"table", "json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, complete(t, dir, tt.args...)); diff != "" {
				t.Errorf("__complete %q (-want +got):\n%s", tt.args, diff)
			}
		})
	}
	if got := complete(t, t.TempDir(), "logs", ""); got != nil {
		t.Errorf("without an envs.yaml: %q, want nothing", got)
	}
}

func TestCompleteTargetsAndRequests(t *testing.T) {
	h, dir := newAccessHub(t)
	now := time.Now()
	h.requests["r1"] = &hubapi.Request{ID: "r1", Requester: "bob", Target: "api", State: hubapi.StatePending}
	h.requests["r2"] = &hubapi.Request{ID: "r2", Requester: "ann", Target: "db", State: hubapi.StateApproved, NotAfter: now.Add(time.Hour)}
	h.requests["r3"] = &hubapi.Request{ID: "r3", Requester: "ann", Target: "db", State: hubapi.StateApproved, NotAfter: now.Add(-time.Minute)}
	h.requests["r4"] = &hubapi.Request{ID: "r4", Requester: "ann", Target: "api", State: hubapi.StateDenied}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"request: targets", []string{"request", ""}, []string{"api", "db"}},
		{"request: one target", []string{"request", "api", ""}, nil},
		{"approve: pending", []string{"approve", ""}, []string{"r1"}},
		{"deny: pending", []string{"deny", ""}, []string{"r1"}},
		{"revoke: pending or live", []string{"revoke", ""}, []string{"r1", "r2"}},
		{"connect: targets and live grants", []string{"connect", ""}, []string{"api", "db", "r2"}},
		{"audit --target", []string{"audit", "--target", ""}, []string{"api", "db"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := complete(t, t.TempDir(), append([]string{"access", "--state-dir", dir}, tt.args...)...)
			if diff := cmp.Diff(tt.want, sorted(got)); diff != "" {
				t.Errorf("__complete access %q (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

// Without a hub, completion offers nothing (and no error: a shell would
// print it on the command line).
func TestCompleteWithoutTheHub(t *testing.T) {
	dir := t.TempDir()
	st, _ := json.Marshal(vpn.State{HubURL: "https://127.0.0.1:1", Fingerprint: strings.Repeat("ab", 32), Token: "t"})
	if err := os.WriteFile(filepath.Join(dir, "state.json"), st, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"request", ""}, {"approve", ""}, {"connect", ""}} {
		if got := complete(t, t.TempDir(), append([]string{"access", "--state-dir", dir}, args...)...); got != nil {
			t.Errorf("__complete access %q without a hub: %q", args, got)
		}
	}
	if got := complete(t, t.TempDir(), "access", "--state-dir", t.TempDir(), "approve", ""); got != nil {
		t.Errorf("not joined: %q", got)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	slices.Sort(out)
	if len(out) == 0 {
		return nil
	}
	return out
}
