package config

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// fileObjects parses the top-level secrets: or configs: (section names
// which) into dst.
func (p *parser) fileObjects(dst map[string]*FileObject, n *yaml.Node, section string) {
	for _, e := range p.definitions(n, section) {
		what := fmt.Sprintf("%s %q", strings.TrimSuffix(section, "s"), e.Key)
		if !volumeNameRE.MatchString(e.Key) {
			p.errorf(e.KeyN, "%s name %q is invalid; use letters, digits, _, . and -, starting with a letter or digit", section, e.Key)
			continue
		}
		if isNull(e.Value) || !p.mapping(e.Value, what) {
			if isNull(e.Value) {
				p.errorf(e.KeyN, "%s has no source; add file: PATH, environment: VARIABLE or content: TEXT", what)
			}
			continue
		}
		if o := p.fileObject(e.Value, what); o != nil {
			dst[e.Key] = o
		}
	}
}

func (p *parser) fileObject(n *yaml.Node, what string) *FileObject {
	f := p.fields(n, what, fileDefKeys, true)
	o := &FileObject{}
	var sources []string
	if x := f["file"]; x != nil {
		sources = append(sources, "file")
		src, _ := p.str(x, what+" file")
		abs, err := p.hostPath(src)
		if err != nil || src == "" {
			p.errorf(x, "%s file %q: %v", what, src, orEmpty(err))
		}
		o.File = abs
	}
	if x := f["environment"]; x != nil {
		sources = append(sources, "environment")
		o.Environment, _ = p.str(x, what+" environment")
		v, ok := p.lookupEnv(o.Environment)
		if !ok {
			p.errorf(x, "%s: environment variable %s is not set; set it before running devenv, or use file: or content:", what, o.Environment)
		}
		o.Content = v
	}
	if x := f["content"]; x != nil {
		sources = append(sources, "content")
		o.Content, _ = p.str(x, what+" content")
	}
	if x := f["external"]; x != nil {
		var name string
		if o.External = p.external(x, what, &name); o.External {
			p.errorf(x, "%s is external, which needs a swarm; a local engine has none: give it a file:, environment: or content: source instead", what)
		}
	}
	for _, key := range []string{"labels", "template_driver", "name"} {
		if x := f[key]; x != nil {
			p.warnf(x, "%s %s applies to swarm objects only and is ignored on a local engine", what, key)
		}
	}
	switch {
	case len(sources) > 1:
		p.errorf(n, "%s has %s; keep exactly one source", what, strings.Join(sources, " and "))
	case len(sources) == 0 && !o.External:
		p.errorf(n, "%s has no source; add file: PATH, environment: VARIABLE or content: TEXT", what)
	}
	return o
}

func orEmpty(err error) string {
	if err == nil {
		return "give a path, relative to this file's directory"
	}
	return err.Error()
}

// fileRefs parses a service's secrets: or configs: (section names which):
// names, or mappings with source, target, uid, gid and mode. Secrets go to
// /run/secrets/NAME and configs to /NAME unless target: says otherwise (a
// relative secret target is under /run/secrets).
func (p *parser) fileRefs(n *yaml.Node, what, section string) []FileRef {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list, not %s", what, kindName(n))
		return nil
	}
	declared := p.top().Secrets
	if section == "configs" {
		declared = p.top().Configs
	}
	var out []FileRef
	for _, item := range n.Content {
		item = resolve(item)
		r := FileRef{Mode: 0o444}
		var at *yaml.Node
		switch {
		case item.Kind == yaml.ScalarNode && !isNull(item):
			r.Source, at = item.Value, item
		case item.Kind == yaml.MappingNode:
			at = p.fileRefLong(&r, item, what)
		default:
			p.errorf(item, "each entry of %s must be a name or a mapping, not %s", what, kindName(item))
			continue
		}
		if at == nil {
			continue
		}
		if declared[r.Source] == nil {
			known := sortedKeys(declared)
			p.errorf(at, "%s: unknown %s %q%s; declare it under the top-level %s:", what, strings.TrimSuffix(section, "s"), r.Source, didYouMean(r.Source, known), section)
			continue
		}
		r.Target = refTarget(r.Source, r.Target, section)
		if declared[r.Source].File != "" && item.Kind == yaml.MappingNode && (r.UID != "" || r.GID != "" || r.Mode != 0o444) {
			p.warnf(item, "%s %s: uid, gid and mode do not apply to a file source, which is bind-mounted as it is on the host", what, r.Source)
			r.UID, r.GID, r.Mode = "", "", 0o444
		}
		out = append(out, r)
	}
	return out
}

// fileRefLong reads the long form and returns the node to blame for an
// unknown source, or nil when the entry is unusable.
func (p *parser) fileRefLong(r *FileRef, n *yaml.Node, what string) *yaml.Node {
	f := p.fields(n, what+" entry", fileRefKeys, true)
	src := f["source"]
	if src == nil {
		p.errorf(n, "%s entry has no source; add source: NAME", what)
		return nil
	}
	r.Source, _ = p.str(src, what+" source")
	if x := f["target"]; x != nil {
		r.Target, _ = p.str(x, what+" target")
	}
	for key, dst := range map[string]*string{"uid": &r.UID, "gid": &r.GID} {
		if x := f[key]; x != nil {
			*dst, _ = p.str(x, what+" "+key)
			if _, err := strconv.ParseUint(*dst, 10, 32); err != nil {
				p.errorf(x, "%s %s %q must be a number", what, key, *dst)
			}
		}
	}
	if x := f["mode"]; x != nil {
		s, _ := p.str(x, what+" mode")
		m, err := parseYAMLMode(s)
		if err != nil {
			p.errorf(x, "%s mode: %v", what, err)
		}
		r.Mode = m
	}
	return src
}

func refTarget(source, target, section string) string {
	switch {
	case target == "" && section == "secrets":
		return "/run/secrets/" + source
	case target == "":
		return "/" + source
	case !path.IsAbs(target) && section == "secrets":
		return path.Join("/run/secrets", target)
	}
	return path.Clean("/" + target)
}
