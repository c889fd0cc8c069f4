package enginetest

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/devenv-dev/devenv/env/engine"
)

// networkLocked finds a network by ID or name; nil if there is none.
func (f *Fake) networkLocked(idOrName string) *engine.Network {
	if n, ok := f.networks[idOrName]; ok {
		return &n
	}
	for _, n := range f.networks {
		if n.Name == idOrName {
			return &n
		}
	}
	return nil
}

// NetworkCreate creates a network; a taken name gives engine.ErrConflict.
func (f *Fake) NetworkCreate(ctx context.Context, spec engine.NetworkSpec) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return "", err
	}
	if err := f.recordLocked("network-create " + spec.Name); err != nil {
		return "", err
	}
	if f.networkLocked(spec.Name) != nil {
		return "", fmt.Errorf("creating network %s: %w: name in use", spec.Name, engine.ErrConflict)
	}
	id := f.newIDLocked(spec.Name)
	f.networks[id] = engine.Network{ID: id, Name: spec.Name, Labels: maps.Clone(spec.Labels)}
	return id, nil
}

// NetworkRemove removes a network by ID or name; one a running container is
// attached to gives engine.ErrConflict.
func (f *Fake) NetworkRemove(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return err
	}
	n := f.networkLocked(id)
	name := id
	if n != nil {
		name = n.Name
	}
	if err := f.recordLocked("network-remove " + name); err != nil {
		return err
	}
	if n == nil {
		return fmt.Errorf("removing network %s: %w", id, engine.ErrNotFound)
	}
	for _, fc := range f.containers {
		if fc.networkID == n.ID && fc.c.State == "running" {
			return fmt.Errorf("removing network %s: %w: container %s is attached", n.Name, engine.ErrConflict, fc.c.Name)
		}
	}
	delete(f.networks, n.ID)
	return nil
}

// VolumeCreate creates a volume; like the engine, it keeps an existing one.
func (f *Fake) VolumeCreate(ctx context.Context, spec engine.VolumeSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return err
	}
	if err := f.recordLocked("volume-create " + spec.Name); err != nil {
		return err
	}
	if _, ok := f.volumes[spec.Name]; !ok {
		f.volumes[spec.Name] = engine.Volume{Name: spec.Name, Labels: maps.Clone(spec.Labels)}
	}
	return nil
}

// VolumeRemove removes a volume; one any container mounts, even a stopped
// one, gives engine.ErrConflict.
func (f *Fake) VolumeRemove(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return err
	}
	if err := f.recordLocked("volume-remove " + name); err != nil {
		return err
	}
	if _, ok := f.volumes[name]; !ok {
		return fmt.Errorf("removing volume %s: %w", name, engine.ErrNotFound)
	}
	for _, fc := range f.containers {
		for _, m := range fc.spec.Mounts {
			if m.Type == "volume" && m.Source == name {
				return fmt.Errorf("removing volume %s: %w: in use by %s", name, engine.ErrConflict, fc.c.Name)
			}
		}
	}
	delete(f.volumes, name)
	return nil
}

// Resolve answers a lookup of host from the container from as the engine's
// DNS server on a user-defined network does: with the running container on
// from's network that is named host or has host among its aliases.
func (f *Fake) Resolve(from, host string) (engine.Container, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	src := f.lookupLocked(from)
	if src == nil || src.networkID == "" {
		return engine.Container{}, false
	}
	for _, fc := range f.containers {
		if fc.networkID != src.networkID || fc.c.State != "running" {
			continue
		}
		if fc.c.Name == host || slices.Contains(fc.spec.Aliases, host) {
			return copyContainer(fc.c), true
		}
	}
	return engine.Container{}, false
}
