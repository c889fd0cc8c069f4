package config

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const developYAML = `name: shop
services:
  web:
    build: ./web
    develop:
      watch:
        - path: ./web/src
          action: sync
          target: /app/src
          ignore: [node_modules/, "*.tmp"]
          include: "*.js"
          initial_sync: true
        - path: ./web/package.json
          action: rebuild
        - path: ./web/conf
          action: sync+exec
          target: /etc/web
          exec:
            command: kill -HUP 1
            user: root
            privileged: true
            working_dir: /
            environment: {MODE: dev}
        - path: /abs/static
          action: sync+restart
          target: /static
`

func TestDevelopParse(t *testing.T) {
	p, err := Parse("/proj/envs.yaml", []byte(developYAML), LoadOptions{LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatal(err)
	}
	want := &Develop{Watch: []WatchRule{
		{Path: "/proj/web/src", Action: "sync", Target: "/app/src", Ignore: []string{"node_modules/", "*.tmp"}, Include: []string{"*.js"}, InitialSync: true},
		{Path: "/proj/web/package.json", Action: "rebuild"},
		{Path: "/proj/web/conf", Action: "sync+exec", Target: "/etc/web", Exec: &WatchExec{
			Command: []string{"kill", "-HUP", "1"}, User: "root", Privileged: true, WorkingDir: "/", Environment: map[string]string{"MODE": "dev"}}},
		{Path: "/abs/static", Action: "sync+restart", Target: "/static"},
	}}
	if diff := cmp.Diff(want, p.Services["web"].Develop); diff != "" {
		t.Errorf("develop (-want +got):\n%s", diff)
	}
}

func TestDevelopRoundTrip(t *testing.T) {
	p, err := Parse("/proj/envs.yaml", []byte(developYAML), LoadOptions{LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Format()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("/proj/envs.yaml", out, LoadOptions{LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatalf("Format output does not parse: %v\n%s", err, out)
	}
	if diff := cmp.Diff(p.Services["web"].Develop, again.Services["web"].Develop); diff != "" {
		t.Errorf("develop after a round trip (-first +second):\n%s", diff)
	}
	if err := validateYAML(t, compileSchema(t), out); err != nil {
		t.Errorf("schema rejects Format output: %v", err)
	}
}

func TestDevelopErrors(t *testing.T) {
	tests := []struct {
		name, rule, want string
	}{
		{"no path", "{action: sync, target: /app}", "envs.yaml:7:11: service \"web\" develop watch entry has no path"},
		{"no action", "{path: ., target: /app}", "has no action"},
		{"unknown action", "{path: ., action: copy}", "envs.yaml:7:29: service \"web\" develop watch action \"copy\" is unknown"},
		{"sync without target", "{path: ., action: sync}", "needs target"},
		{"relative target", "{path: ., action: sync, target: app}", "must be an absolute path"},
		{"sync+exec without exec", "{path: ., action: sync+exec, target: /a}", "needs exec"},
		{"exec without command", "{path: ., action: sync+exec, target: /a, exec: {user: root}}", "needs command"},
		{"exec on sync", "{path: ., action: sync, target: /a, exec: {command: ls}}", "applies only to action sync+exec"},
		{"unknown key", "{path: ., action: sync, target: /a, targte: /b}", "unknown key \"targte\""},
		{"rebuild without build", "{path: ., action: rebuild}", "needs the service to have build:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			build := "    build: .\n"
			if tt.name == "rebuild without build" {
				build = "    image: web\n"
			}
			yaml := "name: shop\nservices:\n  web:\n" + build + "    develop:\n      watch:\n        - " + tt.rule + "\n"
			_, err := Parse("/proj/envs.yaml", []byte(yaml), LoadOptions{LookupEnv: lookupIn(nil)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDevelopSchemaKeys(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(Schema(), &root); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path []string
		keys []string
	}{
		{[]string{"$defs", "develop"}, developKeys},
		{[]string{"$defs", "develop", "properties", "watch", "items"}, watchKeys},
		{[]string{"$defs", "develop", "properties", "watch", "items", "properties", "exec"}, watchExecKeys},
	} {
		props, _ := schemaAt(t, root, tt.path)["properties"].(map[string]any)
		var got []string
		for k := range props {
			got = append(got, k)
		}
		sort.Strings(got)
		if diff := cmp.Diff(tt.keys, got); diff != "" {
			t.Errorf("%v keys (-parser +schema):\n%s", tt.path, diff)
		}
	}
}

// A watch path in an included file is relative to that file's directory.
func TestDevelopPathInIncludedFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"compose.yaml":     "name: demo\ninclude: [web/compose.yaml]\n",
		"web/compose.yaml": "services:\n  web:\n    build: .\n    develop:\n      watch: [{path: ./src, action: sync, target: /app}, {path: ., action: rebuild}]\n",
	})
	p, err := Load(LoadOptions{WorkDir: dir, LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range p.Services["web"].Develop.Watch {
		got = append(got, r.Path)
	}
	if diff := cmp.Diff([]string{filepath.Join(dir, "web", "src"), filepath.Join(dir, "web")}, got); diff != "" {
		t.Errorf("watch paths (-want +got):\n%s", diff)
	}
}
