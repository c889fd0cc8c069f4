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
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// ErrNoModule is returned when the working directory is not inside a Go module.
var ErrNoModule = errors.New("not inside a Go module")

// GoBinary compiles the main package pkg as a static linux/goarch binary and
// returns the path of the result in the user cache directory. pkg is an
// import path or a ./relative directory; relative paths are resolved against
// the root of the module containing the working directory, where the build
// runs.
//
// Each package and architecture has one output path, rewritten by the next
// build of the same package. Because the path is stable, go build finds the
// previous binary's build ID there and skips linking when nothing changed,
// which makes a no-op rebuild take a fraction of a second.
func GoBinary(ctx context.Context, pkg string, goarch string) (string, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	key := sha256.Sum256([]byte(root + "\x00" + pkg + "\x00" + goarch))
	out := filepath.Join(dir, fmt.Sprintf("%s-%s-%s", filepath.Base(pkg), goarch, hex.EncodeToString(key[:8])))

	mu := outputLock(out)
	mu.Lock()
	defer mu.Unlock()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s for linux/%s: %w: %s", pkg, goarch, err,
			strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// outputLocks serialises builds writing the same output path.
var outputLocks sync.Map // path -> *sync.Mutex

func outputLock(path string) *sync.Mutex {
	mu, _ := outputLocks.LoadOrStore(path, new(sync.Mutex))
	return mu.(*sync.Mutex)
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
