package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestInclude(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"compose.yaml":    "name: demo\ninclude:\n  - db/compose.yaml\n  - path: [api/a.yaml, api/b.yaml]\n    env_file: api/vars.env\nservices:\n  web:\n    image: nginx\n    depends_on: [db, api]\n",
		"db/compose.yaml": "services:\n  db:\n    image: postgres:${PG}\n    env_file: db.env\n    volumes: ['./init:/docker-entrypoint-initdb.d', 'data:/var/lib/postgresql/data']\n",
		"db/.env":         "PG=16\n",
		"db/db.env":       "POSTGRES_PASSWORD=pw\n",
		"api/a.yaml":      "services:\n  api:\n    image: api:${TAG}\n",
		"api/b.yaml":      "services:\n  api:\n    user: app\n",
		"api/vars.env":    "TAG=7\n",
	})
	p, err := Load(LoadOptions{WorkDir: dir, LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatal(err)
	}
	db := p.Services["db"]
	if db == nil {
		t.Fatalf("included service db missing; have %v", sortedKeys(p.Services))
	}
	if db.Image != "postgres:16" || db.Environment["POSTGRES_PASSWORD"] != "pw" {
		t.Errorf("db: image %q (want postgres:16 from db/.env), environment %v (want db/db.env's)", db.Image, db.Environment)
	}
	want := []Mount{
		{Type: MountBind, Source: filepath.Join(dir, "db/init"), Target: "/docker-entrypoint-initdb.d"},
		{Type: MountVolume, Source: "data", Target: "/var/lib/postgresql/data"},
	}
	if diff := cmp.Diff(want, db.Volumes); diff != "" {
		t.Errorf("db volumes: relative paths should start at db/ (-want +got):\n%s", diff)
	}
	if api := p.Services["api"]; api == nil || api.Image != "api:7" || api.User != "app" {
		t.Errorf("api = %+v, want image api:7 (env_file) and user app (second path merged)", api)
	}
}

func TestIncludeErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{name: "conflicting service", files: map[string]string{
			"compose.yaml": "include: [other.yaml]\nservices:\n  web:\n    image: nginx\n",
			"other.yaml":   "services:\n  web:\n    image: httpd\n",
		}, want: []string{"compose.yaml:1:11: service \"web\" from", "other.yaml (line 2) is also declared in", "compose.yaml at line 3"}},
		{name: "cycle", files: map[string]string{
			"compose.yaml": "include: [a.yaml]\nservices:\n  web:\n    image: nginx\n",
			"a.yaml":       "include:\n  - compose.yaml\nservices:\n  a:\n    image: a\n",
		}, want: []string{"a.yaml:2:5: include cycle: "}},
		{name: "missing file", files: map[string]string{
			"compose.yaml": "include:\n  - path: nope.yaml\nservices:\n  web:\n    image: nginx\n",
		}, want: []string{"compose.yaml:2:5: include: cannot read ", "nope.yaml: no such file or directory"}},
		{name: "error inside the included file", files: map[string]string{
			"compose.yaml": "include: [sub/x.yaml]\nservices:\n  web:\n    image: nginx\n",
			"sub/x.yaml":   "services:\n  x:\n    imag: x\n",
		}, want: []string{"sub/x.yaml:3:5: unknown key \"imag\""}},
		{name: "unknown key", files: map[string]string{
			"compose.yaml": "include:\n  - path: a.yaml\n    project_dir: .\nservices:\n  web:\n    image: nginx\n",
			"a.yaml":       "services: {a: {image: a}}\n",
		}, want: []string{"compose.yaml:3:5: unknown key \"project_dir\" in include entry"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			_, err := Load(LoadOptions{WorkDir: dir, LookupEnv: lookupIn(nil)})
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestExtends(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"compose.yaml": `name: demo
services:
  base:
    image: app:1
    environment: [A=1, B=1]
    command: [serve]
  web:
    extends: base
    environment: {B: '2'}
    command: [serve, --web]
  worker:
    extends: {service: common, file: shared/common.yaml}
    user: w
`,
		"shared/common.yaml": "services:\n  root:\n    image: common:1\n    env_file: common.env\n    volumes: ['./conf:/conf']\n  common:\n    extends: root\n    hostname: c\n",
		"shared/common.env":  "FROM_COMMON=yes\n",
	})
	p, err := Load(LoadOptions{WorkDir: dir, LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatal(err)
	}
	web := p.Services["web"]
	if web.Image != "app:1" || !cmp.Equal(web.Command, []string{"serve", "--web"}) ||
		!cmp.Equal(web.Environment, map[string]string{"A": "1", "B": "2"}) {
		t.Errorf("web = image %q command %q environment %v", web.Image, web.Command, web.Environment)
	}
	w := p.Services["worker"]
	if w.Image != "common:1" || w.User != "w" || w.Hostname != "c" || w.Environment["FROM_COMMON"] != "yes" {
		t.Errorf("worker = %+v", w)
	}
	if len(w.Volumes) != 1 || w.Volumes[0].Source != filepath.Join(dir, "shared/conf") {
		t.Errorf("worker volumes = %+v, want the source relative to shared/", w.Volumes)
	}
}

func TestExtendsErrors(t *testing.T) {
	tests := []struct {
		name, src string
		files     map[string]string
		want      string
	}{
		{name: "cycle", src: "services:\n  a:\n    extends: b\n    image: x\n  b:\n    extends: a\n", want: "envs.yaml:6:14: extends cycle: a (envs.yaml) -> b (envs.yaml) -> a (envs.yaml)"},
		{name: "self", src: "services:\n  a:\n    image: x\n    extends: a\n", want: "envs.yaml:4:14: extends cycle: a (envs.yaml) -> a (envs.yaml)"},
		{name: "unknown service", src: "services:\n  a:\n    image: x\n    extends: {service: nope}\n", want: "envs.yaml:4:14: extends: service \"nope\" is not declared in"},
		{name: "missing file", src: "services:\n  a:\n    extends: {service: b, file: nope.yaml}\n", want: "envs.yaml:3:14: extends: cannot read "},
		{name: "cycle across files", src: "services:\n  a:\n    image: x\n    extends: {service: b, file: other.yaml}\n",
			files: map[string]string{"other.yaml": "services:\n  b:\n    extends: {service: a, file: envs.yaml}\n"}, want: "extends cycle: a (envs.yaml) -> b (other.yaml) -> a (envs.yaml)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"envs.yaml": tt.src}
			for k, v := range tt.files {
				files[k] = v
			}
			dir := writeFiles(t, files)
			_, err := Load(LoadOptions{WorkDir: dir, LookupEnv: lookupIn(nil)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestIncludeProjectDirectory(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"envs.yaml":       "include:\n  - path: inc/x.yaml\n    project_directory: inc/proj\nservices:\n  web:\n    image: nginx\n",
		"inc/x.yaml":      "services:\n  x:\n    image: x:${V}\n    volumes: ['./data:/d']\n",
		"inc/proj/.env":   "V=fromproj\n",
		"inc/proj/keep":   "",
		"inc/.env":        "V=wrong\n",
		"inc/proj/data/k": "",
	})
	p, err := Load(LoadOptions{WorkDir: dir, LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatal(err)
	}
	x := p.Services["x"]
	if x.Image != "x:fromproj" || len(x.Volumes) != 1 || x.Volumes[0].Source != filepath.Join(dir, "inc/proj/data") {
		t.Errorf("x = image %q volumes %+v; want project_directory's .env and paths", x.Image, x.Volumes)
	}
}
