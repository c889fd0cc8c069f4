package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// compatProject is the shape TestCompat compares: what
// testdata/compat/normalize.jq makes of `docker-compose config`, built here
// from a Project. When Project learns more (custom networks, top-level
// volumes, build), this is where the comparison learns it too.
type compatProject struct {
	Services map[string]compatService `json:"services"`
	Networks []string                 `json:"networks"`
	Volumes  []string                 `json:"volumes"`
	Secrets  []string                 `json:"secrets"` // Project has no secrets yet: always empty
}

type compatService struct {
	Image       string            `json:"image"`
	Ports       []string          `json:"ports"`       // "hostip:published:target/proto", sorted
	Environment map[string]string `json:"environment"` // set variables only
	DependsOn   map[string]string `json:"depends_on"`  // service -> condition
	Networks    []string          `json:"networks"`    // sorted
	Volumes     []string          `json:"volumes"`     // "kind:source:target:ro|rw", sorted
	Secrets     []string          `json:"secrets"`     // sources, sorted; always empty yet
}

// normalizeProject reduces p to the compared shape. Every service is on the
// project's one network, "default"; the top-level volumes are the named
// volumes the services mount.
func normalizeProject(p *Project) compatProject {
	out := compatProject{Services: map[string]compatService{}, Networks: []string{}, Volumes: []string{}, Secrets: []string{}}
	for name, s := range p.Services {
		out.Services[name] = normalizeService(p.Dir, s)
		for _, m := range s.Volumes {
			if m.Type == MountVolume && !slices.Contains(out.Volumes, m.Source) {
				out.Volumes = append(out.Volumes, m.Source)
			}
		}
	}
	if len(p.Services) > 0 {
		out.Networks = []string{"default"}
	}
	sort.Strings(out.Volumes)
	return out
}

func normalizeService(dir string, s *Service) compatService {
	c := compatService{
		Image: s.Image, Ports: []string{}, Environment: map[string]string{}, DependsOn: map[string]string{},
		Networks: []string{"default"}, Volumes: []string{}, Secrets: []string{},
	}
	for _, pt := range s.Ports {
		published := ""
		if pt.HostPort != 0 {
			published = strconv.Itoa(int(pt.HostPort))
		}
		c.Ports = append(c.Ports, fmt.Sprintf("%s:%s:%d/%s", pt.HostIP, published, pt.ContainerPort, pt.Protocol))
	}
	for k, v := range s.Environment {
		c.Environment[k] = v
	}
	for dep, d := range s.DependsOn {
		c.DependsOn[dep] = string(d.Condition)
	}
	for _, m := range s.Volumes {
		src, mode := m.Source, "rw"
		if m.Type == MountBind {
			src = relativeTo(dir, src)
		}
		if m.ReadOnly {
			mode = "ro"
		}
		c.Volumes = append(c.Volumes, fmt.Sprintf("%s:%s:%s:%s", m.Type, src, m.Target, mode))
	}
	sort.Strings(c.Ports)
	sort.Strings(c.Volumes)
	return c
}

// relativeTo writes path as normalize.jq does: "./…" below dir, else as is.
func relativeTo(dir, path string) string {
	switch {
	case path == dir:
		return "."
	case strings.HasPrefix(path, dir+string(filepath.Separator)):
		return "./" + filepath.ToSlash(path[len(dir)+1:])
	}
	return path
}

// jsonDiff names the first place where two decoded JSON values differ, with
// both values, or returns "" when they are equal.
func jsonDiff(path string, want, got any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			if d := jsonDiff(path+"."+k, w[k], g[k]); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			break
		}
		for i := range w {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i]); d != "" {
				return d
			}
		}
		return ""
	default:
		if fmt.Sprint(want) == fmt.Sprint(got) && fmt.Sprintf("%T", want) == fmt.Sprintf("%T", got) {
			return ""
		}
	}
	return fmt.Sprintf("%s: docker-compose %s, devenv %s", strings.TrimPrefix(path, "."), short(want), short(got))
}

// short is a value for a one-line message.
func short(v any) string {
	if v == nil {
		return "(none)"
	}
	s := fmt.Sprintf("%v", v)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
