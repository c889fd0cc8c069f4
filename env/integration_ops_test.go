package env_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/internal/testutil"
)

const single = `
name: NAME
services:
  app:
    image: IMAGE
    command: ["-heartbeat", "100ms"]
    healthcheck: {test: ["CMD", "/app", "health"], interval: 30s, timeout: 2s, retries: 3}
`

func TestEarlyProbeBeatsTheHealthInterval(t *testing.T) {
	eng := dockerEngine(t)
	p := project(t, eng, strings.Replace(single, "-heartbeat", "-ready-after", 1))
	start := time.Now()
	if _, err := env.Up(t.Context(), eng, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	// The engine's first check would come after the 30 s interval.
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("up took %s with a 30 s health interval; readiness must be seen early", took)
	}
}

func TestLogsFollowAcrossRestartAndExec(t *testing.T) {
	eng := dockerEngine(t)
	p := project(t, eng, single)
	if _, err := env.Up(t.Context(), eng, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var mu sync.Mutex
	var lines []env.LogEntry
	done := make(chan error, 1)
	go func() {
		done <- env.Logs(ctx, eng, p, env.LogsOptions{Follow: true, Tail: "0"}, func(e env.LogEntry) {
			mu.Lock()
			lines = append(lines, e)
			mu.Unlock()
		})
	}()
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(lines)
	}
	testutil.Eventually(t, "log lines before the restart", func() bool { return count() > 0 })
	if err := env.Restart(t.Context(), eng, p, env.LifecycleOptions{Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	// The restarted process logs "msg=start" again; following must see it.
	testutil.Eventually(t, "the restarted process's first line", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, l := range lines {
			if strings.Contains(l.Text, "msg=start") && l.Service == "app" {
				return true
			}
		}
		return false
	})
	cancel()
	<-done

	var out bytes.Buffer
	code, err := env.Exec(t.Context(), eng, p, env.ExecOptions{Service: "app", Cmd: []string{"/app", "health"}, Stdout: &out, Stderr: &out})
	if err != nil || code != 0 {
		t.Errorf("exec health: code %d err %v output %q", code, err, out.String())
	}
	code, err = env.Exec(t.Context(), eng, p, env.ExecOptions{Service: "app", Cmd: []string{"/app", "health", "http://127.0.0.1:1/"}, Stdout: &out, Stderr: &out})
	if err != nil || code != 1 {
		t.Errorf("exec failing health: code %d err %v, want exit code 1", code, err)
	}
}

func TestStopStart(t *testing.T) {
	eng := dockerEngine(t)
	p := project(t, eng, single)
	if _, err := env.Up(t.Context(), eng, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		rows, err := env.Ps(t.Context(), eng, p)
		if err != nil || len(rows) != 1 {
			t.Fatalf("ps: %v %v", rows, err)
		}
		return rows[0].State
	}
	if err := env.Stop(t.Context(), eng, p, env.LifecycleOptions{Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	if s := state(); s != "exited" {
		t.Errorf("after stop: %s", s)
	}
	if err := env.Start(t.Context(), eng, p, env.LifecycleOptions{Services: []string{"app"}}); err != nil {
		t.Fatal(err)
	}
	if s := state(); s != "running" {
		t.Errorf("after start: %s", s)
	}
	if err := env.Stop(t.Context(), eng, p, env.LifecycleOptions{Services: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("stop of an unknown service: %v", err)
	}
}
