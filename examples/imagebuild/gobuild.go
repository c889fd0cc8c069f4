// Package imagebuild turns Go main packages into container images without a
// base image, a Dockerfile or `docker build`: it cross-compiles a static
// binary, wraps it in a single reproducible layer with go-containerregistry,
// and loads the result into a Docker Engine as a docker-save tarball.
//
// The same binary always yields the same image ID, so callers can skip a
// load when the engine already holds that image. The package never prints.
package imagebuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrNoModule is returned when the working directory is not inside a Go module.
var ErrNoModule = errors.New("not inside a Go module")

// GoBinary compiles the main package pkg as a static linux/goarch binary and
// returns the path of the result in the user cache directory. pkg is an
// import path or a ./relative directory; relative paths are resolved against
// the root of the module containing the working directory, where the build
// runs. The file name carries a hash of the binary, so unchanged sources
// give the same path and the same content.
func GoBinary(ctx context.Context, pkg string, goarch string) (string, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "build-*")
	if err != nil {
		return "", fmt.Errorf("building %s: %w", pkg, err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name()) // no-op once renamed

	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", tmp.Name(), pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s for linux/%s: %w: %s", pkg, goarch, err,
			strings.TrimSpace(stderr.String()))
	}
	sum, err := fileSHA256(tmp.Name())
	if err != nil {
		return "", fmt.Errorf("building %s: %w", pkg, err)
	}
	final := filepath.Join(dir, fmt.Sprintf("%s-%s-%s", filepath.Base(pkg), goarch, sum[:16]))
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", fmt.Errorf("building %s: %w", pkg, err)
	}
	return final, nil
}

// ModuleRoot returns the directory holding the go.mod of the module that
// contains the working directory.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("running go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", ErrNoModule
	}
	return filepath.Dir(gomod), nil
}

// cacheDir is where built binaries live between runs.
func cacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "devenv", "imagebuild")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating build cache: %w", err)
	}
	return dir, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
