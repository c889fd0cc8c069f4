package config

import (
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var imageRE = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9._/:@+-]*[a-zA-Z0-9_])?$`)

var (
	pullPolicies = []string{"missing", "always", "never", "build"}
	restarts     = []string{"no", "always", "on-failure", "unless-stopped"}
)

// service parses one entry of services:. It returns the service and the
// nodes of its depends_on entries by name.
func (p *parser) service(name string, keyN, n *yaml.Node, registry string) (*Service, map[string]*yaml.Node) {
	s := &Service{
		Name:        name,
		PullPolicy:  "missing",
		Restart:     "no",
		Environment: map[string]string{},
		Labels:      map[string]string{},
		DependsOn:   map[string]Dependency{},
	}
	what := fmt.Sprintf("service %q", name)
	f := p.fields(n, what, serviceKeys, true)
	p.imageOrBuild(s, keyN, f, registry, what)
	p.develop(s, f, what)
	p.scalars(s, f, what)
	p.checkPullBuild(s, f["pull_policy"], what)
	s.Profiles = p.profiles(f["profiles"], what)
	p.containerSettings(s, f, what)
	if v := f["command"]; v != nil {
		s.Command = p.command(v, what+" command")
	}
	if v := f["entrypoint"]; v != nil {
		s.Entrypoint = p.command(v, what+" entrypoint")
	}
	p.environment(s, f["env_file"], f["environment"], what)
	if v := f["labels"]; v != nil {
		p.keyValues(v, what+" labels", s.Labels, false)
	}
	if v := f["extra_hosts"]; v != nil {
		s.ExtraHosts = p.extraHosts(v, what+" extra_hosts")
	}
	if v := f["networks"]; v != nil {
		p.serviceNetworks(s, v, what+" networks")
	}
	if v := f["ports"]; v != nil {
		s.Ports = p.portEntries(v, what+" ports")
	}
	if v := f["volumes"]; v != nil {
		s.Volumes = p.volumes(v, what+" volumes")
	}
	p.serviceResources(s, f, what)
	if v := f["healthcheck"]; v != nil {
		s.Healthcheck = p.healthcheck(v, what+" healthcheck")
	}
	var deps map[string]*yaml.Node
	if v := f["depends_on"]; v != nil {
		deps = p.dependsOn(s, v, what+" depends_on")
	}
	deps = p.serviceLinks(s, f, what, deps)
	return s, deps
}

// image validates image: and applies the project registry.
func (p *parser) image(name string, keyN, n *yaml.Node, registry string) string {
	if n == nil {
		p.errorf(keyN, "service %q has no image; add image: NAME[:TAG], or build: DIR to build it", name)
		return ""
	}
	img, ok := p.str(n, fmt.Sprintf("service %q image", name))
	switch {
	case !ok:
		return ""
	case img == "":
		p.errorf(n, "service %q has an empty image; set image: NAME[:TAG]", name)
	case !imageRE.MatchString(img) || strings.Contains(img, "//"):
		p.errorf(n, "service %q image %q is not a valid image reference; write [REGISTRY/]NAME[:TAG][@DIGEST]", name, img)
	case registry != "" && !hasRegistryHost(img):
		img = registry + "/" + img
	}
	return img
}

// scalars handles the plain string keys and the enumerations.
func (p *parser) scalars(s *Service, f map[string]*yaml.Node, what string) {
	for key, dst := range map[string]*string{"working_dir": &s.WorkingDir, "user": &s.User, "hostname": &s.Hostname} {
		if v := f[key]; v != nil {
			*dst, _ = p.str(v, what+" "+key)
		}
	}
	if s.WorkingDir != "" && !path.IsAbs(s.WorkingDir) {
		p.errorf(f["working_dir"], "%s working_dir %q must be an absolute path inside the container; start it with /", what, s.WorkingDir)
	}
	if v := f["pull_policy"]; v != nil {
		s.PullPolicy = p.pullPolicy(v, what+" pull_policy")
	}
	if v := f["restart"]; v != nil {
		if r, ok := p.str(v, what+" restart"); ok {
			if !validRestart(r) {
				p.errorf(v, "%s restart %q is invalid; use one of no, always, on-failure, on-failure:N, unless-stopped", what, r)
			}
			s.Restart = r
		}
	}
}

func validRestart(r string) bool {
	if slices.Contains(restarts, r) {
		return true
	}
	n, ok := strings.CutPrefix(r, "on-failure:")
	if !ok {
		return false
	}
	_, err := strconv.ParseUint(n, 10, 31)
	return err == nil
}

// command accepts a list, or a string split like a shell would. An empty
// list or string is an empty, non-nil command: it overrides the image's
// default with nothing, as in Compose.
func (p *parser) command(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		args, err := splitShell(n.Value)
		if err != nil {
			p.errorf(n, "%s: %v", what, err)
			return nil
		}
		return emptyNotNil(args)
	}
	args, _ := p.strList(n, what, true)
	if n.Kind == yaml.SequenceNode {
		return emptyNotNil(args)
	}
	return args
}

// extraHosts accepts a list of "host:ip" or a mapping host: ip.
func (p *parser) extraHosts(n *yaml.Node, what string) []string {
	var out []string
	add := func(host, ip string, at *yaml.Node) {
		if _, err := netip.ParseAddr(ip); host == "" || err != nil {
			p.errorf(at, "%s entry %q is invalid; write HOST:IP, e.g. db.local:10.0.0.5", what, host+":"+ip)
			return
		}
		out = append(out, host+":"+ip)
	}
	if n.Kind == yaml.MappingNode {
		for _, e := range p.pairs(n) {
			ip, _ := p.str(e.Value, what+" "+e.Key)
			add(e.Key, ip, e.Value)
		}
		return out
	}
	vals, nodes := p.strList(n, what, false)
	for i, v := range vals {
		host, ip, _ := strings.Cut(v, ":")
		add(host, ip, nodes[i])
	}
	return out
}
