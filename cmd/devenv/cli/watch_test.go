package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
)

func TestWatchNamesAServiceWithoutDevelop(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "envs.yaml", "name: demo\nservices:\n  db: {image: db:1}\n  web:\n    image: web:1\n    develop: {watch: [{path: ., action: sync, target: /app}]}\n")
	_, errOut, code := runCLI(t, dir, "watch", "db")
	if code == 0 || !strings.Contains(errOut, `service "db" has no develop.watch`) || !strings.Contains(errOut, "web") {
		t.Errorf("watch db: code %d, stderr:\n%s\nwant a failure naming db and web, the service that has develop.watch", code, errOut)
	}
	_, errOut, code = runCLI(t, dir, "up", "--watch", "--dry-run")
	if code != 2 || !strings.Contains(errOut, "--watch cannot go with") {
		t.Errorf("up --watch --dry-run: code %d, stderr:\n%s", code, errOut)
	}
}

func TestWithDevelopWatch(t *testing.T) {
	withWatch := &config.Service{Develop: &config.Develop{Watch: []config.WatchRule{{Path: "/a", Action: "rebuild"}}}}
	p := &config.Project{Services: map[string]*config.Service{
		"web": withWatch, "api": withWatch, "db": {}, "cache": {Develop: &config.Develop{}},
	}}
	got := withDevelopWatch(p, []string{"web", "db", "cache", "api"})
	if diff := cmp.Diff([]string{"api", "web"}, got); diff != "" {
		t.Errorf("withDevelopWatch (-want +got):\n%s", diff)
	}
}

func TestWatchActionJSON(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	writeActionJSON(&buf, env.WatchAction{Time: at, Service: "web", Action: "sync", Target: "/app", Files: 2})
	writeActionJSON(&buf, env.WatchAction{Time: at, Service: "api", Action: "rebuild", Err: errors.New("build failed")})
	want := `{"time":"2026-01-02T03:04:05.000Z","service":"web","action":"sync","target":"/app","files":2}
{"time":"2026-01-02T03:04:05.000Z","service":"api","action":"rebuild","error":"build failed"}
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("JSON lines (-want +got):\n%s", diff)
	}
}
