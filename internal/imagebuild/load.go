package imagebuild

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// ErrLoad is wrapped by errors the engine reported while loading an image.
var ErrLoad = errors.New("engine rejected image")

// Load writes img as a docker-save tarball tagged ref and streams it into the
// engine, returning any error the engine reports in its progress stream. ref
// must be a tag such as "devenv-example/web:dev".
func Load(ctx context.Context, cli *client.Client, img v1.Image, ref string) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("loading image: parsing tag %q: %w", ref, err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarball.Write(tag, img, pw)) }()
	defer pr.Close() // unblocks the writer if the engine stops reading

	resp, err := cli.ImageLoad(ctx, pr, client.ImageLoadWithQuiet(true))
	if err != nil {
		return fmt.Errorf("loading image %s: %w", ref, err)
	}
	defer resp.Body.Close()
	if err := checkLoadStream(resp.Body); err != nil {
		return fmt.Errorf("loading image %s: %w", ref, err)
	}
	return nil
}

// loadMessage is the part of a jsonmessage the load stream check needs.
type loadMessage struct {
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

// checkLoadStream drains the engine's JSON progress stream and returns the
// first error message in it, wrapped in ErrLoad.
func checkLoadStream(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m loadMessage
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading engine response: %w", err)
		}
		switch {
		case m.ErrorDetail != nil && m.ErrorDetail.Message != "":
			return fmt.Errorf("%w: %s", ErrLoad, m.ErrorDetail.Message)
		case m.Error != "":
			return fmt.Errorf("%w: %s", ErrLoad, m.Error)
		}
	}
}

// ImageID is the ID the engine gives img once loaded: its config digest.
func ImageID(img v1.Image) (string, error) {
	h, err := img.ConfigName()
	if err != nil {
		return "", fmt.Errorf("computing image ID: %w", err)
	}
	return h.String(), nil
}

// LoadIfChanged loads img as ref unless the engine already has exactly this
// image under ref. It reports whether it loaded.
func LoadIfChanged(ctx context.Context, cli *client.Client, img v1.Image, ref string) (loaded bool, err error) {
	id, err := ImageID(img)
	if err != nil {
		return false, err
	}
	current, err := cli.ImageInspect(ctx, ref)
	switch {
	case err == nil && current.ID == id:
		return false, nil
	case err != nil && !cerrdefs.IsNotFound(err):
		return false, fmt.Errorf("inspecting %s: %w", ref, err)
	}
	if err := Load(ctx, cli, img, ref); err != nil {
		return false, err
	}
	return true, nil
}

// EngineArch returns the GOARCH matching the engine's machine.
func EngineArch(ctx context.Context, cli *client.Client) (string, error) {
	info, err := cli.Info(ctx)
	if err != nil {
		return "", fmt.Errorf("asking the engine for its architecture: %w", err)
	}
	return goarch(info.Architecture), nil
}

// goarch maps `uname -m` names, as the engine reports them, to GOARCH.
func goarch(machine string) string {
	switch machine {
	case "x86_64":
		return "amd64"
	case "aarch64", "arm64":
		return "arm64"
	case "armv7l", "armv6l":
		return "arm"
	case "i386", "i686":
		return "386"
	default:
		return machine // s390x, ppc64le, riscv64 are already GOARCH names
	}
}

// BuildAndLoad compiles pkg for the engine's architecture, wraps it with
// opts (opts.Arch is set from the engine) and loads it as ref unless the
// engine already has the identical image. It returns the image ID.
func BuildAndLoad(ctx context.Context, cli *client.Client, pkg, ref string, opts ImageOptions) (imageID string, err error) {
	arch, err := EngineArch(ctx, cli)
	if err != nil {
		return "", err
	}
	bin, err := GoBinary(ctx, pkg, arch)
	if err != nil {
		return "", err
	}
	opts.Arch = arch
	img, err := Image(bin, opts)
	if err != nil {
		return "", err
	}
	if _, err := LoadIfChanged(ctx, cli, img, ref); err != nil {
		return "", err
	}
	return ImageID(img)
}
