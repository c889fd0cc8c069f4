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
// DNS server on a user-defined network does: with a running container on
// one of from's networks that is named host or has host among its aliases
// on that network.
func (f *Fake) Resolve(from, host string) (engine.Container, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	src := f.lookupLocked(from)
	if src == nil || src.c.State != "running" {
		return engine.Container{}, false
	}
	mine := f.endpointsLocked(src)
	for _, fc := range f.containers {
		if fc.c.State != "running" {
			continue
		}
		for id, aliases := range f.endpointsLocked(fc) {
			if _, shared := mine[id]; shared && (fc.c.Name == host || slices.Contains(aliases, host)) {
				return copyContainer(fc.c), true
			}
		}
	}
	return engine.Container{}, false
}

// endpointsLocked maps the IDs of the networks a running container is on
// to its aliases there.
func (f *Fake) endpointsLocked(fc *fakeContainer) map[string][]string {
	out := map[string][]string{}
	if fc.networkID != "" {
		out[fc.networkID] = fc.spec.Aliases
	}
	for _, e := range fc.spec.MoreNetworks {
		if n := f.networkLocked(e.Network); n != nil {
			out[n.ID] = e.Aliases
		}
	}
	return out
}

// NetworkInspect finds a network by name or ID, labelled or not.
func (f *Fake) NetworkInspect(ctx context.Context, name string) (engine.Network, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return engine.Network{}, err
	}
	n := f.networkLocked(name)
	if n == nil {
		return engine.Network{}, fmt.Errorf("inspecting network %s: %w", name, engine.ErrNotFound)
	}
	return engine.Network{ID: n.ID, Name: n.Name, Labels: maps.Clone(n.Labels)}, nil
}

// VolumeInspect finds a volume by name, labelled or not.
func (f *Fake) VolumeInspect(ctx context.Context, name string) (engine.Volume, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return engine.Volume{}, err
	}
	v, ok := f.volumes[name]
	if !ok {
		return engine.Volume{}, fmt.Errorf("inspecting volume %s: %w", name, engine.ErrNotFound)
	}
	return engine.Volume{Name: v.Name, Labels: maps.Clone(v.Labels)}, nil
}
