package env

import (
	"fmt"
	"strings"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// withConfigFiles labels each desired container with the project's files
// (LabelConfigFiles), after the config hash is taken: where the files are
// is no reason to recreate a container.
func withConfigFiles(d Desired, p *config.Project) Desired {
	files := p.Files
	if len(files) == 0 && p.File != "" {
		files = []string{p.File}
	}
	if len(files) == 0 {
		return d
	}
	for i := range d.Services {
		if d.Services[i].Spec.Labels != nil {
			d.Services[i].Spec.Labels[engine.LabelConfigFiles] = strings.Join(files, ",")
		}
	}
	return d
}

// FilterProjects keeps the projects that match every filter, as compose
// ls --filter does: name=TEXT matches the projects whose name contains
// TEXT. Other keys are an error.
func FilterProjects(rows []ProjectSummary, filters []string) ([]ProjectSummary, error) {
	var names []string
	for _, f := range filters {
		key, value, ok := strings.Cut(f, "=")
		if !ok || key != "name" {
			return nil, fmt.Errorf("filter %q: the filter ls knows is name=TEXT", f)
		}
		names = append(names, value)
	}
	out := []ProjectSummary{}
	for _, r := range rows {
		keep := true
		for _, n := range names {
			keep = keep && strings.Contains(r.Name, n)
		}
		if keep {
			out = append(out, r)
		}
	}
	return out, nil
}
