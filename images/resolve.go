package images

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// resolveParallel bounds Resolve's concurrent registry lookups.
const resolveParallel = 8

// Resolve asks the registries, through the engine, for the digest each ref
// currently points to, and pins it with the engine's platform. Failures are
// *PullErrors, joined; the refs that resolved are returned either way.
func Resolve(ctx context.Context, c Client, refs []string, creds Credentials) (map[string]Pin, error) {
	if creds == nil {
		creds = DockerConfig()
	}
	info, err := c.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("asking the engine for its platform: %w", err)
	}
	platform := info.OSType + "/" + goArch(info.Architecture)
	var (
		mu    sync.Mutex
		pins  = map[string]Pin{} // guarded by mu
		errs  []error            // guarded by mu
		wg    sync.WaitGroup
		slots = make(chan struct{}, resolveParallel)
		seen  = map[string]bool{}
	)
	for _, ref := range refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		wg.Go(func() {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-slots }()
			d, err := resolveOne(ctx, c, ref, creds)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			pins[ref] = Pin{Digest: d, Platform: platform}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return pins, fmt.Errorf("resolving image digests: %w", context.Cause(ctx))
	}
	return pins, errors.Join(errs...)
}

func resolveOne(ctx context.Context, c Client, ref string, creds Credentials) (string, error) {
	auth, err := creds.Lookup(RegistryHost(ref))
	if err != nil {
		return "", &PullError{Image: ref, Kind: ErrPull, Detail: err.Error()}
	}
	di, err := c.DistributionInspect(ctx, ref, EncodeAuth(auth))
	if err != nil {
		return "", newPullError(ref, nil, err.Error(), auth)
	}
	return di.Descriptor.Digest.String(), nil
}

// goArch turns the engine's uname architecture into the name images use.
func goArch(arch string) string {
	switch arch {
	case "x86_64":
		return "amd64"
	case "aarch64":
		return "arm64"
	case "armv7l":
		return "arm/v7"
	case "armv6l":
		return "arm/v6"
	case "i386", "i686":
		return "386"
	}
	return arch
}
