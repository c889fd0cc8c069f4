package env

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// ImageUse is one container's image, a row of `devenv images`.
type ImageUse struct {
	Service    string `json:"service"`
	Container  string `json:"container"`
	Repository string `json:"repository"` // "<none>" for an untagged image
	Tag        string `json:"tag"`        // "<none>" for an untagged image
	ID         string `json:"id"`         // sha256:…
	Size       int64  `json:"size"`       // bytes
}

// Images lists the images the services' containers run (all services when
// none is named), ordered by container name.
func Images(ctx context.Context, eng engine.Engine, p *config.Project, services []string) ([]ImageUse, error) {
	cs, err := containersOf(ctx, eng, p, services)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(cs, func(a, b engine.Container) int { return cmp.Compare(a.Name, b.Name) })
	out := make([]ImageUse, 0, len(cs))
	for _, c := range cs {
		img, err := eng.ImageInspect(ctx, c.ImageID)
		if errors.Is(err, engine.ErrImageNotFound) {
			img = engine.Image{ID: c.ImageID} // removed since: the container keeps the layers
		} else if err != nil {
			return nil, fmt.Errorf("service %s: %w", c.Service, err)
		}
		repo, tag := splitTag(chooseTag(img.RepoTags, p.Services[c.Service]))
		out = append(out, ImageUse{Service: c.Service, Container: c.Name, Repository: repo, Tag: tag, ID: img.ID, Size: img.Size})
	}
	return out, nil
}

// chooseTag is the service's configured reference when the image carries
// it, else the image's first tag ("" when it has none).
func chooseTag(tags []string, s *config.Service) string {
	if s != nil && slices.Contains(tags, s.Image) {
		return s.Image
	}
	if len(tags) > 0 {
		return tags[0]
	}
	return ""
}

// splitTag splits name:tag; the colon of a registry's port is not a tag's.
func splitTag(ref string) (repo, tag string) {
	if ref == "" {
		return "<none>", "<none>"
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i], ref[i+1:]
	}
	return ref, "latest"
}

// ProjectSummary is one project the engine holds containers of, a row of
// `devenv ls`.
type ProjectSummary struct {
	Name string `json:"name"`
	// States counts the project's containers by state (running, exited, …).
	States map[string]int `json:"states"`
	// Services counts the distinct services with a container.
	Services int `json:"services"`
	// ConfigFiles are the absolute paths of the files the project's
	// containers were created from, when they say.
	ConfigFiles []string `json:"configFiles"`
}

// Running says whether any of the project's containers runs.
func (s ProjectSummary) Running() bool { return s.States["running"] > 0 }

// Projects lists the projects that have containers on the engine, by their
// project label, ordered by name; only those with a running container
// unless all is set.
func Projects(ctx context.Context, eng engine.Engine, all bool) ([]ProjectSummary, error) {
	cs, err := eng.AllContainers(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]*ProjectSummary{}
	services := map[string]map[string]bool{}
	for _, c := range cs {
		name := c.Labels[engine.LabelProject]
		if name == "" {
			continue
		}
		s := byName[name]
		if s == nil {
			s = &ProjectSummary{Name: name, States: map[string]int{}}
			byName[name], services[name] = s, map[string]bool{}
		}
		s.States[c.State]++
		if files := c.Labels[engine.LabelConfigFiles]; files != "" && s.ConfigFiles == nil {
			s.ConfigFiles = strings.Split(files, ",")
		}
		services[name][c.Labels[engine.LabelService]] = true
	}
	out := []ProjectSummary{}
	for name, s := range byName {
		s.Services = len(services[name])
		if all || s.Running() {
			out = append(out, *s)
		}
	}
	slices.SortFunc(out, func(a, b ProjectSummary) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}
