package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// TestVPNJoinReadsTheInviteSafely: the invite comes from standard input or
// a file, so it is in no process's arguments; an argument still works, with
// a note saying why not to.
func TestVPNJoinReadsTheInviteSafely(t *testing.T) {
	h, _ := testHub(t)
	invite := func() string { return h.Invite(t, "ann", hubapi.RoleDeveloper) }
	join := func(stdin string, args ...string) (string, int) {
		var out, errb bytes.Buffer
		code := Run(t.Context(), append([]string{"vpn", "--state-dir", t.TempDir(), "join"}, args...),
			strings.NewReader(stdin), &out, &errb)
		return out.String() + errb.String(), code
	}
	if out, code := join(invite()+"\n", "-", "--name", "from-stdin"); code != 0 || !strings.Contains(out, "joined https://") {
		t.Errorf("join -: exit %d\n%s", code, out)
	}
	file := filepath.Join(t.TempDir(), "invite")
	if err := os.WriteFile(file, []byte(invite()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := join("", "--invite-file", file, "--name", "from-file"); code != 0 || !strings.Contains(out, "joined https://") {
		t.Errorf("join --invite-file: exit %d\n%s", code, out)
	}
	if out, code := join("", invite(), "--name", "from-arg"); code != 0 || !strings.Contains(out, "visible to every user of this machine") {
		t.Errorf("join INVITE: exit %d, want it joined with a note\n%s", code, out)
	}
	for _, tt := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{args: nil, want: "devenv vpn join - reads it from standard input"},
		{args: []string{"-", "--invite-file", file}, want: "give the invite once"},
		{stdin: "  \n", args: []string{"-"}, want: "the invite is empty"},
	} {
		if out, code := join(tt.stdin, tt.args...); code != ExitUsage || !strings.Contains(out, tt.want) {
			t.Errorf("join %q: exit %d, want %d and %q\n%s", tt.args, code, ExitUsage, tt.want, out)
		}
	}
}
