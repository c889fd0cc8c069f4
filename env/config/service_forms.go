package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The long forms of env_file and depends_on entries that compose added
// after the short ones.

var envFileKeys = []string{"format", "path", "required"}

// envFileRef is one entry of env_file.
type envFileRef struct {
	Path     string
	Node     *yaml.Node
	Optional bool // required: false
	Raw      bool // format: raw; values are taken as written
}

// envFiles accepts a string, or a list of strings and {path, required,
// format} mappings.
func (p *parser) envFiles(n *yaml.Node, what string) []envFileRef {
	if n.Kind != yaml.SequenceNode {
		files, nodes := p.strList(n, what, true)
		if len(files) == 0 {
			return nil
		}
		return []envFileRef{{Path: files[0], Node: nodes[0]}}
	}
	var out []envFileRef
	for _, item := range n.Content {
		item = resolve(item)
		if item.Kind != yaml.MappingNode {
			if s, ok := p.str(item, "each entry of "+what); ok && !isNull(item) {
				out = append(out, envFileRef{Path: s, Node: item})
			} else if isNull(item) {
				p.errorf(item, "each entry of %s must be a path or {path: FILE}, not %s", what, kindName(item))
			}
			continue
		}
		f := p.fields(item, what+" entry", envFileKeys, false)
		ref := envFileRef{Node: item}
		if v := f["path"]; v != nil {
			ref.Path, _ = p.str(v, what+" path")
			ref.Node = v
		}
		if ref.Path == "" {
			p.errorf(item, "%s entry has no path; add path: FILE", what)
			continue
		}
		if v := f["required"]; v != nil {
			ref.Optional = !p.boolean(v, what+" required")
		}
		if v := f["format"]; v != nil {
			if s, _ := p.str(v, what+" format"); s == "raw" {
				ref.Raw = true
			} else {
				p.errorf(v, "%s format %q is not supported; remove it (compose's default format) or use raw", what, s)
			}
		}
		out = append(out, ref)
	}
	return out
}

// readEnvFileRef reads one env_file entry; an optional file that is absent
// gives nothing.
func (p *parser) readEnvFileRef(ref envFileRef, what string) []envLine {
	abs := ref.Path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(p.dir, abs)
	}
	if ref.Optional {
		if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
			return nil
		}
	}
	if !ref.Raw {
		return p.readEnvFile(ref.Path, ref.Node, what)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		p.errorf(ref.Node, "%s: cannot read env_file %s: %v; fix the path or its permissions", what, ref.Path, err)
		return nil
	}
	var out []envLine
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if key, val, ok := strings.Cut(line, "="); ok && strings.TrimSpace(key) != "" {
			out = append(out, envLine{Key: strings.TrimSpace(key), Value: val})
		}
	}
	return out
}

// dependency parses one depends_on mapping entry: condition, restart and
// required.
func (p *parser) dependency(n *yaml.Node, what string) Dependency {
	d := Dependency{Condition: p.condition(n, what)}
	if n.Kind != yaml.MappingNode {
		return d
	}
	for _, e := range p.pairs(n) {
		switch e.Key {
		case "restart":
			d.Restart = p.boolean(e.Value, what+" restart")
		case "required":
			d.Optional = !p.boolean(e.Value, what+" required")
		}
	}
	return d
}

var everyRE = regexp.MustCompile(`^every_([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h|d|w))+$`)

// pullPolicy reads pull_policy. if_not_present is compose's other name for
// missing; daily, weekly and every_<duration> (pull when the local image is
// older) are taken as missing, as docs/envs-yaml.md says.
func (p *parser) pullPolicy(n *yaml.Node, what string) string {
	pp, ok := p.str(n, what)
	switch {
	case !ok:
		return "missing"
	case pp == "if_not_present", pp == "daily", pp == "weekly", everyRE.MatchString(pp):
		return "missing"
	case !slices.Contains(pullPolicies, pp):
		p.errorf(n, "%s %q is invalid; use one of %s, if_not_present, daily, weekly or every_<duration>", what, pp, strings.Join(pullPolicies, ", "))
	}
	return pp
}

// emptyNotNil returns list, or an empty non-nil list for none.
func emptyNotNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// putCommand writes a command or entrypoint; an empty non-nil one (which
// clears the image's) is written as [].
func putCommand(m map[string]any, key string, cmd []string) {
	if cmd != nil && len(cmd) == 0 {
		m[key] = []string{}
		return
	}
	putList(m, key, cmd)
}
