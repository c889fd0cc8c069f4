package enginetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/devenv-dev/devenv/env/engine"
)

// ContainerCreate creates a container from a present image on an existing
// network (when spec names one). A taken name gives engine.ErrConflict.
func (f *Fake) ContainerCreate(ctx context.Context, spec engine.ContainerSpec) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return "", err
	}
	if err := f.recordLocked("create " + spec.Name); err != nil {
		return "", err
	}
	if f.lookupLocked(spec.Name) != nil {
		return "", fmt.Errorf("creating container %s: %w: name in use", spec.Name, engine.ErrConflict)
	}
	img, ok := f.images[spec.Image]
	if !ok {
		return "", fmt.Errorf("creating container %s: %w: %s", spec.Name, engine.ErrImageNotFound, spec.Image)
	}
	if spec.Network != "" && f.networkLocked(spec.Network) == nil {
		return "", fmt.Errorf("creating container %s: %w: network %s", spec.Name, engine.ErrNotFound, spec.Network)
	}
	id := f.newIDLocked(spec.Name)
	labels := maps.Clone(spec.Labels)
	f.containers[id] = &fakeContainer{
		c: engine.Container{
			ID:         id,
			Name:       spec.Name,
			Project:    labels[engine.LabelProject],
			Service:    labels[engine.LabelService],
			ConfigHash: labels[engine.LabelConfigHash],
			ImageID:    img.ID,
			State:      "created",
			Labels:     labels,
		},
		spec:    cloneSpec(spec),
		logWake: make(chan struct{}),
	}
	f.emitLocked(f.containers[id], "create", "")
	return id, nil
}

// cloneSpec copies the slices and maps of spec that the fake keeps.
func cloneSpec(s engine.ContainerSpec) engine.ContainerSpec {
	s.Command = slices.Clone(s.Command)
	s.Entrypoint = slices.Clone(s.Entrypoint)
	s.Env = slices.Clone(s.Env)
	s.Labels = maps.Clone(s.Labels)
	s.Ports = slices.Clone(s.Ports)
	s.Mounts = slices.Clone(s.Mounts)
	s.Aliases = slices.Clone(s.Aliases)
	s.ExtraHosts = slices.Clone(s.ExtraHosts)
	if s.Healthcheck != nil {
		h := *s.Healthcheck
		h.Test = slices.Clone(h.Test)
		s.Healthcheck = &h
	}
	return s
}

// Spec returns the spec the named (or identified) container was created
// from, and false if there is no such container.
func (f *Fake) Spec(idOrName string) (engine.ContainerSpec, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc := f.lookupLocked(idOrName)
	if fc == nil {
		return engine.ContainerSpec{}, false
	}
	return cloneSpec(fc.spec), true
}

// lookupLocked finds a container by ID or name; nil if there is none.
func (f *Fake) lookupLocked(idOrName string) *fakeContainer {
	if fc, ok := f.containers[idOrName]; ok {
		return fc
	}
	for _, fc := range f.containers {
		if fc.c.Name == idOrName {
			return fc
		}
	}
	return nil
}

// containerLocked records call+" "+name and finds the container.
func (f *Fake) containerLocked(call, idOrName string) (*fakeContainer, error) {
	if err := f.checkLocked(); err != nil {
		return nil, err
	}
	fc := f.lookupLocked(idOrName)
	name := idOrName
	if fc != nil {
		name = fc.c.Name
	}
	if err := f.recordLocked(call + " " + name); err != nil {
		return nil, err
	}
	if fc == nil {
		return nil, fmt.Errorf("%s container %s: %w", call, idOrName, engine.ErrNotFound)
	}
	return fc, nil
}

// ContainerStart starts the container and plays its Behaviour. A host port
// published by another running container gives engine.ErrConflict.
func (f *Fake) ContainerStart(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.containerLocked("start", id)
	if err != nil {
		return err
	}
	if fc.c.State == "running" {
		return nil
	}
	if err := f.portConflictLocked(fc); err != nil {
		return err
	}
	b := Behaviour{}
	if f.OnStart != nil {
		b = f.OnStart(cloneSpec(fc.spec))
	}
	fc.behaviour = b
	fc.gen++
	fc.c.State, fc.c.ExitCode, fc.c.Health, fc.c.HealthLog = "running", 0, "", ""
	fc.c.StartedAt, fc.c.FinishedAt = time.Now(), time.Time{}
	fc.c.Ports = slices.Clone(fc.spec.Ports)
	f.emitLocked(fc, "start", "")
	f.appendLogsLocked(fc, b.Logs)
	if hasHealthcheck(fc.spec) {
		fc.c.Health = "starting"
		f.afterLocked(fc, b.HealthAfter, func() { f.settleHealthLocked(fc) })
	}
	if b.Exit {
		f.afterLocked(fc, b.ExitAfter, func() { f.dieLocked(fc, b.ExitCode) })
	}
	return nil
}

func hasHealthcheck(spec engine.ContainerSpec) bool {
	h := spec.Healthcheck
	return h != nil && len(h.Test) > 0 && h.Test[0] != "NONE"
}

// afterLocked runs fn under f.mu after d, unless the container was started or
// stopped again meanwhile. A zero d runs fn now.
func (f *Fake) afterLocked(fc *fakeContainer, d time.Duration, fn func()) {
	gen := fc.gen
	if d <= 0 {
		fn()
		return
	}
	time.AfterFunc(d, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if fc.gen == gen && fc.c.State == "running" {
			fn()
		}
	})
}

func (f *Fake) settleHealthLocked(fc *fakeContainer) {
	if fc.c.State != "running" {
		return
	}
	health := fc.behaviour.Health
	if health == "" {
		health = "healthy"
	}
	fc.c.HealthLog = fc.behaviour.HealthLog
	if health != "starting" {
		f.setHealthLocked(fc, health)
	}
}

func (f *Fake) setHealthLocked(fc *fakeContainer, health string) {
	fc.c.Health = health
	f.emitLocked(fc, "health_status", health)
}

// dieLocked ends a running container with code.
func (f *Fake) dieLocked(fc *fakeContainer, code int) {
	if fc.c.State != "running" {
		return
	}
	fc.gen++
	fc.c.State, fc.c.ExitCode, fc.c.Health = "exited", code, ""
	fc.c.FinishedAt = time.Now()
	fc.c.Ports = nil
	ev := f.eventLocked(fc, "die", "")
	ev.ExitCode = code
	f.sendLocked(fc.c.Project, ev)
	f.wakeLogsLocked(fc)
}

func (f *Fake) portConflictLocked(fc *fakeContainer) error {
	for _, p := range fc.spec.Ports {
		if p.HostPort == 0 {
			continue
		}
		for _, other := range f.containers {
			if other == fc || other.c.State != "running" {
				continue
			}
			for _, q := range other.c.Ports {
				if q.HostPort == p.HostPort && protocol(q) == protocol(p) && sameHost(q.HostIP, p.HostIP) {
					return fmt.Errorf("starting container %s: %w: port %d is already allocated by %s",
						fc.c.Name, engine.ErrConflict, p.HostPort, other.c.Name)
				}
			}
		}
	}
	return nil
}

func protocol(p engine.PublishedPort) string {
	if p.Protocol == "" {
		return "tcp"
	}
	return p.Protocol
}

// ContainerStop stops a running container with its Behaviour's StopExitCode;
// stopping a stopped container does nothing.
func (f *Fake) ContainerStop(ctx context.Context, id string, timeout time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.containerLocked("stop", id)
	if err != nil {
		return err
	}
	if fc.c.State == "running" {
		f.dieLocked(fc, fc.behaviour.StopExitCode)
		f.emitLocked(fc, "stop", "")
	}
	return nil
}

// ContainerRemove removes a container, stopping it first if it runs.
func (f *Fake) ContainerRemove(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.containerLocked("remove", id)
	if err != nil {
		return err
	}
	f.dieLocked(fc, fc.behaviour.StopExitCode)
	fc.gen++
	delete(f.containers, fc.c.ID)
	f.emitLocked(fc, "destroy", "")
	f.wakeLogsLocked(fc)
	return nil
}

// ContainerInspect returns a copy of the container.
func (f *Fake) ContainerInspect(ctx context.Context, id string) (engine.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return engine.Container{}, err
	}
	fc := f.lookupLocked(id)
	if fc == nil {
		return engine.Container{}, fmt.Errorf("inspecting container %s: %w", id, engine.ErrNotFound)
	}
	return copyContainer(fc.c), nil
}

// SetHealth changes a running container's health and emits the
// health_status event, as a probe would.
func (f *Fake) SetHealth(idOrName, health string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc := f.lookupLocked(idOrName)
	if fc == nil || fc.c.State != "running" {
		return fmt.Errorf("setting health of %s: %w: no such running container", idOrName, engine.ErrNotFound)
	}
	f.setHealthLocked(fc, health)
	return nil
}

// Exit makes a running container exit with code, as if its process ended.
func (f *Fake) Exit(idOrName string, code int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc := f.lookupLocked(idOrName)
	if fc == nil || fc.c.State != "running" {
		return fmt.Errorf("exiting %s: %w: no such running container", idOrName, engine.ErrNotFound)
	}
	f.dieLocked(fc, code)
	return nil
}

// sameHost reports whether two host IPs of a binding overlap, as the engine
// sees it: an unspecified address takes the port on every address.
func sameHost(a, b string) bool {
	unspecified := func(s string) bool { return s == "" || s == "0.0.0.0" || s == "::" }
	return unspecified(a) || unspecified(b) || a == b
}
