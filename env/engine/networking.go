package engine

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/versions"
)

// networkCreateOptions maps a NetworkSpec; the driver defaults to bridge.
func networkCreateOptions(spec NetworkSpec) network.CreateOptions {
	opts := network.CreateOptions{
		Driver:     spec.Driver,
		Options:    spec.DriverOpts,
		Labels:     spec.Labels,
		Internal:   spec.Internal,
		Attachable: spec.Attachable,
	}
	if opts.Driver == "" {
		opts.Driver = "bridge"
	}
	if spec.EnableIPv6 {
		v6 := true
		opts.EnableIPv6 = &v6
	}
	if spec.IPAM != nil {
		opts.IPAM = &network.IPAM{Driver: spec.IPAM.Driver, Options: spec.IPAM.Options}
		for _, p := range spec.IPAM.Pools {
			opts.IPAM.Config = append(opts.IPAM.Config, network.IPAMConfig{
				Subnet: p.Subnet, Gateway: p.Gateway, IPRange: p.IPRange, AuxAddress: p.AuxAddresses,
			})
		}
	}
	return opts
}

// NetworkInspect finds a network by name (or ID), whoever created it.
func (d *Docker) NetworkInspect(ctx context.Context, name string) (Network, error) {
	n, err := d.cli.NetworkInspect(ctx, name, network.InspectOptions{})
	if err != nil {
		return Network{}, fmt.Errorf("inspecting network %s: %w", name, d.mapErr(err, ErrNotFound))
	}
	return Network{ID: n.ID, Name: n.Name, Labels: n.Labels}, nil
}

// VolumeInspect finds a volume by name, whoever created it.
func (d *Docker) VolumeInspect(ctx context.Context, name string) (Volume, error) {
	v, err := d.cli.VolumeInspect(ctx, name)
	if err != nil {
		return Volume{}, fmt.Errorf("inspecting volume %s: %w", name, d.mapErr(err, ErrNotFound))
	}
	return Volume{Name: v.Name, Labels: v.Labels}, nil
}

// endpointConfig is the create document's endpoint on the primary network.
func endpointConfig(spec ContainerSpec) *network.EndpointSettings {
	ep := &network.EndpointSettings{Aliases: spec.Aliases, Links: spec.Links}
	if spec.IPv4Address != "" || spec.IPv6Address != "" {
		ep.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: spec.IPv4Address, IPv6Address: spec.IPv6Address}
	}
	return ep
}

// finishCreate connects the container to its other networks and copies
// its files in; on failure the half-made container is removed, so a create
// either makes the whole container or nothing.
func (d *Docker) finishCreate(ctx context.Context, id string, spec ContainerSpec) error {
	err := d.connectMore(ctx, id, spec.MoreNetworks)
	if err == nil && len(spec.Files) > 0 {
		err = d.copyFiles(ctx, id, spec.Files)
	}
	if err != nil {
		rmErr := d.cli.ContainerRemove(context.WithoutCancel(ctx), id, container.RemoveOptions{Force: true, RemoveVolumes: true})
		return errors.Join(err, rmErr)
	}
	return nil
}

func (d *Docker) connectMore(ctx context.Context, id string, eps []EndpointSpec) error {
	for _, e := range eps {
		ep := &network.EndpointSettings{Aliases: e.Aliases}
		if e.IPv4Address != "" || e.IPv6Address != "" {
			ep.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: e.IPv4Address, IPv6Address: e.IPv6Address}
		}
		if err := d.cli.NetworkConnect(ctx, e.Network, id, ep); err != nil {
			return fmt.Errorf("connecting to network %s: %w", e.Network, d.mapErr(err, ErrNotFound))
		}
	}
	return nil
}

// copyFiles writes files into the container's filesystem, with their
// owners and modes, through the engine's archive endpoint.
func (d *Docker) copyFiles(ctx context.Context, id string, files []FileSpec) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, f := range files {
		rel := strings.TrimPrefix(path.Clean(f.Path), "/")
		for dir := path.Dir(rel); dir != "." && !dirs[dir]; dir = path.Dir(dir) {
			dirs[dir] = true
		}
	}
	for _, dir := range sortedDirs(dirs) {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755}); err != nil {
			return err
		}
	}
	for _, f := range files {
		rel := strings.TrimPrefix(path.Clean(f.Path), "/")
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: int64(f.Mode), Size: int64(len(f.Content)), Uid: f.UID, Gid: f.GID}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write([]byte(f.Content)); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := d.cli.CopyToContainer(ctx, id, "/", &buf, container.CopyToContainerOptions{}); err != nil {
		return fmt.Errorf("copying secrets and configs in: %w", d.mapErr(err, ErrNotFound))
	}
	return nil
}

// sortedDirs orders directories parents first.
func sortedDirs(dirs map[string]bool) []string {
	out := make([]string, 0, len(dirs))
	for d := range dirs {
		out = append(out, d)
	}
	sort.Strings(out) // a parent sorts before its children
	return out
}

// mountConfig maps mounts to the engine's two forms: binds that must be
// created when missing or relabelled for SELinux go in the Binds list (the
// mounts API can do neither on every engine version); the rest are Mounts.
func mountConfig(specs []MountSpec, apiVersion string) ([]mount.Mount, []string, error) {
	var mounts []mount.Mount
	var binds []string
	for _, m := range specs {
		switch m.Type {
		case "bind":
			if m.CreateHostPath || m.SELinux != "" {
				binds = append(binds, bindString(m))
				continue
			}
			mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly,
				BindOptions: bindOptions(m)})
		case "volume":
			if m.Subpath != "" && versions.LessThan(apiVersion, "1.45") {
				return nil, nil, fmt.Errorf("mount at %s: volume subpath needs Docker Engine API 1.45 (Docker 26) or newer; this engine speaks %s: upgrade Docker or mount the whole volume", m.Target, apiVersion)
			}
			var opts *mount.VolumeOptions
			if m.NoCopy || m.Subpath != "" {
				opts = &mount.VolumeOptions{NoCopy: m.NoCopy, Subpath: m.Subpath}
			}
			mounts = append(mounts, mount.Mount{Type: mount.TypeVolume, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly, VolumeOptions: opts})
		case "tmpfs":
			var opts *mount.TmpfsOptions
			if m.TmpfsSize != 0 || m.TmpfsMode != 0 {
				// The engine writes Mode into the mount options with %o, so
				// it takes the raw Unix bits (sticky is 01000, not Go's).
				opts = &mount.TmpfsOptions{SizeBytes: m.TmpfsSize, Mode: os.FileMode(m.TmpfsMode)}
			}
			mounts = append(mounts, mount.Mount{Type: mount.TypeTmpfs, Target: m.Target, ReadOnly: m.ReadOnly, TmpfsOptions: opts})
		default:
			return nil, nil, fmt.Errorf("mount at %s: unknown type %q (want volume, bind or tmpfs)", m.Target, m.Type)
		}
	}
	return mounts, binds, nil
}

func bindOptions(m MountSpec) *mount.BindOptions {
	if m.Propagation == "" {
		return nil
	}
	return &mount.BindOptions{Propagation: mount.Propagation(m.Propagation)}
}

// bindString writes a bind in the SRC:DST[:OPTS] form of HostConfig.Binds.
func bindString(m MountSpec) string {
	var opts []string
	if m.ReadOnly {
		opts = append(opts, "ro")
	}
	if m.SELinux != "" {
		opts = append(opts, m.SELinux)
	}
	if m.Propagation != "" {
		opts = append(opts, m.Propagation)
	}
	s := m.Source + ":" + m.Target
	if len(opts) > 0 {
		s += ":" + strings.Join(opts, ",")
	}
	return s
}
