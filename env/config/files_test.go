package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadMergesFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"compose.yaml": "name: demo\nservices:\n  web:\n    image: nginx:1\n    ports: ['8080:80']\n    environment: [A=1]\n  db:\n    image: postgres\n",
		// An override fragment without image is fine once merged.
		"compose.override.yaml": "services:\n  web:\n    environment: {B: '2'}\n    ports: !reset []\n    volumes: ['./html:/html']\n",
		"sub/third.yaml":        "services:\n  web:\n    image: nginx:2\n",
	})
	p, err := Load(LoadOptions{WorkDir: dir, LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatal(err)
	}
	web := p.Services["web"]
	if diff := cmp.Diff(map[string]string{"A": "1", "B": "2"}, web.Environment); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
	if len(web.Ports) != 0 {
		t.Errorf("ports = %v, want none after !reset", web.Ports)
	}
	// Relative paths in later files resolve against the first file's directory.
	if len(web.Volumes) != 1 || web.Volumes[0].Source != filepath.Join(dir, "html") {
		t.Errorf("volumes = %+v, want %s", web.Volumes, filepath.Join(dir, "html"))
	}
	want := []string{filepath.Join(dir, "compose.yaml"), filepath.Join(dir, "compose.override.yaml")}
	if diff := cmp.Diff(want, p.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}

	p, err = Load(LoadOptions{WorkDir: dir, LookupEnv: lookupIn(nil),
		FileOptions: FileOptions{Files: []string{"compose.yaml", "compose.override.yaml", "sub/third.yaml"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Services["web"].Image; got != "nginx:2" {
		t.Errorf("image = %q, want the third file's nginx:2", got)
	}
}

func TestErrorsPointIntoTheirFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.yaml": "services:\n  web:\n    image: nginx\n",
		"b.yaml": "services:\n  web:\n    restart: sometimes\n    imgae: x\n  cache:\n    user: u\n",
		"c.yaml": "services: [\n",
	})
	_, err := Load(LoadOptions{WorkDir: dir, LookupEnv: lookupIn(nil), FileOptions: FileOptions{Files: []string{"a.yaml", "b.yaml"}}})
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("err = %v, want an ErrorList", err)
	}
	b := filepath.Join(dir, "b.yaml")
	for _, want := range []string{b + ":3:14: service \"web\" restart", b + ":4:5: unknown key \"imgae\"", b + ":5:3: service \"cache\" has no image"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors\n%v\ndo not contain %q", err, want)
		}
	}
	_, err = Load(LoadOptions{WorkDir: dir, LookupEnv: lookupIn(nil), FileOptions: FileOptions{Files: []string{"a.yaml", "c.yaml"}}})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "c.yaml")+":") {
		t.Errorf("err = %v, want a syntax error in c.yaml", err)
	}
}

func TestLoadFromStdin(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": "name: demo\nservices:\n  web:\n    image: nginx\n"})
	p, err := Load(LoadOptions{WorkDir: dir, LookupEnv: lookupIn(nil), FileOptions: FileOptions{
		Files: []string{"a.yaml", "-"}, Stdin: strings.NewReader("services:\n  web:\n    user: me\n")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Services["web"].User; got != "me" {
		t.Errorf("user = %q, want me from standard input", got)
	}
}
