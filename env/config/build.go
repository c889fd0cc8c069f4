package config

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Build is a service's build: section in its effective form. The image it
// makes is tagged with Service.Image (<project>-<service> when the service
// names no image) and with each of Tags.
type Build struct {
	Context          string            // absolute directory sent to the engine as the build context
	Dockerfile       string            // as written (relative to Context, or absolute); "Dockerfile" by default
	DockerfileInline string            // the Dockerfile itself; then Dockerfile is ""
	Args             map[string]string // build arguments; a bare KEY is taken from the environment, or left out
	Target           string            // the stage to build; "" builds the last one
	Labels           map[string]string // labels of the image
	CacheFrom        []string          // images whose layers may be reused
	Network          string            // network mode of RUN steps; "" the engine's default
	ExtraHosts       []string          // "host:ip", for RUN steps
	ShmSize          int64             // bytes of /dev/shm for RUN steps; 0 the engine's default
	Ulimits          []string          // NAME=SOFT[:HARD], for RUN steps
	NoCache          bool
	Pull             bool     // always pull the base images
	Tags             []string // more references to tag the image with
	Platforms        []string // one is passed to the engine; more need BuildKit

	// BuildKit holds the keys used that only BuildKit can act on, in file
	// (sorted: ssh, secrets, cache_to, additional_contexts, privileged,
	// entitlements, platforms with several entries). Building fails while
	// it is not empty and the engine has only the classic builder.
	BuildKit []string
	// Their values, kept so that `devenv config` shows them.
	SSH                []string
	Secrets            []string
	CacheTo            []string
	Entitlements       []string
	AdditionalContexts map[string]string
}

// buildKeys are the keys of a long-form build: section.
var buildKeys = []string{"additional_contexts", "args", "cache_from", "cache_to", "context", "dockerfile",
	"dockerfile_inline", "entitlements", "extra_hosts", "isolation", "labels", "network", "no_cache",
	"platforms", "privileged", "provenance", "pull", "sbom", "secrets", "shm_size", "ssh", "tags",
	"target", "ulimits"}

// build parses build: — a context path, or a mapping of buildKeys.
func (p *parser) build(n *yaml.Node, what string) *Build {
	what += " build"
	b := &Build{Dockerfile: "Dockerfile", Context: p.dir}
	if n.Kind == yaml.ScalarNode {
		ctx, _ := p.str(n, what)
		b.Context = p.buildContext(ctx, n, what)
		return b
	}
	if !p.mapping(n, what) {
		return nil
	}
	f := p.fields(n, what, buildKeys, true)
	if v := f["context"]; v != nil {
		ctx, _ := p.str(v, what+" context")
		b.Context = p.buildContext(ctx, v, what)
	}
	p.buildDockerfile(b, f, what)
	p.buildStrings(b, f, what)
	p.buildBools(b, f, what)
	if v := f["shm_size"]; v != nil {
		b.ShmSize = p.byteSize(v, what+" shm_size", false)
	}
	p.buildKitKeys(b, n, f, what)
	return b
}

// buildContext resolves the context directory against the file's.
func (p *parser) buildContext(ctx string, n *yaml.Node, what string) string {
	switch {
	case ctx == "":
		p.errorf(n, "%s context is empty; write a directory such as . or ./web", what)
	case strings.Contains(ctx, "://") || strings.HasPrefix(ctx, "git@"):
		p.errorf(n, "%s context %q is a remote URL, which devenv cannot send as a build context; clone it and point context at the directory", what, ctx)
	case filepath.IsAbs(ctx):
		return filepath.Clean(ctx)
	default:
		return filepath.Join(p.dir, ctx)
	}
	return p.dir
}

func (p *parser) buildDockerfile(b *Build, f map[string]*yaml.Node, what string) {
	file, inline := f["dockerfile"], f["dockerfile_inline"]
	if file != nil && inline != nil {
		p.errorf(inline, "%s has both dockerfile and dockerfile_inline; keep one", what)
	}
	if file != nil {
		if b.Dockerfile, _ = p.str(file, what+" dockerfile"); b.Dockerfile == "" {
			p.errorf(file, "%s dockerfile is empty; name a file such as Dockerfile.dev", what)
		}
	}
	if inline != nil && file == nil {
		b.DockerfileInline, _ = p.str(inline, what+" dockerfile_inline")
		b.Dockerfile = ""
		if strings.TrimSpace(b.DockerfileInline) == "" {
			p.errorf(inline, "%s dockerfile_inline is empty; write the Dockerfile's lines, starting with FROM", what)
		}
	}
}

func (p *parser) buildStrings(b *Build, f map[string]*yaml.Node, what string) {
	for key, dst := range map[string]*string{"target": &b.Target, "network": &b.Network} {
		if v := f[key]; v != nil {
			*dst, _ = p.str(v, what+" "+key)
		}
	}
	if v := f["args"]; v != nil {
		b.Args = map[string]string{}
		p.keyValues(v, what+" args", b.Args, true)
	}
	if v := f["labels"]; v != nil {
		b.Labels = map[string]string{}
		p.keyValues(v, what+" labels", b.Labels, false)
	}
	if v := f["extra_hosts"]; v != nil {
		b.ExtraHosts = p.extraHosts(v, what+" extra_hosts")
	}
	lists := map[string]*[]string{"cache_from": &b.CacheFrom, "tags": &b.Tags, "platforms": &b.Platforms}
	for key, dst := range lists {
		if v := f[key]; v != nil {
			*dst, _ = p.strList(v, what+" "+key, false)
		}
	}
	for i, tag := range b.Tags {
		if !imageRE.MatchString(tag) {
			p.errorf(f["tags"].Content[i], "%s tag %q is not a valid image reference; write [REGISTRY/]NAME[:TAG]", what, tag)
		}
	}
	if v := f["ulimits"]; v != nil {
		b.Ulimits = p.buildUlimits(v, what+" ulimits")
	}
}

// buildUlimits reads ulimits: NAME: N or NAME: {soft: N, hard: M}.
func (p *parser) buildUlimits(n *yaml.Node, what string) []string {
	if !p.mapping(n, what) {
		return nil
	}
	var out []string
	for _, e := range p.pairs(n) {
		if e.Value.Kind == yaml.ScalarNode {
			if p.limit(e.Value, what+" "+e.Key) {
				out = append(out, e.Key+"="+e.Value.Value)
			}
			continue
		}
		if !p.mapping(e.Value, what+" "+e.Key) {
			continue
		}
		lim := p.fields(e.Value, what+" "+e.Key, []string{"hard", "soft"}, false)
		if lim["soft"] == nil || lim["hard"] == nil {
			p.errorf(e.Value, "%s %s needs both soft and hard", what, e.Key)
			continue
		}
		if !p.limit(lim["soft"], what+" "+e.Key+" soft") || !p.limit(lim["hard"], what+" "+e.Key+" hard") {
			continue
		}
		out = append(out, e.Key+"="+lim["soft"].Value+":"+lim["hard"].Value)
	}
	return out
}

// limit checks that a ulimit value is a whole number.
func (p *parser) limit(n *yaml.Node, what string) bool {
	if _, err := strconv.ParseInt(n.Value, 10, 64); n.Kind != yaml.ScalarNode || err != nil {
		p.errorf(n, "%s must be a whole number, not %s", what, kindName(n))
		return false
	}
	return true
}

func parseLimit(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func (p *parser) buildBools(b *Build, f map[string]*yaml.Node, what string) {
	for key, dst := range map[string]*bool{"no_cache": &b.NoCache, "pull": &b.Pull} {
		v := f[key]
		if v == nil {
			continue
		}
		if v.Kind != yaml.ScalarNode || (v.Value != "true" && v.Value != "false") {
			p.errorf(v, "%s %s must be true or false, not %s", what, key, kindName(v))
			continue
		}
		*dst = v.Value == "true"
	}
}

// buildKitKeys records the keys only BuildKit acts on, and warns of those
// that cannot apply to a local classic build at all.
func (p *parser) buildKitKeys(b *Build, n *yaml.Node, f map[string]*yaml.Node, what string) {
	for _, key := range []string{"isolation", "provenance", "sbom"} {
		if v := f[key]; v != nil {
			p.warnf(v, "%s %s has no effect on a local Linux engine's build; it is ignored", what, key)
		}
	}
	if v := f["ssh"]; v != nil {
		b.SSH = p.keyList(v, what+" ssh")
	}
	if v := f["secrets"]; v != nil {
		b.Secrets = p.secretNames(v, what+" secrets")
	}
	if v := f["cache_to"]; v != nil {
		b.CacheTo, _ = p.strList(v, what+" cache_to", false)
	}
	if v := f["entitlements"]; v != nil {
		b.Entitlements, _ = p.strList(v, what+" entitlements", false)
	}
	if v := f["additional_contexts"]; v != nil {
		b.AdditionalContexts = map[string]string{}
		p.keyValues(v, what+" additional_contexts", b.AdditionalContexts, false)
	}
	for _, e := range p.pairs(n) {
		switch {
		case e.Key == "platforms" && len(b.Platforms) > 1,
			slices.Contains([]string{"ssh", "secrets", "cache_to", "additional_contexts", "entitlements"}, e.Key),
			e.Key == "privileged" && e.Value.Value == "true":
			b.BuildKit = append(b.BuildKit, e.Key)
		}
	}
	slices.Sort(b.BuildKit)
}

// keyList reads a list of strings or a mapping KEY: VALUE as KEY=VALUE.
func (p *parser) keyList(n *yaml.Node, what string) []string {
	if n.Kind != yaml.MappingNode {
		out, _ := p.strList(n, what, false)
		return out
	}
	kv := map[string]string{}
	p.keyValues(n, what, kv, false)
	var out []string
	for _, k := range sortedKeys(kv) {
		out = append(out, k+"="+kv[k])
	}
	return out
}

// secretNames reads the short (name) and long ({source: name, …}) forms.
func (p *parser) secretNames(n *yaml.Node, what string) []string {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list, not %s", what, kindName(n))
		return nil
	}
	var out []string
	for _, item := range n.Content {
		item = resolve(item)
		if item.Kind == yaml.MappingNode {
			f := p.fields(item, what+" entry", []string{"gid", "mode", "source", "target", "uid"}, false)
			if f["source"] == nil {
				p.errorf(item, "%s entry has no source; name the secret", what)
				continue
			}
			item = f["source"]
		}
		if name, ok := p.str(item, what+" entry"); ok && name != "" {
			out = append(out, name)
		}
	}
	return out
}

// ImageFor returns the image name a service with build: and no image: gets.
func ImageFor(project, service string) string {
	return strings.ToLower(project + "-" + service)
}

// format renders the build section; empty fields are left out.
func (b *Build) format() map[string]any {
	m := map[string]any{"context": escapeDollars(b.Context)}
	if b.DockerfileInline != "" {
		m["dockerfile_inline"] = escapeDollars(b.DockerfileInline)
	} else {
		m["dockerfile"] = escapeDollars(b.Dockerfile)
	}
	for key, v := range map[string]string{"target": b.Target, "network": b.Network} {
		if v != "" {
			m[key] = escapeDollars(v)
		}
	}
	putMap(m, "args", b.Args)
	putMap(m, "labels", b.Labels)
	putMap(m, "additional_contexts", b.AdditionalContexts)
	for key, list := range map[string][]string{"cache_from": b.CacheFrom, "extra_hosts": b.ExtraHosts,
		"tags": b.Tags, "platforms": b.Platforms, "ssh": b.SSH, "secrets": b.Secrets, "cache_to": b.CacheTo,
		"entitlements": b.Entitlements} {
		putList(m, key, list)
	}
	if b.ShmSize > 0 {
		m["shm_size"] = b.ShmSize
	}
	if len(b.Ulimits) > 0 {
		lim := map[string]any{}
		for _, u := range b.Ulimits {
			name, val, _ := strings.Cut(u, "=")
			if soft, hard, ok := strings.Cut(val, ":"); ok {
				lim[name] = map[string]any{"soft": parseLimit(soft), "hard": parseLimit(hard)}
			} else {
				lim[name] = parseLimit(val)
			}
		}
		m["ulimits"] = lim
	}
	if b.NoCache {
		m["no_cache"] = true
	}
	if b.Pull {
		m["pull"] = true
	}
	if slices.Contains(b.BuildKit, "privileged") {
		m["privileged"] = true
	}
	return m
}

// imageOrBuild reads image: and build:; a service needs one of them.
func (p *parser) imageOrBuild(s *Service, keyN *yaml.Node, f map[string]*yaml.Node, registry, what string) {
	if v := f["build"]; v != nil {
		s.Build = p.build(v, what)
	}
	if f["image"] != nil || f["build"] == nil {
		s.Image = p.image(s.Name, keyN, f["image"], registry)
	}
}

// checkPullBuild refuses pull_policy: build on a service with nothing to build.
func (p *parser) checkPullBuild(s *Service, n *yaml.Node, what string) {
	if s.PullPolicy == "build" && s.Build == nil && n != nil {
		p.errorf(n, "%s pull_policy is build but it has no build: section; add build: DIR or choose another policy", what)
	}
}

// defaultBuildImage names the image of a service that is built and names
// none, as Compose does: <project>-<service>.
func defaultBuildImage(project string, s *Service) {
	if s.Build != nil && s.Image == "" {
		s.Image = ImageFor(project, s.Name)
	}
}

// formatBuild adds build: to a formatted service, leaving out the image
// name the build gives it by default.
func formatBuild(project string, s *Service, m map[string]any) {
	if s.Build == nil {
		return
	}
	m["build"] = s.Build.format()
	if s.Image == ImageFor(project, s.Name) {
		delete(m, "image")
	}
}
