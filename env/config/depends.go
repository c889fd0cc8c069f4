package config

import (
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

var conditions = []string{string(ServiceStarted), string(ServiceHealthy), string(ServiceCompletedSuccessfully)}

// dependsOn parses depends_on: a list of names (service_started) or a
// mapping name: {condition: …}. It returns the node naming each dependency.
func (p *parser) dependsOn(s *Service, n *yaml.Node, what string) map[string]*yaml.Node {
	at := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		names, nodes := p.strList(n, what, false)
		for i, name := range names {
			if at[name] != nil {
				p.errorf(nodes[i], "%s lists %q twice; remove one", what, name)
				continue
			}
			at[name] = nodes[i]
			s.DependsOn[name] = Dependency{Condition: ServiceStarted}
		}
		return at
	}
	for _, e := range p.pairs(n) {
		at[e.Key] = e.KeyN
		s.DependsOn[e.Key] = p.dependency(e.Value, what+" "+e.Key)
	}
	return at
}

// condition parses {condition: …}; an empty entry means service_started.
func (p *parser) condition(n *yaml.Node, what string) Condition {
	if isNull(n) || !p.mapping(n, what) {
		return ServiceStarted
	}
	f := p.fields(n, what, dependencyKeys, false)
	v := f["condition"]
	if v == nil {
		return ServiceStarted
	}
	c, ok := p.str(v, what+" condition")
	if ok && !slices.Contains(conditions, c) {
		p.errorf(v, "%s condition %q is invalid; use one of %s", what, c, strings.Join(conditions, ", "))
	}
	return Condition(c)
}

// checkDependencies reports depends_on entries naming unknown services, and
// every cycle, spelled out.
func (p *parser) checkDependencies(proj *Project, deps map[string]map[string]*yaml.Node) {
	known := sortedKeys(p.declared)
	for _, name := range sortedKeys(deps) {
		for _, dep := range sortedKeys(deps[name]) {
			if d := proj.Services[name]; !p.declared[dep] && d != nil && d.DependsOn[dep].Optional {
				delete(d.DependsOn, dep) // required: false; compose goes on without it
				continue
			}
			if !p.declared[dep] {
				p.errorf(deps[name][dep], "service %q depends on unknown service %q%s; known services are %s",
					name, dep, didYouMean(dep, known), quoteList(known))
			}
		}
	}
	for _, cycle := range findCycles(proj) {
		p.errorf(deps[cycle[0]][cycle[1]], "dependency cycle %s; remove one of these depends_on entries",
			strings.Join(cycle, " -> "))
	}
}

// findCycles returns each cycle in the depends_on graph once, as a path that
// starts and ends with the same service. Traversal is in sorted order so the
// result is stable.
func findCycles(proj *Project) [][]string {
	const (
		unvisited = iota
		onStack
		done
	)
	state := map[string]int{}
	var stack []string
	var cycles [][]string
	var visit func(string)
	visit = func(name string) {
		state[name] = onStack
		stack = append(stack, name)
		for _, dep := range sortedKeys(proj.Services[name].DependsOn) {
			if proj.Services[dep] == nil {
				continue
			}
			switch state[dep] {
			case unvisited:
				visit(dep)
			case onStack:
				i := slices.Index(stack, dep)
				cycles = append(cycles, append(slices.Clone(stack[i:]), dep))
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = done
	}
	for _, name := range sortedKeys(proj.Services) {
		if state[name] == unvisited {
			visit(name)
		}
	}
	sort.Slice(cycles, func(i, j int) bool { return strings.Join(cycles[i], ",") < strings.Join(cycles[j], ",") })
	return cycles
}
