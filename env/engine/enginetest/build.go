package enginetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/devenv-dev/devenv/env/engine"
)

// ImageBuild records "build TAG" (the first tag), or fails as FailNext
// says, and makes an image present under every tag. Its ID is derived from
// the context's files and the spec, so a changed input gives a new image;
// it carries spec.Labels. Each tag is then held by no registry.
func (f *Fake) ImageBuild(ctx context.Context, spec engine.BuildSpec, progress func(string)) (string, error) {
	if len(spec.Tags) == 0 || spec.Context == nil {
		return "", fmt.Errorf("fake engine: a build needs a tag and a context")
	}
	var tar bytes.Buffer
	if err := spec.Context.WriteTar(&tar); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return "", err
	}
	if err := f.recordLocked("build " + spec.Tags[0]); err != nil {
		return "", err
	}
	cfg, _ := json.Marshal(struct {
		Args          map[string]string
		Target, Dfile string
		Labels        map[string]string
	}{spec.Args, spec.Target, spec.Context.Dockerfile, spec.Labels})
	sum := sha256.Sum256(append(tar.Bytes(), cfg...))
	id := "sha256:" + hex.EncodeToString(sum[:])
	for _, tag := range spec.Tags {
		fi := f.addImageLocked(tag, id, nil)
		fi.img.Labels = maps.Clone(spec.Labels)
	}
	if progress != nil {
		// As the engine does: a step per label given, then the result.
		for i, k := range slices.Sorted(maps.Keys(spec.Labels)) {
			progress(fmt.Sprintf("Step %d/%d : LABEL %s=%s", i+1, len(spec.Labels), k, spec.Labels[k]))
		}
		progress("Successfully built " + id[7:19])
	}
	return id, nil
}
