package imagebuild

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// BinaryPath is where the binary sits in the image; it is the entrypoint.
const BinaryPath = "/app"

// epoch is the timestamp of every file and of the image itself, so that the
// image ID depends on the binary and options only.
var epoch = time.Unix(0, 0).UTC()

// ImageOptions describes the image config around the binary.
type ImageOptions struct {
	Arch         string            // GOARCH the binary was built for; "" means runtime.GOARCH
	Cmd          []string          // arguments after the entrypoint; nil for none
	Env          []string          // "KEY=value"
	ExposedPorts []string          // "8080/tcp" or "8080" (tcp implied)
	Labels       map[string]string // image labels
	User         string            // "" runs as root
	Healthcheck  *v1.HealthConfig  // nil: no healthcheck in the image
}

// Image returns a single-layer image holding the binary at /app, an empty
// /tmp and /etc, and a config with /app as its entrypoint. It reads the
// binary into memory; the result does not depend on the file afterwards.
func Image(binPath string, opts ImageOptions) (v1.Image, error) {
	bin, err := os.ReadFile(binPath)
	if err != nil {
		return nil, fmt.Errorf("reading binary: %w", err)
	}
	layerTar, err := rootfs(bin)
	if err != nil {
		return nil, fmt.Errorf("building layer for %s: %w", binPath, err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, fmt.Errorf("building layer for %s: %w", binPath, err)
	}
	img, err := mutate.ConfigFile(empty.Image, configFile(opts))
	if err != nil {
		return nil, fmt.Errorf("setting image config: %w", err)
	}
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "imagebuild " + BinaryPath},
	})
	if err != nil {
		return nil, fmt.Errorf("appending layer for %s: %w", binPath, err)
	}
	return img, nil
}

// configFile is the image config before the layer is appended.
func configFile(opts ImageOptions) *v1.ConfigFile {
	arch := opts.Arch
	if arch == "" {
		arch = runtime.GOARCH
	}
	var ports map[string]struct{}
	if len(opts.ExposedPorts) > 0 {
		ports = make(map[string]struct{}, len(opts.ExposedPorts))
		for _, p := range opts.ExposedPorts {
			if !bytes.ContainsRune([]byte(p), '/') {
				p += "/tcp"
			}
			ports[p] = struct{}{}
		}
	}
	return &v1.ConfigFile{
		Architecture: arch,
		OS:           "linux",
		Created:      v1.Time{Time: epoch},
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			Entrypoint:   []string{BinaryPath},
			Cmd:          opts.Cmd,
			Env:          opts.Env,
			ExposedPorts: ports,
			Labels:       opts.Labels,
			User:         opts.User,
			WorkingDir:   "/",
			Healthcheck:  opts.Healthcheck,
		},
	}
}

// rootfs returns the uncompressed layer: the few directories programs
// expect, then the binary. Every header has fixed owner and times.
func rootfs(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := []tar.Header{
		{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777},
	}
	for _, h := range dirs {
		h.ModTime = epoch
		if err := tw.WriteHeader(&h); err != nil {
			return nil, err
		}
	}
	h := tar.Header{Name: BinaryPath[1:], Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin)), ModTime: epoch}
	if err := tw.WriteHeader(&h); err != nil {
		return nil, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
