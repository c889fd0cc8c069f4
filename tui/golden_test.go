package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/tui/keytest"
)

// goldenNow is the fixed clock of the snapshots.
var goldenNow = time.Date(2026, 5, 6, 12, 0, 0, 0, time.UTC)

// goldenRows are a project in every interesting state.
func goldenRows() []env.ServiceStatus {
	return []env.ServiceStatus{
		{Service: "api", Container: "demo-api", ID: "a1a1a1a1a1a1", State: "running", Health: "starting",
			HealthLog: "GET /healthz: connection refused\n", Image: "registry.example/team/api:2.4.1", ImageID: "5d41402abc4b",
			Ports:     []engine.PublishedPort{{HostIP: "0.0.0.0", HostPort: 8080, ContainerPort: 8080, Protocol: "tcp"}},
			StartedAt: goldenNow.Add(-12 * time.Second)},
		{Service: "db", Container: "demo-db", ID: "d2d2d2d2d2d2", State: "running", Health: "healthy",
			Image: "postgres:16", ImageID: "7d793037a076",
			Ports:     []engine.PublishedPort{{HostIP: "127.0.0.1", HostPort: 5432, ContainerPort: 5432, Protocol: "tcp"}},
			StartedAt: goldenNow.Add(-3*time.Hour - 25*time.Minute)},
		{Service: "migrate", Container: "demo-migrate", ID: "e3e3e3e3e3e3", State: "exited", ExitCode: 0,
			Image: "registry.example/team/api:2.4.1", ImageID: "5d41402abc4b"},
		{Service: "worker", Container: "demo-worker", ID: "f4f4f4f4f4f4", State: "exited", ExitCode: 137,
			Image: "registry.example/team/worker:2.4.1", ImageID: "3c59dc048e88"},
		{Service: "mail", State: env.StateNotCreated, Image: "mailhog:1.0"},
	}
}

// goldenModel is the root model on the golden rows, with CPU and memory
// samples and a log of the api.
func goldenModel(t *testing.T) *Model {
	p := parseProject(t, `
name: demo
services:
  api: {image: "registry.example/team/api:2.4.1"}
  db: {image: "postgres:16"}
  migrate: {image: "registry.example/team/api:2.4.1"}
  worker: {image: "registry.example/team/worker:2.4.1"}
  mail: {image: "mailhog:1.0"}
`)
	m := New(t.Context(), Options{Project: p, Engine: newFake(p), Now: func() time.Time { return goldenNow }})
	m.svc.setRows(goldenRows())
	m.svc.stats["a1a1a1a1a1a1"] = &sample{cpu: 12.5, cpuOK: true, memory: 48 << 20}
	m.svc.stats["d2d2d2d2d2d2"] = &sample{cpu: 0.4, cpuOK: true, memory: 1536 << 20}
	m.svc.setWaiting("mail", "for api to be healthy")
	var entries []env.LogEntry
	for i := range 30 {
		entries = append(entries, env.LogEntry{Service: "api", LogLine: engine.LogLine{
			Text: fmt.Sprintf("level=INFO msg=\"handled request\" path=/v1/items/%d status=200", i),
			Time: goldenNow.Add(time.Duration(i) * time.Second).Local(),
		}})
	}
	m.logs.service = "api"
	m.logs.ring().add(entries, m.logs.limit)
	return m
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		w, h int
		keys []string
		msgs []tea.Msg
	}{
		{name: "services_80x24", w: 80, h: 24},
		{name: "services_120x40", w: 120, h: 40},
		{name: "services_selected_api_80x24", w: 80, h: 24, keys: []string{"j", "k"}},
		{name: "full_help_80x24", w: 80, h: 24, keys: []string{"?"}},
		{name: "confirm_restart_80x24", w: 80, h: 24, keys: []string{"j", "r"}},
		{name: "engine_unreachable_80x24", w: 80, h: 24,
			msgs: []tea.Msg{engineDownMsg{err: fmt.Errorf("pinging the engine: %w", engine.ErrUnreachable), retry: 2 * time.Second}}},
		{name: "logs_80x24", w: 80, h: 24, keys: []string{"2"}},
		{name: "logs_timestamps_wrap_120x40", w: 120, h: 40, keys: []string{"2", "t", "w"}},
		{name: "logs_search_80x24", w: 80, h: 24, keys: []string{"2", "/", "1", "7", "enter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := teatest.NewTestModel(t, goldenModel(t), teatest.WithInitialTermSize(tt.w, tt.h))
			for _, msg := range tt.msgs {
				tm.Send(msg)
			}
			for _, k := range tt.keys {
				tm.Send(keytest.Press(k))
			}
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "quit") },
				teatest.WithDuration(15*time.Second))
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			final := tm.FinalModel(t, teatest.WithFinalTimeout(15*time.Second)).(*Model)
			view := final.text()
			if n := strings.Count(view, "\n") + 1; n != tt.h {
				t.Errorf("%d lines, want %d", n, tt.h)
			}
			golden.RequireEqual(t, []byte(view))
		})
	}
}
