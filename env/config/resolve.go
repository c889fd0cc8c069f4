package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Resolve returns the sorted names of the services an environment brings
// up: those it lists plus everything they depend on, transitively. ""
// means DefaultEnvironment, which, when not declared, is every service.
func (p *Project) Resolve(environment string) ([]string, error) {
	if environment == "" {
		environment = DefaultEnvironment
	}
	names, ok := p.Environments[environment]
	if !ok {
		if environment != DefaultEnvironment {
			known := p.EnvironmentNames()
			return nil, fmt.Errorf("%w %q%s; known environments are %s", ErrUnknownEnvironment,
				environment, didYouMean(environment, known), quoteList(known))
		}
		names = p.ActiveServices()
	}
	return p.Closure(names)
}

// Closure returns the sorted names of the given services plus everything
// they depend on, transitively.
func (p *Project) Closure(services []string) ([]string, error) {
	known := sortedKeys(p.Services)
	seen := map[string]bool{}
	var unknown []string
	var walk func(string)
	walk = func(name string) {
		if seen[name] || p.Services[name] == nil {
			return
		}
		seen[name] = true
		for dep, d := range p.Services[name].DependsOn {
			// required: false on a service whose profiles are off: Compose
			// goes on without it, and so does devenv.
			if d.Optional && !p.Active(dep) && !slices.Contains(services, dep) {
				continue
			}
			walk(dep)
		}
	}
	for _, name := range services {
		if p.Services[name] == nil {
			unknown = append(unknown, fmt.Sprintf("%q%s", name, didYouMean(name, known)))
			continue
		}
		walk(name)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%w %s; known services are %s", ErrUnknownService,
			strings.Join(unknown, ", "), quoteList(known))
	}
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	if err := p.checkProfiles(services, out); err != nil {
		return nil, err
	}
	return out, nil
}
