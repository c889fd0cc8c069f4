package cli

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/access/accesshub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// buildDevenv builds the devenv binary: a panic's stack trace and the
// exit status are the process's, which an in-process run cannot show.
func buildDevenv(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "devenv")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/devenv-dev/devenv/cmd/devenv").CombinedOutput(); err != nil {
		t.Fatalf("building devenv: %v\n%s", err, out)
	}
	return bin
}

// runDevenv runs the binary and returns its output and exit status.
func runDevenv(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running devenv %v: %v", args, err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// corruptPageHolding gives the leaf page of a bbolt file that holds want
// a page type bbolt does not know, as a failing disk could. Pages freed by
// earlier commits hold old copies: want must be in the newest only.
func corruptPageHolding(t *testing.T, path, want string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := int(binary.NativeEndian.Uint32(raw[16+8:])) // meta page 0's page size
	found := false
	for off := 2 * ps; off+ps <= len(raw); off += ps {
		const leaf = 0x02
		// Every copy: older ones are free pages that bbolt no longer reads.
		if binary.NativeEndian.Uint16(raw[off+8:]) == leaf && bytes.Contains(raw[off:off+ps], []byte(want)) {
			binary.NativeEndian.PutUint16(raw[off+8:], 0x40) // the page's type
			found = true
		}
	}
	if !found {
		t.Fatalf("no page of %s holds %q", path, want)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestHubBackupAndDoctorThroughTheBinary(t *testing.T) {
	bin := buildDevenv(t)
	data, keep := t.TempDir(), t.TempDir()
	h := runTestHub(t, data)
	gw, err := accesshub.NewAdminClient(data).AddGateway(t.Context(), "prod-eu")
	if err != nil {
		t.Fatal(err)
	}
	reg := hubapi.RegisterTargets{PublicKey: "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=", Endpoint: "gw.example:51821",
		Network: "100.101.0.0/24", Targets: []hubapi.Target{{Name: "orders", Protocol: hubapi.ProtocolHTTP, MaxTTL: time.Hour}}}
	const registrations = 12 // audit records enough for a page of their own
	for range registrations {
		if _, err := h.RegisterTargets(gw.Token, reg); err != nil {
			t.Fatal(err)
		}
	}

	backup := filepath.Join(keep, "hub-backup.db")
	_, errOut, code := runDevenv(t, bin, "hub", "backup", "--state-dir", data, backup)
	if code != 0 || !strings.Contains(errOut, "from the running hub") {
		t.Fatalf("backup while serving: code %d, stderr %q", code, errOut)
	}
	_, errOut, code = runDevenv(t, bin, "hub", "doctor", "--state-dir", data)
	if code != ExitError || !strings.Contains(errOut, "the hub is running") {
		t.Errorf("doctor on the running hub's store: code %d, stderr %q", code, errOut)
	}
	out, errOut, code := runDevenv(t, bin, "hub", "doctor", "--store", backup)
	if code != 0 || !strings.Contains(out, "no damage found") {
		t.Errorf("doctor on the backup: code %d, stdout %q, stderr %q", code, out, errOut)
	}

	h.Close()
	store := filepath.Join(data, "hub.db")
	corruptPageHolding(t, store, fmt.Sprintf(`"seq":%d,`, registrations))
	_, errOut, code = runDevenv(t, bin, "hub", "audit", "verify", "--state-dir", data)
	if code != ExitError || strings.Contains(errOut, "goroutine") || !strings.Contains(errOut, store+" is damaged") ||
		!strings.Contains(errOut, "devenv hub doctor --state-dir "+data) {
		t.Errorf("offline verify of a store with a corrupt page: code %d, stderr:\n%s", code, errOut)
	}
	out, errOut, code = runDevenv(t, bin, "hub", "doctor", "--state-dir", data)
	if code != ExitError || !strings.Contains(out, store+" is damaged:\n  pages: ") || !strings.Contains(errOut, "--repair NEW.db") {
		t.Errorf("doctor on the damaged store: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	repaired := filepath.Join(keep, "repaired.db")
	out, errOut, code = runDevenv(t, bin, "hub", "doctor", "--state-dir", data, "--repair", repaired)
	if code != 0 || !strings.Contains(out, "repaired into "+repaired) || !strings.Contains(out, "lost:\n") ||
		!strings.Contains(out, "audit records were lost") || !strings.Contains(out, "mv "+store+" "+store+".damaged && mv "+repaired+" "+store) {
		t.Errorf("doctor --repair: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, _, code = runDevenv(t, bin, "hub", "doctor", "--store", repaired)
	if code != 0 || !strings.Contains(out, "no damage found") {
		t.Errorf("doctor on the repaired store: code %d, %q", code, out)
	}

	// Restoring the backup brings the audit trail back.
	if err := os.Rename(backup, store); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runDevenv(t, bin, "hub", "audit", "verify", "--state-dir", data)
	if code != 0 || !strings.Contains(out, "audit trail intact: ") {
		t.Errorf("verify after restoring the backup: code %d, stdout %q, stderr %q", code, out, errOut)
	}
}
