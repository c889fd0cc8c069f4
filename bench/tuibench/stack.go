package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
)

// member is one container of the stack.
type member struct {
	id, service, name string
}

// target is a container a UI shows, by the label it shows it under.
type target struct {
	label, id string
}

// waitStack waits until the project has exactly n containers, all running
// and none with a health check still starting, so that the idle windows
// see no health transitions; it returns them by service.
func waitStack(ctx context.Context, cli *client.Client, project string, n int) ([]member, error) {
	deadline := time.Now().Add(90 * time.Second)
	for {
		list, err := cli.ContainerList(ctx, container.ListOptions{All: true,
			Filters: filters.NewArgs(filters.Arg("label", "dev.devenv.project="+project))})
		if err != nil {
			return nil, err
		}
		var out []member
		settled := 0
		for _, c := range list {
			out = append(out, member{id: c.ID, service: c.Labels["dev.devenv.service"], name: strings.TrimPrefix(c.Names[0], "/")})
			if c.State == "running" && !strings.Contains(c.Status, "health: starting") {
				settled++
			}
		}
		if len(out) == n && settled == n {
			slices.SortFunc(out, func(a, b member) int { return strings.Compare(a.service, b.service) })
			return out, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("project %s: %d containers, %d running and past their first health check after 90 s; want %d (is the stack up?)",
				project, len(out), settled, n)
		}
		say("waiting for %d running containers of %s past their first health check (%d of %d)", n, project, settled, len(out))
		if err := sleep(ctx, 3*time.Second); err != nil {
			return nil, err
		}
	}
}

// targets are the stack's containers as t shows them: by service in
// devenv, by container name elsewhere.
func (b *bench) targets(t tool) []target {
	out := make([]target, len(b.stack))
	for i, m := range b.stack {
		out[i] = target{label: m.name, id: m.id}
		if t.name == "devenv" {
			out[i].label = m.service
		}
	}
	return out
}

// startUI starts t in a session of its own and waits until its screen shows
// the stack running: all of it for devenv, at least five containers for a
// UI that lists every container of the engine in a panel of its own. It
// returns the session and the targets the screen showed.
func (b *bench) startUI(ctx context.Context, t tool, phase string) (*session, []target, error) {
	env := []string{"NO_COLOR=1", "TERM=xterm-256color"}
	// A peer's config and state stay in the run's directory, out of the
	// user's home: lazydocker reads DIR/config/lazydocker/config.yml
	// (CONFIG_DIR), which bench/tui.sh writes.
	if t.name != "devenv" {
		env = append(env, "XDG_CONFIG_HOME="+b.o.dir+"/config", "CONFIG_DIR="+b.o.dir+"/config/"+t.name)
	}
	s, err := startSession(b.o.socket, t.name+"-"+phase, b.o.dir, b.o.width, b.o.height, env, t.argv)
	if err != nil {
		return nil, nil, err
	}
	all := b.targets(t)
	labels := make([]string, len(all))
	for i, tg := range all {
		labels[i] = tg.label
	}
	want := min(5, len(all))
	if t.name == "devenv" {
		want = len(all)
	}
	say("%s: waiting for the screen to show %d running containers", t.name, want)
	start := time.Now()
	for {
		screen, err := s.capture()
		if err != nil {
			s.kill()
			return nil, nil, err
		}
		if vis := shown(screen, labels, "running"); len(vis) >= want {
			say("%s: showed %d running after %s", t.name, len(vis), time.Since(start).Round(time.Millisecond))
			var out []target
			for _, tg := range all {
				if slices.Contains(vis, tg.label) {
					out = append(out, tg)
				}
			}
			return s, out, nil
		}
		if err := ctx.Err(); err != nil {
			s.kill()
			return nil, nil, err
		}
		if s.dead() {
			s.kill()
			return nil, nil, &stepFailure{what: fmt.Sprintf("%s exited before it showed %d running containers", t.name, want), screen: screen}
		}
		if time.Since(start) > time.Minute {
			s.kill()
			return nil, nil, &stepFailure{what: fmt.Sprintf("%s did not show %d running containers within a minute", t.name, want), screen: screen}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// latencyRun starts t and measures o.changes state changes of up to five
// of the containers its screen shows, spread over the list.
func (b *bench) latencyRun(ctx context.Context, el *eventLog, t tool) ([]sample, int, error) {
	s, vis, err := b.startUI(ctx, t, "latency")
	if err != nil {
		return nil, 0, err
	}
	defer s.kill()
	var picked []target
	for i := range min(5, len(vis)) {
		picked = append(picked, vis[i*len(vis)/min(5, len(vis))])
	}
	say("%s: %d state changes of %d containers", t.name, b.o.changes, len(picked))
	smp, err := latencies(ctx, b.cli, s, el, picked, b.o.changes)
	return smp, len(vis), err
}

// restoreStack starts every container of the stack that a failed latency
// step left stopped, and waits until all of them run again, so that the
// next UI starts from the same stack.
func (b *bench) restoreStack(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	for {
		list, err := b.cli.ContainerList(ctx, container.ListOptions{All: true,
			Filters: filters.NewArgs(filters.Arg("label", "dev.devenv.project="+b.o.project))})
		if err != nil {
			return err
		}
		running := 0
		for _, c := range list {
			switch c.State {
			case "running":
				running++
			case "exited", "created":
				say("restarting %s, which the failed step left %s", strings.TrimPrefix(c.Names[0], "/"), c.State)
				if err := b.cli.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
					return err
				}
			}
		}
		if running == len(b.stack) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after a failed step: %d of %d containers of %s running after a minute", running, len(b.stack), b.o.project)
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
}
