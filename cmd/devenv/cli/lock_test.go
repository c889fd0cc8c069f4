package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/images"
)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// lockProject is a project of three services on two images, and its
// envs.lock pinning api:1 to digestA and an image no service uses.
func lockProject(t *testing.T) *config.Project {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "envs.yaml", "name: demo\nservices:\n  api:\n    image: api:1\n  worker:\n    image: api:1\n  db:\n    image: db:1\n")
	p, err := config.Load(config.LoadOptions{File: filepath.Join(dir, "envs.yaml"), WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	old := &images.Lock{Images: map[string]images.Pin{"api:1": {Digest: digestA}, "db:1": {Digest: digestA}, "gone:1": {Digest: digestA}}}
	if err := old.WriteFile(filepath.Join(dir, images.LockFile)); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLockCheckJSON(t *testing.T) {
	p := lockProject(t)
	current := &images.Lock{Images: map[string]images.Pin{"api:1": {Digest: digestB}, "db:1": {Digest: digestA}}}
	var out, errOut bytes.Buffer
	g := &globals{stdout: &out, stderr: &errOut, output: "json"}
	var ec exitCodeError
	if err := checkLock(g, p, current); !errors.As(err, &ec) || int(ec) != ExitLockDrift {
		t.Fatalf("lock --check -o json: %v, want exit %d", err, ExitLockDrift)
	}
	var got lockResult
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("lock --check -o json: %v\n%s", err, out.String())
	}
	want := lockResult{File: filepath.Join(p.Dir, images.LockFile), Current: false, Images: []lockRow{
		{Image: "api:1", Locked: digestA, Now: digestB, Services: []string{"api", "worker"}},
		{Image: "gone:1", Locked: digestA},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lock --check -o json (-want +got):\n%s", diff)
	}

	out.Reset()
	current.Images["api:1"], current.Images["gone:1"] = images.Pin{Digest: digestA}, images.Pin{Digest: digestA}
	if err := checkLock(g, p, current); err != nil {
		t.Fatalf("lock --check -o json of a current lock: %v", err)
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || !got.Current || len(got.Images) != 0 {
		t.Errorf("lock --check -o json of a current lock: %v\n%s", err, out.String())
	}
}

func TestLockWriteJSON(t *testing.T) {
	p := lockProject(t)
	current := &images.Lock{Images: map[string]images.Pin{"api:1": {Digest: digestB}, "db:1": {Digest: digestA}}}
	var out, errOut bytes.Buffer
	if err := writeLock(&globals{stdout: &out, stderr: &errOut, output: "json"}, p, current); err != nil {
		t.Fatal(err)
	}
	var got lockResult
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("lock -o json: %v\n%s", err, out.String())
	}
	want := lockResult{File: filepath.Join(p.Dir, images.LockFile), Current: true, Images: []lockRow{
		{Image: "api:1", Locked: digestB, Now: digestB, Services: []string{"api", "worker"}},
		{Image: "db:1", Locked: digestA, Now: digestA, Services: []string{"db"}},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lock -o json (-want +got):\n%s", diff)
	}
	written, err := images.ReadLock(got.File)
	if err != nil || written.Images["api:1"].Digest != digestB {
		t.Errorf("envs.lock after lock -o json: %+v, %v", written, err)
	}
}

// lock --check names, for each image that moved, the services it changes.
func TestLockCheckNamesTheServices(t *testing.T) {
	p := lockProject(t)
	current := &images.Lock{Images: map[string]images.Pin{"api:1": {Digest: digestB}, "db:1": {Digest: digestA}}}
	var out bytes.Buffer
	err := checkLock(&globals{stdout: &out, stderr: &out, output: "text"}, p, current)
	file := filepath.Join(p.Dir, images.LockFile)
	want := "api:1  locked " + digestA + "  now " + digestB + "  (used by api, worker)\n" +
		"gone:1  locked " + digestA + "  now (none)  (no service uses it now)\n" +
		file + " is out of date; run devenv lock to update it\n"
	var ec exitCodeError
	if diff := cmp.Diff(want, out.String()); diff != "" || !errors.As(err, &ec) {
		t.Errorf("lock --check: %v (-want +got):\n%s", err, diff)
	}
}
