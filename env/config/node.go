package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// pair is one key: value entry of a mapping, after merge keys are applied.
type pair struct {
	Key   string
	KeyN  *yaml.Node
	Value *yaml.Node
}

// maxAliasChain bounds chains of aliases pointing at aliases.
const maxAliasChain = 10

// resolve follows alias nodes to what they point at.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliasChain; i++ {
		n = n.Alias
	}
	return n
}

// kindName says what a node is, for "X must be …, not …" messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

// isNull reports whether n is an empty value (`key:` or `key: ~`).
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// pairs returns the entries of a mapping in file order, with <<: merges
// applied (explicit keys win) and duplicate keys reported. Results are
// cached per node: anchors let one mapping be merged from many places, and
// without the cache a file of a few lines could take exponential time.
func (p *parser) pairs(n *yaml.Node) []pair {
	if out, ok := p.pairsCache[n]; ok {
		return out
	}
	if p.merging[n] {
		p.errorf(n, "<< merges a mapping into itself; remove the cycle of anchors")
		return nil
	}
	p.merging[n] = true
	out := p.mappingPairs(n)
	delete(p.merging, n)
	p.pairsCache[n] = out
	return out
}

func (p *parser) mappingPairs(n *yaml.Node) []pair {
	var out, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "mapping keys must be strings, not %s; write the key as plain text", kindName(k))
			continue
		}
		if k.Tag == "!!merge" {
			merged = append(merged, p.merge(v)...)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.errorf(k, "duplicate key %q (first at line %d); remove one of them", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{Key: k.Value, KeyN: k, Value: v})
	}
	for _, m := range merged {
		if _, ok := seen[m.Key]; !ok {
			seen[m.Key] = m.KeyN
			out = append(out, m)
		}
	}
	return out
}

// merge returns the entries a <<: value brings in: a mapping or a list of
// mappings, earlier ones winning.
func (p *parser) merge(v *yaml.Node) []pair {
	switch v.Kind {
	case yaml.MappingNode:
		return p.pairs(v)
	case yaml.SequenceNode:
		var out []pair
		have := map[string]bool{}
		for _, item := range v.Content {
			item = resolve(item)
			if item.Kind != yaml.MappingNode {
				p.errorf(item, "<< must merge mappings, not %s; point it at an anchored mapping", kindName(item))
				continue
			}
			for _, e := range p.pairs(item) {
				if !have[e.Key] {
					have[e.Key] = true
					out = append(out, e)
				}
			}
		}
		return out
	}
	p.errorf(v, "<< must merge a mapping, not %s; point it at an anchored mapping", kindName(v))
	return nil
}

// fields returns the entries of a mapping whose keys must come from
// allowed; unknown keys are reported with a suggestion. Keys starting with
// "x-" are extensions, ignored when allowExt is set (compose does the same,
// which makes them a home for anchors).
func (p *parser) fields(n *yaml.Node, what string, allowed []string, allowExt bool) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for _, e := range p.pairs(n) {
		if slices.Contains(allowed, e.Key) {
			out[e.Key] = e.Value
			continue
		}
		if allowExt && strings.HasPrefix(e.Key, "x-") {
			continue
		}
		p.errorf(e.KeyN, "unknown key %q in %s%s", e.Key, what, unknownKeyHint(e.Key, allowed))
	}
	return out
}

// unknownKeyHint is what follows an unknown key's message: the key it
// most likely meant, else the allowed keys when they are few enough to
// read, else where they are listed.
func unknownKeyHint(key string, allowed []string) string {
	if hint := didYouMean(key, allowed); hint != "" {
		return hint
	}
	if len(allowed) <= 20 {
		return "; allowed keys are " + strings.Join(allowed, ", ")
	}
	return "; it is not a key of the compose specification here (docs/envs-yaml.md lists them; devenv config --schema gives them to an editor)"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mapping checks that n is a mapping.
func (p *parser) mapping(n *yaml.Node, what string) bool {
	if n.Kind == yaml.MappingNode {
		return true
	}
	p.errorf(n, "%s must be a mapping, not %s", what, kindName(n))
	return false
}

// str returns a scalar's value; empty values are "".
func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "%s must be a string, not %s", what, kindName(n))
		return "", false
	}
	if isNull(n) {
		return "", true
	}
	return n.Value, true
}

// strList accepts a list of scalars, or a single scalar when single is set
// (which then becomes a one-element list).
func (p *parser) strList(n *yaml.Node, what string, single bool) ([]string, []*yaml.Node) {
	if single && n.Kind == yaml.ScalarNode && !isNull(n) {
		return []string{n.Value}, []*yaml.Node{n}
	}
	if n.Kind != yaml.SequenceNode {
		want := "a list"
		if single {
			want = "a string or a list"
		}
		p.errorf(n, "%s must be %s, not %s", what, want, kindName(n))
		return nil, nil
	}
	var vals []string
	var nodes []*yaml.Node
	for _, item := range n.Content {
		item = resolve(item)
		if item.Kind != yaml.ScalarNode || isNull(item) {
			p.errorf(item, "each entry of %s must be a string, not %s", what, kindName(item))
			continue
		}
		vals = append(vals, item.Value)
		nodes = append(nodes, item)
	}
	return vals, nodes
}
