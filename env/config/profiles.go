package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrProfileDisabled is wrapped by Resolve and Closure when a service
// needed by the ones selected is only in profiles that are not enabled.
var ErrProfileDisabled = errors.New("service in a disabled profile")

const (
	profilesEnvVar    = "COMPOSE_PROFILES"
	projectNameEnvVar = "COMPOSE_PROJECT_NAME"
	// AllProfiles enables every profile.
	AllProfiles = "*"
)

var profileRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// profiles parses a service's profiles: a list of names.
func (p *parser) profiles(n *yaml.Node, what string) []string {
	if n == nil {
		return nil
	}
	names, nodes := p.strList(n, what+" profiles", false)
	for i, name := range names {
		if !profileRE.MatchString(name) {
			p.errorf(nodes[i], "%s profile %q is invalid; use letters, digits, _, . and -, at least two, starting with a letter or digit", what, name)
		}
	}
	return names
}

// selectFrom records what the files, the options and the environment
// select: the files read, the enabled profiles and $COMPOSE_PROJECT_NAME,
// which beats name: (the CLI's -p beats both). Both variables may also be
// set in the project's .env file, as in Compose.
func (p *parser) selectFrom(proj *Project, srcs []Source, opts LoadOptions) {
	if proj == nil {
		return
	}
	proj.Files = absFiles(srcs)
	enabled := append([]string(nil), opts.Profiles...)
	if v, ok := p.lookupVar(profilesEnvVar); ok {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				enabled = append(enabled, name)
			}
		}
	}
	slices.Sort(enabled)
	proj.Profiles = slices.Compact(enabled)
}

// Active reports whether a service is selected without being named: it
// has no profiles, or one of them is enabled.
func (p *Project) Active(name string) bool {
	s := p.Services[name]
	if s == nil {
		return false
	}
	return len(s.Profiles) == 0 || slices.Contains(p.Profiles, AllProfiles) ||
		slices.ContainsFunc(s.Profiles, func(pr string) bool { return slices.Contains(p.Profiles, pr) })
}

// ActiveServices returns the sorted names of the active services: what
// commands act on when no service is named.
func (p *Project) ActiveServices() []string {
	var out []string
	for name := range p.Services {
		if p.Active(name) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// AllProfileNames returns every profile some service lists, sorted.
func (p *Project) AllProfileNames() []string {
	var out []string
	for _, s := range p.Services {
		out = append(out, s.Profiles...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// checkProfiles fails when a service in closure is neither active nor
// enabled by a named service's profiles (naming a service enables its
// profiles, as in Compose; its dependencies' profiles are not).
func (p *Project) checkProfiles(named, closure []string) error {
	enabled := &Project{Services: p.Services, Profiles: slices.Clone(p.Profiles)}
	for _, name := range named {
		if s := p.Services[name]; s != nil {
			enabled.Profiles = append(enabled.Profiles, s.Profiles...)
		}
	}
	for _, name := range closure {
		if slices.Contains(named, name) || enabled.Active(name) {
			continue
		}
		profs := p.Services[name].Profiles
		return fmt.Errorf("%w: %q is needed (depends_on) but only in profile %s; enable one with --profile %s or COMPOSE_PROFILES",
			ErrProfileDisabled, name, quoteList(profs), profs[0])
	}
	return nil
}
