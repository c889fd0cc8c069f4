package env

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/images"
)

// LockPath is where the lock of p lives: envs.lock beside envs.yaml.
func LockPath(p *config.Project) string { return filepath.Join(p.Dir, images.LockFile) }

// ReadPins reads p's lock file, if there is one, and returns the references
// to run instead of tags, and the images p uses that the lock does not pin.
func ReadPins(p *config.Project) (pins map[string]string, unpinned []string, err error) {
	lock, err := images.ReadLock(LockPath(p))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	pins = map[string]string{}
	for _, ref := range lockableRefs(p) {
		if pin, ok := lock.Images[ref]; ok {
			pins[ref] = images.Pinned(ref, pin.Digest)
		} else {
			unpinned = append(unpinned, ref)
		}
	}
	return pins, unpinned, nil
}

// lockableRefs are p's pulled image references that name a tag, not a digest, sorted.
func lockableRefs(p *config.Project) []string {
	seen := map[string]bool{}
	var refs []string
	for _, s := range p.Services {
		if strings.Contains(s.Image, "@") || seen[s.Image] || s.Build != nil { // built here, not pulled
			continue
		}
		seen[s.Image] = true
		refs = append(refs, s.Image)
	}
	sort.Strings(refs)
	return refs
}

// ResolveLock asks the registries, through the engine, what every tag of p
// points to now. The result is what `devenv lock` writes.
func ResolveLock(ctx context.Context, c images.Client, p *config.Project) (*images.Lock, error) {
	pins, err := images.Resolve(ctx, c, lockableRefs(p), nil)
	if err != nil {
		return nil, err
	}
	return &images.Lock{Images: pins}, nil
}

// LockDrift compares the lock on disk with the registries' current digests:
// the references whose tag moved, that the lock lacks, or that it pins but
// envs.yaml no longer uses.
func LockDrift(old, current *images.Lock) []string {
	drift := images.Moved(old, current.Images)
	for ref := range old.Images {
		if _, ok := current.Images[ref]; !ok {
			drift = append(drift, ref)
		}
	}
	sort.Strings(drift)
	return drift
}

// Outdated is one service whose tag now points elsewhere than what it runs.
type Outdated struct {
	Service string `json:"service"`
	Image   string `json:"image"`
	Current string `json:"current"` // digest pinned by envs.lock, else of the local image; "" if unknown
	Latest  string `json:"latest"`  // digest the tag points to in the registry now
}

// ListOutdated lists the services of p whose image tag now resolves to a
// different digest than the one they use: the lock's when there is one,
// otherwise the local image's.
func ListOutdated(ctx context.Context, eng engine.Engine, c images.Client, p *config.Project) ([]Outdated, error) {
	latest, err := ResolveLock(ctx, c, p)
	if err != nil {
		return nil, err
	}
	lock, err := images.ReadLock(LockPath(p))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var out []Outdated
	for name, s := range p.Services {
		now, ok := latest.Images[s.Image]
		if !ok {
			continue
		}
		cur := currentDigest(ctx, eng, lock, s.Image)
		if cur != now.Digest {
			out = append(out, Outdated{Service: name, Image: s.Image, Current: cur, Latest: now.Digest})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out, nil
}

func currentDigest(ctx context.Context, eng engine.Engine, lock *images.Lock, ref string) string {
	if lock != nil {
		if pin, ok := lock.Images[ref]; ok {
			return pin.Digest
		}
	}
	img, err := eng.ImageInspect(ctx, ref)
	if err != nil {
		return ""
	}
	return images.RepoDigest(ref, img.RepoDigests)
}
