package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sep is the path list separator COMPOSE_FILE uses here.
const sep = string(filepath.ListSeparator)

func TestFindFiles(t *testing.T) {
	svc := "services: {web: {image: nginx}}\n"
	dir := writeFiles(t, map[string]string{
		"compose/compose.yaml":                 svc,
		"compose/compose.override.yaml":        svc,
		"compose/sub/deeper/keep":              "",
		"both/envs.yaml":                       svc,
		"both/compose.yaml":                    svc,
		"yml/docker-compose.yml":               svc,
		"yml/docker-compose.override.yml":      svc,
		"mixed/compose.yml":                    svc,
		"mixed/compose.override.yaml":          svc,
		"legacy/docker-compose.yaml":           svc,
		"legacy/nested/docker-compose.yml":     svc,
		"legacy/nested/compose.override.yml":   svc, // not docker-compose's override
		"list/a.yaml":                          svc,
		"list/b.yaml":                          svc,
		"list/c.yaml":                          svc,
		"envsover/envs.yaml":                   svc,
		"envsover/envs.override.yaml":          svc,
		"envsover/docker-compose.override.yml": svc,
	})
	tests := []struct {
		name    string
		opts    LoadOptions
		env     map[string]string
		want    []string
		wantErr string
	}{
		{name: "compose.yaml with its override", opts: LoadOptions{WorkDir: filepath.Join(dir, "compose")},
			want: []string{"compose/compose.yaml", "compose/compose.override.yaml"}},
		{name: "upward search", opts: LoadOptions{WorkDir: filepath.Join(dir, "compose/sub/deeper")},
			want: []string{"compose/compose.yaml", "compose/compose.override.yaml"}},
		{name: "envs.yaml first", opts: LoadOptions{WorkDir: filepath.Join(dir, "both")}, want: []string{"both/envs.yaml"}},
		{name: "docker-compose.yml and its override", opts: LoadOptions{WorkDir: filepath.Join(dir, "yml")},
			want: []string{"yml/docker-compose.yml", "yml/docker-compose.override.yml"}},
		{name: "override with the other extension", opts: LoadOptions{WorkDir: filepath.Join(dir, "mixed")},
			want: []string{"mixed/compose.yml", "mixed/compose.override.yaml"}},
		{name: "override must match the name", opts: LoadOptions{WorkDir: filepath.Join(dir, "legacy/nested")},
			want: []string{"legacy/nested/docker-compose.yml"}},
		{name: "envs.override.yaml", opts: LoadOptions{WorkDir: filepath.Join(dir, "envsover")},
			want: []string{"envsover/envs.yaml", "envsover/envs.override.yaml"}},
		{name: "repeated -f in order", opts: LoadOptions{WorkDir: filepath.Join(dir, "list"), FileOptions: FileOptions{Files: []string{"b.yaml", "a.yaml", "c.yaml"}}},
			want: []string{"list/b.yaml", "list/a.yaml", "list/c.yaml"}},
		{name: "COMPOSE_FILE list", opts: LoadOptions{WorkDir: dir}, env: map[string]string{"COMPOSE_FILE": "list/a.yaml" + sep + "list/c.yaml"},
			want: []string{"list/a.yaml", "list/c.yaml"}},
		{name: "COMPOSE_PATH_SEPARATOR", opts: LoadOptions{WorkDir: dir}, env: map[string]string{"COMPOSE_FILE": "list/a.yaml,list/c.yaml", "COMPOSE_PATH_SEPARATOR": ","},
			want: []string{"list/a.yaml", "list/c.yaml"}},
		{name: "DEVENV_FILE beats COMPOSE_FILE", opts: LoadOptions{WorkDir: dir}, env: map[string]string{"COMPOSE_FILE": "list/a.yaml", "DEVENV_FILE": "list/b.yaml"},
			want: []string{"list/b.yaml"}},
		{name: "-f beats COMPOSE_FILE", opts: LoadOptions{WorkDir: dir, FileOptions: FileOptions{Files: []string{"list/c.yaml"}}}, env: map[string]string{"COMPOSE_FILE": "list/a.yaml"},
			want: []string{"list/c.yaml"}},
		{name: "missing in COMPOSE_FILE", opts: LoadOptions{WorkDir: dir}, env: map[string]string{"COMPOSE_FILE": "list/a.yaml" + sep + "list/nope.yaml"},
			wantErr: "nope.yaml (from COMPOSE_FILE) does not exist"},
		{name: "a directory", opts: LoadOptions{WorkDir: dir, FileOptions: FileOptions{Files: []string{"list"}}}, wantErr: "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.LookupEnv = lookupIn(tt.env)
			got, err := FindFiles(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrNoFile) {
					t.Fatalf("err = %v, want ErrNoFile containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, filepath.Join(dir, w))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// The working directory's .env may name the files and the profiles, as
// with Compose.
func TestDotenvSetsComposeVariables(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		".env":       "COMPOSE_FILE=a.yaml" + sep + "b.yaml\nCOMPOSE_PROFILES=debug\nCOMPOSE_PROJECT_NAME=fromdotenv\n",
		"a.yaml":     "services:\n  web:\n    image: nginx\n",
		"b.yaml":     "services:\n  debug:\n    image: busybox\n    profiles: [debug]\n",
		"envs.yaml":  "services:\n  other:\n    image: x\n",
		"other/keep": "",
	})
	p, err := Load(LoadOptions{WorkDir: dir, LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"debug", "web"}, got); diff != "" || p.Name != "fromdotenv" {
		t.Errorf("name %q, services (-want +got):\n%s", p.Name, diff)
	}
	// The process environment wins over .env.
	p, err = Load(LoadOptions{WorkDir: dir, LookupEnv: lookupIn(map[string]string{"COMPOSE_FILE": "envs.yaml"})})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Services["other"]; !ok || len(p.Services) != 1 {
		t.Errorf("services = %v, want only envs.yaml's", sortedKeys(p.Services))
	}
}

// As Compose, a second compose file name in the same directory is
// reported as not read; envs.yaml beside compose.yaml is deliberate.
func TestUnreadCandidatesWarn(t *testing.T) {
	svc := "services: {web: {image: nginx}}\n"
	dir := writeFiles(t, map[string]string{
		"two/compose.yaml":       svc,
		"two/docker-compose.yml": svc,
		"envs/envs.yaml":         svc,
		"envs/compose.yaml":      svc,
	})
	p, err := Load(LoadOptions{WorkDir: filepath.Join(dir, "two"), LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "two/compose.yaml") + ": docker-compose.yml is here too and is not read; remove one of them, or name the files with -f"
	if p.Warnings.Error() != want {
		t.Errorf("warnings = %q, want %q", p.Warnings.Error(), want)
	}
	p, err = Load(LoadOptions{WorkDir: filepath.Join(dir, "envs"), LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 0 {
		t.Errorf("warnings = %v, want none", p.Warnings)
	}
	p, err = Load(LoadOptions{WorkDir: filepath.Join(dir, "two"), LookupEnv: lookupIn(nil), FileOptions: FileOptions{Files: []string{"compose.yaml"}}})
	if err != nil || len(p.Warnings) != 0 {
		t.Errorf("with -f: err %v, warnings %v, want none", err, p.Warnings)
	}
}
