package enginetest

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/devenv-dev/devenv/env/engine"
)

// ContainerCreate creates a container from a present image. A taken name
// gives engine.ErrConflict. Like the engine, it does not look for the
// network spec names: ContainerStart does.
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
	f.createVolumesLocked(spec.Mounts)
	id := f.newIDLocked(spec.Name)
	labels := maps.Clone(spec.Labels)
	spec = cloneSpec(spec)
	health := spec.Healthcheck
	if health == nil {
		health = img.config.Healthcheck
	}
	f.containers[id] = &fakeContainer{
		c: engine.Container{
			ID:         id,
			Name:       spec.Name,
			Project:    labels[engine.LabelProject],
			Service:    labels[engine.LabelService],
			ConfigHash: labels[engine.LabelConfigHash],
			ImageID:    img.img.ID,
			State:      "created",
			Labels:     labels,
		},
		spec:    spec,
		health:  health,
		logWake: make(chan struct{}),
	}
	f.emitLocked(f.containers[id], "create", "")
	return id, nil
}

// createVolumesLocked creates the named volumes mounts use that do not
// exist yet, unlabelled, as the engine does when it creates a container.
func (f *Fake) createVolumesLocked(mounts []engine.MountSpec) {
	for _, m := range mounts {
		if _, ok := f.volumes[m.Source]; m.Type == "volume" && !ok {
			f.volumes[m.Source] = engine.Volume{Name: m.Source}
		}
	}
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
	s.Runtime = s.Runtime.Clone()
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
