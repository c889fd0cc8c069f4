package config

import (
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// extends: starts a service from another one, in the same file or in
// file:, and merges the service's own keys onto it with the rules of
// merge.go. A base from another file has its relative paths resolved
// against that file's directory first, as in Compose.

var extendsKeys = []string{"file", "service"}

// svcRef names a service in a file.
type svcRef struct{ file, name string }

// hasExtends reports whether any service of root uses extends.
func hasExtends(root *yaml.Node) bool {
	at := find(root, "services")
	if at < 0 || root.Content[at].Kind != yaml.MappingNode {
		return false
	}
	svcs := root.Content[at]
	for i := 1; i < len(svcs.Content); i += 2 {
		if s := resolve(svcs.Content[i]); s.Kind == yaml.MappingNode && find(s, "extends") >= 0 {
			return true
		}
	}
	return false
}

// applyExtends resolves extends for every service of an expanded root.
func (p *parser) applyExtends(root *yaml.Node, file string) {
	at := find(root, "services")
	if at < 0 || root.Content[at].Kind != yaml.MappingNode {
		return
	}
	svcs := root.Content[at]
	for i := 0; i+1 < len(svcs.Content); i += 2 {
		p.extendService(root, file, svcs.Content[i].Value, nil, nil)
	}
}

// extendService returns the service name of root (from file) with its
// extends resolved, and puts that result in root. chain holds the
// services being resolved and from the extends that names this one, to
// report cycles; nil when the service does not exist or after a cycle.
func (p *parser) extendService(root *yaml.Node, file, name string, chain []svcRef, from *yaml.Node) *yaml.Node {
	ref := svcRef{absPath(file), name}
	for i, c := range chain {
		if c == ref {
			p.errorf(from, "extends cycle: %s; remove one of these extends", cycleText(append(chain[i:], ref)))
			return nil
		}
	}
	if done := p.extended[ref]; done != nil {
		return done
	}
	svcs := root.Content[find(root, "services")]
	at := find(svcs, name)
	if at < 0 {
		return nil
	}
	svc := svcs.Content[at]
	ei := -1
	if svc.Kind == yaml.MappingNode {
		ei = find(svc, "extends")
	}
	if ei < 0 {
		p.extended[ref] = svc
		return svc
	}
	ext := svc.Content[ei]
	svc.Content = append(svc.Content[:ei-1], svc.Content[ei+1:]...)
	base := p.extendsBase(ext, root, file, append(chain, ref))
	if base == nil {
		p.extended[ref] = svc
		return svc
	}
	merged := p.mergeTrees(base, svc, []string{"services", name})
	svcs.Content[at] = merged
	p.extended[ref] = merged
	return merged
}

// extendsBase finds and resolves the service extends names, and returns a
// copy to merge onto; nil after an error.
func (p *parser) extendsBase(ext, root *yaml.Node, file string, chain []svcRef) *yaml.Node {
	name, other, ok := p.extendsTarget(ext)
	if !ok {
		return nil
	}
	baseRoot, baseFile := root, file
	if other != "" {
		baseFile = joinPath(filepath.Dir(file), other)
		if baseRoot = p.extendsFile(baseFile, ext); baseRoot == nil {
			return nil
		}
	}
	if at := find(baseRoot, "services"); at < 0 || baseRoot.Content[at].Kind != yaml.MappingNode ||
		find(baseRoot.Content[at], name) < 0 {
		p.errorf(ext, "extends: service %q is not declared in %s; name a service of that file", name, baseFile)
		return nil
	}
	base := p.extendService(baseRoot, baseFile, name, chain, ext)
	if base == nil || base.Kind != yaml.MappingNode {
		return nil
	}
	cp := p.expand(base, map[*yaml.Node]bool{})
	if other != "" {
		absoluteServicePaths(cp, filepath.Dir(absPath(baseFile)))
	}
	return cp
}

// extendsTarget reads SERVICE or {service, file}.
func (p *parser) extendsTarget(n *yaml.Node) (name, file string, ok bool) {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		return n.Value, "", true
	}
	if !p.mapping(n, "extends") {
		return "", "", false
	}
	f := p.fields(n, "extends", extendsKeys, false)
	if f["service"] == nil {
		p.errorf(n, "extends has no service; add service: NAME")
		return "", "", false
	}
	name, ok = p.str(f["service"], "extends service")
	if v := f["file"]; v != nil && ok {
		file, ok = p.str(v, "extends file")
	}
	return name, file, ok
}

// extendsFile reads a file named by extends' file:, once per load.
func (p *parser) extendsFile(display string, at *yaml.Node) *yaml.Node {
	abs := absPath(display)
	if r, ok := p.loaded[abs]; ok {
		return r
	}
	r := p.readRef(abs, display, at, "extends")
	if r != nil {
		r = p.expand(r, map[*yaml.Node]bool{})
		if !p.mapping(r, "extends file "+display) {
			r = nil
		}
	}
	p.loaded[abs] = r
	return r
}

func cycleText(chain []svcRef) string {
	parts := make([]string, len(chain))
	for i, c := range chain {
		parts[i] = fmt.Sprintf("%s (%s)", c.name, filepath.Base(c.file))
	}
	return strings.Join(parts, " -> ")
}
