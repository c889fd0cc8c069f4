package enginetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/devenv-dev/devenv/env/engine"
)

// ImageConfig is what the fake keeps of an image's configuration.
type ImageConfig struct {
	// Healthcheck is the image's own check, which a container whose spec
	// has none inherits, as from a Dockerfile HEALTHCHECK.
	Healthcheck *engine.HealthSpec
}

// remoteImage is an image a registry holds.
type remoteImage struct {
	id     string // the image ID it has once pulled
	digest string // its manifest digest
}

// fakeImage is a locally present image.
type fakeImage struct {
	img    engine.Image
	config ImageConfig
}

// AddImage makes ref present locally, with no healthcheck, and returns the
// image, whose ID is derived from ref. A registry holds ref too, so pulling
// it again works.
func (f *Fake) AddImage(ref string) engine.Image {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addImageLocked(ref, f.remoteLocked(ref).id, nil).img
}

// AddImageConfig is AddImage of an image configured with cfg; an image
// already present as ref takes cfg.
func (f *Fake) AddImageConfig(ref string, cfg ImageConfig) engine.Image {
	f.mu.Lock()
	defer f.mu.Unlock()
	fi := f.addImageLocked(ref, f.remoteLocked(ref).id, nil)
	if cfg.Healthcheck != nil {
		h := *cfg.Healthcheck
		h.Test = slices.Clone(h.Test)
		cfg.Healthcheck = &h
	}
	fi.config = cfg
	return fi.img
}

// AddRemoteImage makes a registry hold ref, without making it present
// locally, and returns the manifest digest a pull of it records.
func (f *Fake) AddRemoteImage(ref string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.remoteLocked(ref).digest
}

func (f *Fake) remoteLocked(ref string) remoteImage {
	if r, ok := f.remote[ref]; ok {
		return r
	}
	r := remoteImage{id: "sha256:" + hexOf(ref), digest: "sha256:" + hexOf("manifest of "+ref)}
	f.remote[ref] = r
	f.remote[repository(ref)+"@"+r.digest] = r
	return r
}

// addImageLocked makes the image id present as ref, adding repoDigests.
func (f *Fake) addImageLocked(ref, id string, repoDigests []string) *fakeImage {
	fi, ok := f.images[id]
	if !ok {
		fi = &fakeImage{img: engine.Image{ID: id}}
		f.images[id] = fi
	}
	for _, d := range repoDigests {
		if !slices.Contains(fi.img.RepoDigests, d) {
			fi.img.RepoDigests = append(fi.img.RepoDigests, d)
		}
		f.images[d] = fi
	}
	f.images[ref] = fi
	return fi
}

// repository is ref without its tag or digest.
func repository(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

// ImageInspect returns a locally present image: one added with AddImage or
// pulled, by reference, by ID, or by the repository@digest of a pull.
func (f *Fake) ImageInspect(ctx context.Context, ref string) (engine.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return engine.Image{}, err
	}
	fi, ok := f.images[ref]
	if !ok {
		return engine.Image{}, fmt.Errorf("inspecting image %s: %w", ref, engine.ErrImageNotFound)
	}
	img := fi.img
	img.RepoDigests = slices.Clone(img.RepoDigests)
	img.Labels = maps.Clone(img.Labels)
	img.RepoTags = f.tagsLocked(fi)
	img.Size = fakeImageSize
	return img, nil
}

// fakeImageSize is the size ImageInspect reports for every image.
const fakeImageSize = 4 << 20

// tagsLocked lists the references other than IDs that name fi, sorted.
func (f *Fake) tagsLocked(fi *fakeImage) []string {
	var tags []string
	for ref, other := range f.images {
		if other == fi && !strings.HasPrefix(ref, "sha256:") && ref != fi.img.ID {
			tags = append(tags, ref)
		}
	}
	slices.Sort(tags)
	return tags
}

// ImagePull makes ref present, recording its repository@digest as the
// engine does, unless FailNext("pull "+ref, …) says otherwise. A reference
// no registry holds (see AddRemoteImage) gives engine.ErrImageNotFound.
func (f *Fake) ImagePull(ctx context.Context, ref string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return err
	}
	if err := f.recordLocked("pull " + ref); err != nil {
		return err
	}
	r, ok := f.remote[ref]
	if !ok {
		return fmt.Errorf("pulling image %s: %w: manifest unknown", ref, engine.ErrImageNotFound)
	}
	f.addImageLocked(ref, r.id, []string{repository(ref) + "@" + r.digest})
	return nil
}
