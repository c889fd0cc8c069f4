package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Several files are merged as the compose specification's merge section
// says, on the YAML trees before anything is parsed: every node keeps its
// position and remembers its file (parser.nodeFile), so a problem in the
// merged result still points at the file, line and column it came from.

// Tags an overriding file may put on a value.
const (
	tagReset    = "!reset"    // remove the value the earlier files gave
	tagOverride = "!override" // replace the earlier value instead of merging
)

// maxExpandedNodes bounds the copies made when anchors are expanded before
// a merge, so that a small hostile file cannot make a huge tree.
const maxExpandedNodes = 1 << 17

// seqRule says how two sequences under the same key merge.
type seqRule int

const (
	seqAppend  seqRule = iota // append (the specification's default)
	seqUnique                 // append the entries not already present
	seqReplace                // the later file's sequence wins (command, entrypoint)
	seqMapping                // KEY=VALUE lists: merged by key, like mappings
	seqByKey                  // unique resources: merged by their key (target, port)
)

// serviceSeqRules holds the rules for a service's keys (a path below the
// service, dots between levels); keys not named append.
var serviceSeqRules = map[string]seqRule{
	"command": seqReplace, "entrypoint": seqReplace, "healthcheck.test": seqReplace,
	"environment": seqMapping, "labels": seqMapping, "annotations": seqMapping, "sysctls": seqMapping,
	"extra_hosts": seqMapping, "depends_on": seqMapping, "networks": seqMapping,
	"build.args": seqMapping, "build.labels": seqMapping, "build.extra_hosts": seqMapping, "deploy.labels": seqMapping,
	"ports": seqByKey, "volumes": seqByKey, "secrets": seqByKey, "configs": seqByKey,
	"dns": seqUnique, "dns_search": seqUnique, "dns_opt": seqUnique, "expose": seqUnique,
	"cap_add": seqUnique, "cap_drop": seqUnique, "links": seqUnique, "external_links": seqUnique,
	"group_add": seqUnique, "security_opt": seqUnique, "devices": seqUnique, "tmpfs": seqUnique,
	"volumes_from": seqUnique, "env_file": seqUnique, "profiles": seqUnique, "build.cache_from": seqUnique,
}

// seqRuleAt returns the rule for a sequence at path (keys from the root).
func seqRuleAt(path []string) seqRule {
	switch {
	case servicePath(path) != "":
		if r, ok := serviceSeqRules[servicePath(path)]; ok {
			return r
		}
	case len(path) == 2 && path[0] == "environments":
		return seqUnique
	}
	return seqAppend
}

// register records that every node of the tree at n came from file.
func (p *parser) register(n *yaml.Node, file string) {
	if n == nil || p.nodeFile[n] != "" {
		return
	}
	p.nodeFile[n] = file
	for _, c := range n.Content {
		p.register(c, file)
	}
}

// fileOf names the file n came from, for messages.
func (p *parser) fileOf(n *yaml.Node) string {
	if f := p.nodeFile[n]; f != "" {
		return f
	}
	return p.file
}

// expand returns a copy of the tree at n with aliases replaced by copies
// of what they point at and << merge keys applied (explicit keys win), so
// that a merge can change one place without changing another. Values it
// cannot expand (a << of a scalar, an alias cycle) stay as they are for
// the parser to report.
func (p *parser) expand(n *yaml.Node, visiting map[*yaml.Node]bool) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || visiting[n.Alias] {
			return n
		}
		visiting[n.Alias] = true
		defer delete(visiting, n.Alias)
		return p.expand(n.Alias, visiting)
	}
	p.expanded++
	if p.expanded > maxExpandedNodes {
		if p.expanded == maxExpandedNodes+1 {
			p.errorf(n, "anchors and aliases expand to more than %d values when files are merged; use fewer nested aliases", maxExpandedNodes)
		}
		return n
	}
	c := *n
	c.Anchor = ""
	c.Content = nil
	out := &c
	p.nodeFile[out] = p.fileOf(n)
	if p.failed[n] {
		p.failed[out] = true
	}
	if n.Kind != yaml.MappingNode {
		for _, item := range n.Content {
			out.Content = append(out.Content, p.expand(item, visiting))
		}
		return out
	}
	var merged []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			if m := p.mergeSources(v, visiting); m != nil {
				merged = append(merged, m...)
				continue
			}
		}
		out.Content = append(out.Content, k, p.expand(v, visiting))
	}
	for _, m := range merged {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if find(out, m.Content[i].Value) < 0 {
				out.Content = append(out.Content, m.Content[i], m.Content[i+1])
			}
		}
	}
	return out
}

// mergeSources expands the value of a << key into the mappings it brings
// in, earlier first; nil when it is not a mapping or a list of mappings.
func (p *parser) mergeSources(v *yaml.Node, visiting map[*yaml.Node]bool) []*yaml.Node {
	v = p.expand(v, visiting)
	switch v.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{v}
	case yaml.SequenceNode:
		for _, item := range v.Content {
			if item.Kind != yaml.MappingNode {
				return nil
			}
		}
		return v.Content
	}
	return nil
}

// find returns the index of key's value in mapping m, or -1.
func find(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return i + 1
		}
	}
	return -1
}

// mergeTrees merges over into base (both expanded mappings) and returns
// the result; path holds the keys from the root, for the sequence rules.
func (p *parser) mergeTrees(base, over *yaml.Node, path []string) *yaml.Node {
	switch {
	case over.Tag == tagOverride:
		return over
	case base.Kind == yaml.MappingNode && over.Kind == yaml.MappingNode:
		p.mergeMappings(base, over, path)
		return base
	case base.Kind == yaml.SequenceNode && over.Kind == yaml.SequenceNode:
		return p.mergeSequences(base, over, path)
	case base.Kind != over.Kind && seqRuleAt(path) == seqMapping:
		return p.mergeMappingLike(base, over, path)
	case base.Kind != over.Kind && isServiceKey(path, "build"):
		return p.mergeTrees(p.buildMapping(base), p.buildMapping(over), path)
	case base.Kind != over.Kind && seqRuleAt(path) != seqReplace && isListOrString(base) && isListOrString(over):
		return p.mergeSequences(p.asList(base), p.asList(over), path)
	}
	return over
}

// isServiceKey reports whether path is services.NAME.key.
func isServiceKey(path []string, key string) bool {
	return len(path) == 3 && path[0] == "services" && path[2] == key
}

// servicePath returns the keys below services.NAME joined with dots
// (healthcheck.test), or "" for a path elsewhere.
func servicePath(path []string) string {
	if len(path) < 3 || path[0] != "services" {
		return ""
	}
	return strings.Join(path[2:], ".")
}

func isListOrString(n *yaml.Node) bool {
	return n.Kind == yaml.SequenceNode || (n.Kind == yaml.ScalarNode && !isNull(n))
}

// asList returns a one-entry list for a string (env_file: a.env, …), so
// that it merges with a list as the list it stands for.
func (p *parser) asList(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.SequenceNode {
		return n
	}
	l := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: n.Line, Column: n.Column, Content: []*yaml.Node{n}}
	p.nodeFile[l] = p.fileOf(n)
	return l
}

// buildMapping returns build: CONTEXT as the {context: CONTEXT} it stands
// for, so that it merges with the long form.
func (p *parser) buildMapping(n *yaml.Node) *yaml.Node {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		return n
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "context", Line: n.Line, Column: n.Column}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column, Content: []*yaml.Node{k, n}}
	p.nodeFile[k], p.nodeFile[m] = p.fileOf(n), p.fileOf(n)
	return m
}

// mergeMappings adds over's entries to base, merging those both have and
// removing those over marks !reset.
func (p *parser) mergeMappings(base, over *yaml.Node, path []string) {
	for i := 0; i+1 < len(over.Content); i += 2 {
		k, v := over.Content[i], over.Content[i+1]
		at := find(base, k.Value)
		switch {
		case v.Tag == tagReset && at >= 0:
			base.Content = append(base.Content[:at-1], base.Content[at+1:]...)
		case v.Tag == tagReset:
		case at < 0:
			base.Content = append(base.Content, k, v)
		default:
			base.Content[at] = p.mergeTrees(base.Content[at], v, append(path, k.Value))
		}
	}
}

// mergeSequences applies the rule for path to two sequences.
func (p *parser) mergeSequences(base, over *yaml.Node, path []string) *yaml.Node {
	switch seqRuleAt(path) {
	case seqReplace:
		return over
	case seqMapping:
		return p.mergeMappingLike(base, over, path)
	case seqUnique, seqByKey:
		keyOf := uniqueKey
		if seqRuleAt(path) == seqByKey {
			keyOf = resourceKey(path[len(path)-1])
		}
		for _, item := range over.Content {
			if at := indexByKey(base, keyOf(item), keyOf); at >= 0 {
				base.Content[at] = p.mergeTrees(base.Content[at], item, path)
			} else {
				base.Content = append(base.Content, item)
			}
		}
		return base
	}
	base.Content = append(base.Content, over.Content...)
	return base
}

// indexByKey returns the index of the entry of seq whose key is key, or -1.
func indexByKey(seq *yaml.Node, key string, keyOf func(*yaml.Node) string) int {
	for i, item := range seq.Content {
		if key != "" && keyOf(item) == key {
			return i
		}
	}
	return -1
}

// mergeMappingLike merges two values that may each be a mapping or a list
// of KEY=VALUE (or plain names): both become mappings, over's keys win.
func (p *parser) mergeMappingLike(base, over *yaml.Node, path []string) *yaml.Node {
	hosts := strings.HasSuffix(servicePath(path), "extra_hosts")
	b, o := p.asMapping(base, hosts), p.asMapping(over, hosts)
	if b == nil || o == nil {
		return over
	}
	p.mergeMappings(b, o, path)
	return b
}

// asMapping turns a list of KEY=VALUE, HOST:IP or NAME entries into the
// equivalent mapping whose nodes keep the entries' positions; nil when an
// entry is not a scalar.
func (p *parser) asMapping(n *yaml.Node, hosts bool) *yaml.Node {
	if n.Kind == yaml.MappingNode {
		return n
	}
	if n.Kind != yaml.SequenceNode {
		return nil
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	p.nodeFile[m] = p.fileOf(n)
	for _, item := range n.Content {
		if item.Kind != yaml.ScalarNode {
			return nil
		}
		key, val, hasVal := splitEntry(item.Value, hosts)
		k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: item.Line, Column: item.Column}
		v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null", Line: item.Line, Column: item.Column}
		if hasVal {
			v.Tag, v.Value = "!!str", val
		}
		p.nodeFile[k], p.nodeFile[v] = p.fileOf(item), p.fileOf(item)
		if p.failed[item] {
			p.failed[v] = true
		}
		m.Content = append(m.Content, k, v)
	}
	return m
}

// splitEntry splits KEY=VALUE, and with hosts HOST:IP too (extra_hosts).
func splitEntry(s string, hosts bool) (key, val string, ok bool) {
	if k, v, ok := strings.Cut(s, "="); ok {
		return k, v, true
	}
	if k, v, ok := strings.Cut(s, ":"); ok && hosts {
		return k, v, true
	}
	return s, "", false
}

// uniqueKey identifies an entry for appended-unique sequences: its text,
// or its canonical YAML for a mapping.
func uniqueKey(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	b, err := yaml.Marshal(n)
	if err != nil {
		return fmt.Sprintf("%p", n)
	}
	return string(b)
}

// resourceKey returns the function that gives the uniqueness key of an
// entry of ports, volumes, secrets or configs, short or long form: the
// target, and for ports the address, published port and protocol too.
func resourceKey(kind string) func(*yaml.Node) string {
	return func(n *yaml.Node) string {
		if n.Kind == yaml.ScalarNode {
			if kind == "volumes" {
				parts := strings.Split(n.Value, ":")
				if len(parts) == 1 {
					return parts[0]
				}
				return parts[1]
			}
			return n.Value
		}
		if n.Kind != yaml.MappingNode {
			return ""
		}
		get := func(k string) string {
			if at := find(n, k); at >= 0 && n.Content[at].Kind == yaml.ScalarNode {
				return n.Content[at].Value
			}
			return ""
		}
		target := get("target")
		if target == "" {
			target = get("source")
		}
		if kind == "ports" {
			return get("host_ip") + "|" + get("published") + "|" + target + "|" + get("protocol")
		}
		return target
	}
}

// stripTags removes entries whose value is tagged !reset and drops the
// !override tag, so that the parser sees plain values.
func stripTags(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		out := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i+1].Tag != tagReset {
				out = append(out, n.Content[i], n.Content[i+1])
			}
		}
		n.Content = out
	}
	if n.Tag == tagOverride || n.Tag == tagReset {
		n.Tag = ""
		n.Tag = n.ShortTag()
	}
	for _, c := range n.Content {
		stripTags(c)
	}
}
