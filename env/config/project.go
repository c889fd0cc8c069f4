package config

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Keys accepted at each level of the file. envs.schema.json must list the
// same ones; schema_test.go checks that.
var (
	projectKeys = []string{"environments", "name", "registry", "services", "version",
		"include",
		"configs", "networks", "secrets", "volumes"}
	serviceKeys = []string{"build", "command", "depends_on", "entrypoint", "env_file", "environment",
		"extra_hosts", "healthcheck", "hostname", "image", "labels", "networks", "ports",
		"pull_policy", "restart", "user", "volumes", "working_dir",
		"extends", "profiles",
		"configs", "links", "network_mode", "secrets", "tmpfs"}
	healthcheckKeys = []string{"disable", "interval", "retries", "start_period", "test", "timeout"}
	dependencyKeys  = []string{"condition"}
)

var (
	projectNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	serviceNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	registryRE    = regexp.MustCompile(`^[a-zA-Z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*$`)
)

// project builds the Project from the root mapping.
func (p *parser) project(root *yaml.Node, abs string) *Project {
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "the top level must be a mapping with a services: key, not %s", kindName(root))
		return nil
	}
	proj := &Project{File: abs, Dir: p.dir, Environments: map[string][]string{}, Services: map[string]*Service{}}
	f := p.fields(root, "the top level", projectKeys, true)
	if v := f["version"]; v != nil {
		p.version(v)
	}
	proj.Name = p.projectName(f["name"])
	if v := f["registry"]; v != nil {
		proj.Registry = p.registry(v)
	}
	p.topLevel(proj, f)
	deps := p.services(proj, f["services"])
	if v := f["environments"]; v != nil {
		p.environments(proj, v)
	}
	p.checkDependencies(proj, deps)
	p.checkContainerNames(proj, f["services"])
	return proj
}

// version accepts and ignores the top-level version: as Compose does (the
// compose specification made it informative only), with the same one
// warning; it must still be a plain value.
func (p *parser) version(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		p.warnf(n, "version is obsolete and ignored; remove it to silence this warning")
		return
	}
	p.errorf(n, "version must be a plain value such as \"3.8\", not %s; it is ignored, so you may also remove it", kindName(n))
}

// projectName is the project's name, as Compose chooses it: the -p flag,
// else $COMPOSE_PROJECT_NAME, else name: (validated), else the directory's
// name. It is settled before anything derives a name from it.
func (p *parser) projectName(n *yaml.Node) string {
	if p.projectFlag != "" {
		return p.projectFlag // checked by the CLI
	}
	if v, ok := p.lookupVar(projectNameEnvVar); ok && v != "" {
		if !projectNameRE.MatchString(v) {
			p.errs = append(p.errs, &Error{File: "$" + projectNameEnvVar,
				Msg: fmt.Sprintf("project name %q is invalid; use lowercase letters, digits, _ and -, starting with a letter or digit", v)})
		}
		return v
	}
	if n == nil {
		name := sanitizeName(filepath.Base(p.dir))
		if name == "" {
			p.fileErrorf(0, "cannot derive a project name from directory %q; add name: NAME", filepath.Base(p.dir))
		}
		return name
	}
	name, ok := p.str(n, "name")
	if ok && !projectNameRE.MatchString(name) {
		p.errorf(n, "project name %q is invalid; use lowercase letters, digits, _ and -, starting with a letter or digit", name)
	}
	return name
}

// sanitizeName lowercases s and keeps only [a-z0-9_-], without leading _ or -.
func sanitizeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' || r == '-' {
			b.WriteRune(r)
		}
	}
	return strings.TrimLeft(b.String(), "_-")
}

func (p *parser) registry(n *yaml.Node) string {
	reg, ok := p.str(n, "registry")
	if !ok {
		return ""
	}
	reg = strings.TrimSuffix(reg, "/")
	if !registryRE.MatchString(reg) || !hasRegistryHost(reg+"/x") {
		p.errorf(n, "registry %q is invalid; write HOST[:PORT][/PATH] with a host that has a dot or port, or localhost (e.g. registry.example.com/team)", reg)
		return ""
	}
	return reg
}

// hasRegistryHost reports whether an image reference starts with a registry
// host: a first path component containing '.' or ':', or "localhost".
func hasRegistryHost(image string) bool {
	first, _, ok := strings.Cut(image, "/")
	return ok && (strings.ContainsAny(first, ".:") || first == "localhost")
}

// services parses services: and returns, per service, the nodes of its
// depends_on entries for checkDependencies.
func (p *parser) services(proj *Project, n *yaml.Node) map[string]map[string]*yaml.Node {
	deps := map[string]map[string]*yaml.Node{}
	if n == nil {
		p.fileErrorf(0, "no services: section; add services: with at least one service")
		return deps
	}
	if !p.mapping(n, "services") {
		return deps
	}
	entries := p.pairs(n)
	if len(entries) == 0 {
		p.errorf(n, "services is empty; add at least one service")
	}
	for _, e := range entries {
		p.declared[e.Key] = true
		if !serviceNameRE.MatchString(e.Key) {
			p.errorf(e.KeyN, "service name %q is invalid; use letters, digits, _, . and -, starting with a letter or digit", e.Key)
			continue
		}
		if e.Value.Kind != yaml.MappingNode {
			p.errorf(e.Value, "service %q must be a mapping with at least image:, not %s", e.Key, kindName(e.Value))
			continue
		}
		svc, d := p.service(e.Key, e.KeyN, e.Value, proj.Registry)
		defaultBuildImage(proj.Name, svc)
		proj.Services[e.Key] = svc
		deps[e.Key] = d
	}
	return deps
}

// environments parses environments: name -> list of services.
func (p *parser) environments(proj *Project, n *yaml.Node) {
	if !p.mapping(n, "environments") {
		return
	}
	known := sortedKeys(p.declared)
	for _, e := range p.pairs(n) {
		if !serviceNameRE.MatchString(e.Key) {
			p.errorf(e.KeyN, "environment name %q is invalid; use letters, digits, _, . and -, starting with a letter or digit", e.Key)
			continue
		}
		what := fmt.Sprintf("environment %q", e.Key)
		names, nodes := p.strList(e.Value, what, false)
		if e.Value.Kind == yaml.SequenceNode && len(e.Value.Content) == 0 {
			p.errorf(e.Value, "%s lists no services; name at least one or remove it", what)
		}
		seen := map[string]bool{}
		for i, name := range names {
			switch {
			case seen[name]:
				p.errorf(nodes[i], "%s lists %q twice; remove one", what, name)
			case !p.declared[name] && len(known) > 0:
				p.errorf(nodes[i], "%s names unknown service %q%s; known services are %s", what, name, didYouMean(name, known), quoteList(known))
			}
			seen[name] = true
		}
		proj.Environments[e.Key] = names
	}
}

// EnvironmentNames returns the declared environments, sorted, plus
// "default" when it is not declared (it then means every service).
func (p *Project) EnvironmentNames() []string {
	names := sortedKeys(p.Environments)
	if _, ok := p.Environments[DefaultEnvironment]; !ok {
		names = append(names, DefaultEnvironment)
		sort.Strings(names)
	}
	return names
}
