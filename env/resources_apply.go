package env

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/devenv-dev/devenv/env/engine"
)

// prepareResources checks the external networks and volumes, and creates
// the project's networks and volumes.
func (r *run) prepareResources(ctx context.Context) error {
	if err := r.checkExternal(ctx); err != nil {
		return err
	}
	labels := map[string]string{engine.LabelProject: r.plan.Project, engine.LabelVersion: labelsVersion}
	r.netIDs = map[string]string{}
	for _, n := range r.plan.Networks {
		if n.Changed {
			return fmt.Errorf("network %s was created with other settings, which the engine cannot change in place; run devenv down (volumes are kept) and up again", n.Name)
		}
	}
	if vs := r.plan.ChangedVolumes; len(vs) > 0 {
		return fmt.Errorf("volume %s was created with other settings (driver, driver_opts or labels), which the engine cannot change; to recreate it and lose its data, run devenv down -v and up again; to keep the data, put the settings back", strings.Join(vs, ", "))
	}
	for _, n := range r.plan.Networks {
		if !n.Create {
			r.netIDs[n.Name] = n.ID
			continue
		}
		emit(r.rep, KindNetwork, n.Name, StatusCreating, "")
		if err := r.createNetwork(ctx, n.Spec, withLabel(labels, engine.LabelConfigHash, n.Hash)); err != nil {
			return err
		}
		emit(r.rep, KindNetwork, n.Name, StatusCreated, "")
	}
	for _, v := range r.plan.CreateVolumes {
		spec := r.plan.VolumeSpecs[v]
		hash := volumeHash(spec)
		spec.Name = v
		spec.Labels = maps.Clone(spec.Labels)
		if spec.Labels == nil {
			spec.Labels = map[string]string{}
		}
		maps.Copy(spec.Labels, labels)
		spec.Labels[engine.LabelConfigHash] = hash
		if err := r.eng.VolumeCreate(ctx, spec); err != nil {
			return fmt.Errorf("creating volume %s: %w", v, err)
		}
		emit(r.rep, KindVolume, v, StatusCreated, "")
	}
	return nil
}

// checkExternal fails when a network or volume declared external is
// missing: the engine would otherwise make a volume of that name itself.
func (r *run) checkExternal(ctx context.Context) error {
	for _, n := range r.plan.ExternalNetworks {
		if _, err := r.eng.NetworkInspect(ctx, n); errors.Is(err, engine.ErrNotFound) {
			return fmt.Errorf("external network %s does not exist; create it (docker network create %s) or remove external: true: %w", n, n, err)
		} else if err != nil {
			return err
		}
	}
	for _, v := range r.plan.ExternalVolumes {
		if _, err := r.eng.VolumeInspect(ctx, v); errors.Is(err, engine.ErrNotFound) {
			return fmt.Errorf("external volume %s does not exist; create it (docker volume create %s) or remove external: true: %w", v, v, err)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// createNetwork creates one project network and settles on one network of
// that name: the engine lets an interrupted run's create finish after our
// observation, and two networks of one name make attaching by name fail.
// Containers are attached by ID; the lowest ID wins, the others are removed.
func (r *run) createNetwork(ctx context.Context, spec engine.NetworkSpec, labels map[string]string) error {
	spec.Labels = maps.Clone(spec.Labels)
	if spec.Labels == nil {
		spec.Labels = map[string]string{}
	}
	maps.Copy(spec.Labels, labels)
	if _, err := r.eng.NetworkCreate(ctx, spec); err != nil && !errors.Is(err, engine.ErrConflict) {
		return fmt.Errorf("creating network %s: %w", spec.Name, err)
	}
	obs, err := r.eng.Observe(ctx, r.plan.Project)
	if err != nil {
		return err
	}
	for _, n := range sortedNetworks(obs.Networks) {
		if n.Name != spec.Name {
			continue
		}
		if r.netIDs[spec.Name] == "" {
			r.netIDs[spec.Name] = n.ID
			continue
		}
		_ = r.eng.NetworkRemove(ctx, n.ID) // best effort, as for planned duplicates
	}
	if r.netIDs[spec.Name] == "" {
		return fmt.Errorf("a network named %s exists but devenv did not create it (it has no %s label); remove it with docker network rm %s, choose another project name, or declare it external: true", spec.Name, engine.LabelProject, spec.Name)
	}
	return nil
}

// networksByID names the project's networks in spec by ID; external ones
// keep their names.
func (r *run) networksByID(spec *engine.ContainerSpec) {
	if id := r.netIDs[spec.Network]; id != "" {
		spec.Network = id
	}
	spec.MoreNetworks = slices.Clone(spec.MoreNetworks)
	for i, e := range spec.MoreNetworks {
		if id := r.netIDs[e.Network]; id != "" {
			spec.MoreNetworks[i].Network = id
		}
	}
}

// sharesStack reports whether a container joins another's network stack
// (network_mode service: or container:): the engine needs that container
// to exist, so it is created once its dependencies are up, not early.
func sharesStack(spec engine.ContainerSpec) bool {
	return strings.HasPrefix(spec.NetworkMode, "container:")
}
