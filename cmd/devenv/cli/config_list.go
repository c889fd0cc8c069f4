package cli

import (
	"slices"

	"github.com/devenv-dev/devenv/env/config"
)

// configLists are config's one-name-a-line flags.
type configLists struct {
	services, volumes, images, profiles bool
}

func (l configLists) count() int {
	n := 0
	for _, b := range []bool{l.services, l.volumes, l.images, l.profiles} {
		if b {
			n++
		}
	}
	return n
}

// names returns what the set flag asks for, sorted and without repeats.
func (l configLists) names(p *config.Project) []string {
	if l.profiles {
		return p.AllProfileNames()
	}
	p = selected(p)
	var out []string
	for name, s := range p.Services {
		switch {
		case l.services:
			out = append(out, name)
		case l.images && s.Image != "":
			out = append(out, s.Image)
		case l.images:
			out = append(out, p.Name+"-"+name) // built here, tagged as Compose does
		case l.volumes:
			for _, m := range s.Volumes {
				if m.Type == config.MountVolume {
					out = append(out, m.Source)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// selected returns p with only the services its profiles select, as
// Compose's config shows them.
func selected(p *config.Project) *config.Project {
	cp := *p
	cp.Services = map[string]*config.Service{}
	for name, s := range p.Services {
		if p.Active(name) {
			cp.Services[name] = s
		}
	}
	return &cp
}
