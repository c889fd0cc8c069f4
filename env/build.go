package env

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// KindBuild is the kind of events about a service's image build.
const KindBuild Kind = "build"

// Statuses of a build.
const (
	StatusBuilding Status = "building" // Detail: the step under way
	StatusBuilt    Status = "built"    // Detail: the short image ID
)

// ErrBuildKit is wrapped by the error of a build that uses keys only
// BuildKit can act on.
var ErrBuildKit = errors.New("needs BuildKit")

// BuildOptions configures Build.
type BuildOptions struct {
	// Services names the services to build; none means every service
	// with build:. Named services without build: are skipped.
	Services []string
	NoCache  bool              // build every step afresh
	Pull     bool              // always pull the base images
	Args     map[string]string // build arguments over each service's args
	Progress Reporter
}

// Build builds the services' images without creating or starting anything;
// the next Up recreates the services whose image changed.
func Build(ctx context.Context, eng engine.Engine, p *config.Project, opts BuildOptions) error {
	names := opts.Services
	if len(names) == 0 {
		names = slices.Sorted(maps.Keys(p.Services))
	} else if _, err := p.Closure(names); err != nil { // names unknown services, with a suggestion
		return err
	}
	if err := eng.Ping(ctx); err != nil {
		return err
	}
	pol := buildPolicy{force: true, noCache: opts.NoCache, pull: opts.Pull, args: opts.Args}
	_, _, err := ensureBuilds(ctx, eng, p, names, pol, reporterOr(opts.Progress))
	return err
}

// buildPolicy is how a run decides what to build.
type buildPolicy struct {
	force         bool // build even when the image is up to date (up --build, devenv build)
	dry           bool // never build
	noCache, pull bool
	args          map[string]string
}

// maxParallelBuilds bounds the builds run at once: each sends its context
// and keeps the engine's builder busy.
const maxParallelBuilds = 3

// ensureBuilds builds, a few at a time, the selected services with build:
// whose image is missing or was built from other inputs (or all, when
// forced or pull_policy: build). It returns image reference -> ID of the
// services with build:, and the selected services without it. A failed
// build does not stop the others; the error names every failure.
func ensureBuilds(ctx context.Context, eng engine.Engine, p *config.Project, selected []string, pol buildPolicy, rep Reporter) (map[string]string, []string, error) {
	var rest []string
	var todo []*config.Service
	seen := map[string]bool{} // by image: one build for services sharing it
	for _, name := range selected {
		switch s := p.Services[name]; {
		case s.Build == nil:
			rest = append(rest, name)
		case !seen[s.Image]:
			seen[s.Image] = true
			todo = append(todo, s)
		}
	}
	got := make([]string, len(todo))
	errs := make([]error, len(todo))
	sem := make(chan struct{}, maxParallelBuilds)
	var wg sync.WaitGroup
	for i, s := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			got[i], errs[i] = ensureBuild(ctx, eng, p.Name, s, pol, rep)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	ids := map[string]string{}
	for i, s := range todo {
		ids[s.Image] = got[i]
	}
	return ids, rest, nil
}

// dryBuildPrefix starts the image ID a dry run gives a service whose image
// a real run would build: the plan recreates what the build would change,
// and says that the build comes first.
const dryBuildPrefix = "build:"

// ensureBuild builds one service's image when it must.
func ensureBuild(ctx context.Context, eng engine.Engine, project string, s *config.Service, pol buildPolicy, rep Reporter) (string, error) {
	if len(s.Build.BuildKit) > 0 {
		return "", fmt.Errorf("service %s: build: %s %w, which devenv cannot use: it builds through the engine's classic builder API; remove them, or build the image with docker buildx and name it in image, without build",
			s.Name, strings.Join(s.Build.BuildKit, ", "), ErrBuildKit)
	}
	spec, err := buildSpec(project, s, pol)
	if err != nil {
		return "", fmt.Errorf("service %s: %w", s.Name, err)
	}
	hash := spec.Labels[engine.LabelBuildHash]
	img, err := eng.ImageInspect(ctx, s.Image)
	switch {
	case err != nil && !errors.Is(err, engine.ErrImageNotFound):
		return "", err
	case err == nil && !pol.force && s.PullPolicy != "build" && img.Labels[engine.LabelBuildHash] == hash:
		return img.ID, nil
	case pol.dry:
		// Stands for the image a build would make, so that the plan
		// recreates what the build would change.
		return dryBuildPrefix + hash, nil
	}
	emit(rep, KindBuild, s.Name, StatusBuilding, "")
	id, err := eng.ImageBuild(ctx, spec, func(line string) {
		if strings.HasPrefix(line, "Step ") {
			emit(rep, KindBuild, s.Name, StatusBuilding, clip(line, maxStepDetail))
		}
	})
	if err != nil {
		emit(rep, KindBuild, s.Name, StatusFailed, firstLine(err.Error()))
		return "", fmt.Errorf("service %s: %w", s.Name, err)
	}
	emit(rep, KindBuild, s.Name, StatusBuilt, short(id))
	return id, nil
}

// buildSpec is the engine's form of a service's build, labelled with the
// hash of its inputs: the context's files and the build's settings.
func buildSpec(project string, s *config.Service, pol buildPolicy) (engine.BuildSpec, error) {
	b := s.Build
	bc, err := engine.NewBuildContext(b.Context, b.Dockerfile, b.DockerfileInline)
	if err != nil {
		return engine.BuildSpec{}, err
	}
	spec := engine.BuildSpec{
		Context: bc, Tags: append([]string{s.Image}, b.Tags...), Args: maps.Clone(b.Args), Target: b.Target,
		Labels: maps.Clone(b.Labels), CacheFrom: b.CacheFrom, Network: b.Network, ExtraHosts: b.ExtraHosts,
		ShmSize: b.ShmSize, Ulimits: b.Ulimits, NoCache: b.NoCache || pol.noCache, Pull: b.Pull || pol.pull,
	}
	if len(b.Platforms) == 1 {
		spec.Platform = b.Platforms[0]
	}
	if spec.Labels == nil {
		spec.Labels = map[string]string{}
	}
	// Arguments given on the command line are left out of the hash: the
	// next up keeps the image they made, as long as the file's inputs hold.
	hash, err := buildHash(project, bc, spec)
	if err != nil {
		return engine.BuildSpec{}, err
	}
	if spec.Args == nil {
		spec.Args = map[string]string{}
	}
	maps.Copy(spec.Args, pol.args)
	spec.Labels[engine.LabelBuildHash] = hash
	spec.Labels[engine.LabelProject] = project
	return spec, nil
}

// buildHash hashes what decides a build's result: the context as sent and
// every setting but NoCache and Pull (which change how, not what).
func buildHash(project string, bc *engine.BuildContext, spec engine.BuildSpec) (string, error) {
	files, err := bc.Hash()
	if err != nil {
		return "", err
	}
	spec.Context, spec.NoCache, spec.Pull = nil, false, false
	settings, err := json.Marshal(struct {
		Version, Project, Files, Dockerfile string
		Spec                                engine.BuildSpec
	}{labelsVersion, project, files, bc.Dockerfile, spec})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(settings)
	return hex.EncodeToString(sum[:]), nil
}

// maxStepDetail bounds the step shown in a building event: a progress row
// must fit a terminal's line.
const maxStepDetail = 60

// clip shortens s to at most n runes, marking the cut with "…".
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// withoutBuild leaves out the services with build:, whose images are made
// here and not pulled.
func withoutBuild(p *config.Project, names []string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return p.Services[n] != nil && p.Services[n].Build != nil })
}
