package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/testutil"
)

// TestDockerLifecycle drives one service through everything env does with
// it: network, volume, create, start until healthy, exec, logs, stop, remove.
func TestDockerLifecycle(t *testing.T) {
	d, project := integration(t)
	ctx := t.Context()
	netName, volName := project+"-net", project+"_data"
	netID, err := d.NetworkCreate(ctx, NetworkSpec{Name: netName, Labels: labels(project, "")})
	must(t, err)
	must(t, d.VolumeCreate(ctx, VolumeSpec{Name: volName, Labels: labels(project, "")}))
	events, _ := d.Events(ctx, project)

	spec := ContainerSpec{
		Name:        project + "-web",
		Image:       testImage,
		Env:         []string{"TESTSVC_HEARTBEAT=100ms"},
		Labels:      labels(project, "web"),
		Ports:       []PublishedPort{{HostIP: "127.0.0.1", ContainerPort: 8080}},
		Mounts:      []MountSpec{{Type: "volume", Source: volName, Target: "/data"}},
		Healthcheck: &HealthSpec{Test: []string{"CMD", "/app", "health"}, Interval: time.Second, Timeout: 5 * time.Second, Retries: 3},
		Restart:     "no",
		Network:     netName,
		Aliases:     []string{"web"},
	}
	id, err := d.ContainerCreate(ctx, spec)
	must(t, err)

	obs, err := d.Observe(ctx, project)
	must(t, err)
	if len(obs.Containers) != 1 || len(obs.Networks) != 1 || len(obs.Volumes) != 1 {
		t.Fatalf("observed %d containers, %d networks, %d volumes; want 1 of each",
			len(obs.Containers), len(obs.Networks), len(obs.Volumes))
	}
	c := obs.Containers[0]
	if c.ID != id || c.Name != spec.Name || c.Service != "web" || c.ConfigHash != "hash-web" ||
		c.State != "created" || !strings.HasPrefix(c.ImageID, "sha256:") || obs.Networks[0].ID != netID {
		t.Errorf("observed container %+v, network %+v", c, obs.Networks[0])
	}

	must(t, d.ContainerStart(ctx, id))
	seen := waitEvent(t, events, func(ev Event) bool { return ev.Health == "healthy" })
	if i, j := index(seen, "web start"), index(seen, "web health_status healthy"); i < 0 || j < i {
		t.Errorf("events %q: want start, then health_status healthy", seen)
	}
	checkRunningContainer(t, d, project, id)
	checkExec(t, d, id)
	checkLogs(t, d, id)

	lines, logErrs := d.ContainerLogs(ctx, id, LogOptions{Follow: true, Tail: "0"})
	must(t, d.ContainerStop(ctx, id, 5*time.Second))
	seen = waitEvent(t, events, action("die"))
	if last := seen[len(seen)-1]; last != "web die 0" {
		t.Errorf("stop gave %q, want web die 0 (testsvc exits 0 on SIGTERM)", last)
	}
	drainLogs(t, lines, logErrs)

	must(t, d.ContainerRemove(ctx, id))
	waitEvent(t, events, action("destroy"))
	_, err = d.ContainerInspect(ctx, id)
	checkIs(t, "inspect of removed container", err, ErrNotFound)
	checkIs(t, "second remove", d.ContainerRemove(ctx, id), ErrNotFound)
	must(t, d.VolumeRemove(ctx, volName))
	must(t, d.NetworkRemove(ctx, netID))
	checkIs(t, "second volume remove", d.VolumeRemove(ctx, volName), ErrNotFound)
	checkIs(t, "second network remove", d.NetworkRemove(ctx, netID), ErrNotFound)
}

func checkRunningContainer(t *testing.T, d *Docker, project, id string) {
	t.Helper()
	c, err := d.ContainerInspect(t.Context(), id)
	must(t, err)
	if c.State != "running" || c.Health != "healthy" || c.StartedAt.IsZero() || !c.FinishedAt.IsZero() ||
		!strings.Contains(c.HealthLog, "ok") || c.Project != project {
		t.Errorf("inspected %+v", c)
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 8080 || c.Ports[0].HostPort == 0 {
		t.Fatalf("inspected ports %+v, want 8080 published", c.Ports)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", c.Ports[0].HostPort)
	resp, err := http.Get(url)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s", url, resp.Status)
	}
	obs, err := d.Observe(t.Context(), project)
	must(t, err)
	if got := obs.Containers[0]; got.Health != "healthy" || got.State != "running" || len(got.Ports) != 1 {
		t.Errorf("observed running container %+v", got)
	}
}

func checkExec(t *testing.T, d *Docker, id string) {
	t.Helper()
	ctx := t.Context()
	code, out, err := d.ContainerExec(ctx, id, []string{"/app", "health"})
	if err != nil || code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("exec health: %d %q %v, want 0 and ok", code, out, err)
	}
	code, out, err = d.ContainerExec(ctx, id, []string{"/app", "health", "http://127.0.0.1:1/"})
	if err != nil || code != 1 || out == "" {
		t.Errorf("exec failing health: %d %q %v, want 1 and a message", code, out, err)
	}
	var stdout strings.Builder
	code, err = d.ExecInteractive(ctx, id, ExecOptions{
		Cmd: []string{"/app", "health"}, Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stdout,
	})
	if err != nil || code != 0 || !strings.Contains(stdout.String(), "ok") {
		t.Errorf("interactive exec: %d %q %v", code, stdout.String(), err)
	}
	resize := make(chan [2]uint, 1)
	resize <- [2]uint{40, 120}
	stdout.Reset()
	code, err = d.ExecInteractive(ctx, id, ExecOptions{Cmd: []string{"/app", "health"}, TTY: true, Stdout: &stdout, Resize: resize})
	if err != nil || code != 0 || !strings.Contains(stdout.String(), "ok\r\n") {
		t.Errorf("interactive exec with TTY: %d %q %v", code, stdout.String(), err)
	}

	// A server never ends by itself: ctx must cut the exec short.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err = d.ContainerExec(short, id, []string{"/app", "-listen", "127.0.0.1:9999"})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Errorf("cancelled exec: %v after %v, want DeadlineExceeded promptly", err, time.Since(start))
	}
}

func checkLogs(t *testing.T, d *Docker, id string) {
	t.Helper()
	lines, errs := d.ContainerLogs(t.Context(), id, LogOptions{Timestamps: true, Tail: "all"})
	var got []LogLine
	for l := range lines {
		got = append(got, l)
	}
	if err := <-errs; err != nil {
		t.Fatalf("logs: %v", err)
	}
	if len(got) == 0 || !strings.Contains(got[0].Text, "msg=start") || got[0].Stream != "stdout" || got[0].Time.IsZero() {
		t.Fatalf("logs start with %+v, want testsvc's start line with a time", got)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	follow, ferrs := d.ContainerLogs(ctx, id, LogOptions{Follow: true, Since: time.Now()})
	for n := 0; n < 3; {
		if l := testutil.Receive(t, fmt.Sprintf("heartbeat %d in the followed log", n+1), follow); strings.Contains(l.Text, "heartbeat") {
			n++
		}
	}
	cancel()
	drainLogs(t, follow, ferrs)
	checkNoStreams(t, "engine.(*Docker).streamLogs")
}

// drainLogs reads a log stream to its end, which must come with no error
// but ctx's.
func drainLogs(t *testing.T, lines <-chan LogLine, errs <-chan error) {
	t.Helper()
	ended := make(chan error, 1)
	go func() {
		for range lines {
		}
		ended <- <-errs // nil when the stream ended cleanly
	}()
	if err := testutil.Receive(t, "the end of the log stream", ended); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("log stream ended with %v", err)
	}
}

func TestDockerExitCode(t *testing.T) {
	d, project := integration(t)
	ctx := t.Context()
	events, _ := d.Events(ctx, project)
	id, err := d.ContainerCreate(ctx, ContainerSpec{
		Name: project + "-job", Image: testImage, Command: []string{"-exit", "7"}, Labels: labels(project, "job"),
	})
	must(t, err)
	must(t, d.ContainerStart(ctx, id))
	seen := waitEvent(t, events, action("die"))
	if last := seen[len(seen)-1]; last != "job die 7" {
		t.Errorf("events %q, want job die 7 last", seen)
	}
	c, err := d.ContainerInspect(ctx, id)
	must(t, err)
	// No order between StartedAt and FinishedAt: the engine can stamp a
	// process that exits at once as finished before it was started.
	if c.State != "exited" || c.ExitCode != 7 || c.FinishedAt.IsZero() || c.StartedAt.IsZero() {
		t.Errorf("inspected %+v", c)
	}
	obs, err := d.Observe(ctx, project)
	must(t, err)
	if got := obs.Containers[0]; got.State != "exited" || got.ExitCode != 7 {
		t.Errorf("observed %+v, want exited with 7", got)
	}
}

// TestDockerEventsNoGap checks the guarantee of Events: an event right after
// it returns is delivered.
func TestDockerEventsNoGap(t *testing.T) {
	d, project := integration(t)
	for i := range 5 {
		ctx, cancel := context.WithCancel(t.Context())
		events, errs := d.Events(ctx, project)
		_, err := d.ContainerCreate(ctx, ContainerSpec{
			Name: fmt.Sprintf("%s-c%d", project, i), Image: testImage, Labels: labels(project, "c"),
		})
		must(t, err)
		waitEvent(t, events, action("create"))
		cancel()
		for range events {
		}
		checkIs(t, "events after cancel", <-errs, context.Canceled)
		if _, ok := <-errs; ok {
			t.Error("error channel yielded twice")
		}
	}
	checkNoStreams(t, "engine.(*Docker).forwardEvents", "client.(*Client).Events")
}

func TestDockerErrors(t *testing.T) {
	d, project := integration(t)
	ctx := t.Context()
	_, err := d.ContainerInspect(ctx, project+"-missing")
	checkIs(t, "inspect missing container", err, ErrNotFound)
	_, err = d.ImageInspect(ctx, "devenv-engine-test/missing:1")
	checkIs(t, "inspect missing image", err, ErrImageNotFound)
	_, err = d.ContainerCreate(ctx, ContainerSpec{Name: project + "-x", Image: "devenv-engine-test/missing:1", Labels: labels(project, "x")})
	checkIs(t, "create from missing image", err, ErrImageNotFound)

	spec := ContainerSpec{Name: project + "-a", Image: testImage, Labels: labels(project, "a")}
	_, err = d.ContainerCreate(ctx, spec)
	must(t, err)
	_, err = d.ContainerCreate(ctx, spec)
	checkIs(t, "create with a taken name", err, ErrConflict)
	netSpec := NetworkSpec{Name: project + "-net", Labels: labels(project, "")}
	_, err = d.NetworkCreate(ctx, netSpec)
	must(t, err)
	_, err = d.NetworkCreate(ctx, netSpec)
	checkIs(t, "network with a taken name", err, ErrConflict)

	if err := d.ImagePull(ctx, "127.0.0.1:1/nope:1"); err == nil {
		t.Error("pull from a closed port succeeded")
	}
	checkPortConflict(t, d, project)
}

func checkPortConflict(t *testing.T, d *Docker, project string) {
	t.Helper()
	ctx := t.Context()
	// The first container takes a port the engine chooses; the second asks
	// for that one.
	first, err := d.ContainerCreate(ctx, ContainerSpec{Name: project + "-p1", Image: testImage, Labels: labels(project, "p1"),
		Ports: []PublishedPort{{HostIP: "127.0.0.1", ContainerPort: 8080}}})
	must(t, err)
	must(t, d.ContainerStart(ctx, first))
	c, err := d.ContainerInspect(ctx, first)
	must(t, err)
	if len(c.Ports) != 1 || c.Ports[0].HostPort == 0 {
		t.Fatalf("ports %+v, want one the engine chose", c.Ports)
	}
	second, err := d.ContainerCreate(ctx, ContainerSpec{Name: project + "-p2", Image: testImage, Labels: labels(project, "p2"),
		Ports: []PublishedPort{{HostIP: "127.0.0.1", HostPort: c.Ports[0].HostPort, ContainerPort: 8080}}})
	must(t, err)
	checkIs(t, "second container on one host port", d.ContainerStart(ctx, second), ErrConflict)
}

// TestDockerUnreachable needs no engine: it points the client at a socket
// that does not exist.
func TestDockerUnreachable(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent.sock")
	d, err := NewDocker(t.Context())
	must(t, err)
	defer d.Close()
	err = d.Ping(t.Context())
	checkIs(t, "ping", err, ErrUnreachable)
	if err == nil || !strings.Contains(err.Error(), "cannot reach the Docker Engine at unix:///nonexistent.sock: is it running?") {
		t.Errorf("ping error %q does not say which engine and what to do", err)
	}
	_, err = d.Observe(t.Context(), "x")
	checkIs(t, "observe", err, ErrUnreachable)
	events, errs := d.Events(t.Context(), "x")
	for range events {
	}
	checkIs(t, "events", <-errs, ErrUnreachable)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func checkIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got %v, want %v", what, err, want)
	}
}
