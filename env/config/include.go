package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// include: brings other files' services, networks, volumes, secrets and
// configs into the project, as in Compose. Each included file (or list of
// files, merged) is read as a project of its own: relative paths in it
// resolve against its project_directory (default: the first file's
// directory) and its variables come from its env_file (default: .env in
// that directory) as well as the process environment. A name declared both
// here and in an included file is an error.

var includeKeys = []string{"env_file", "path", "project_directory"}

// includedSections are the top-level mappings an included file adds to.
var includedSections = []string{"services", "networks", "volumes", "secrets", "configs", "environments"}

// includeEntry is one entry of include:, with paths made absolute.
type includeEntry struct {
	paths    []string // absolute
	display  []string // as messages name them
	dir      string   // project directory, absolute
	envFiles []string // absolute
	at       *yaml.Node
}

// resolveRefs applies a file's include: and its services' extends:. The
// tree is expanded first (see expand) when either is used, since both
// change it in place.
func (p *parser) resolveRefs(root *yaml.Node, file string) *yaml.Node {
	if root.Kind != yaml.MappingNode || (find(root, "include") < 0 && !hasExtends(root)) {
		return root
	}
	root = p.expand(root, map[*yaml.Node]bool{})
	abs, _ := filepath.Abs(file)
	p.loading[abs] = true
	defer delete(p.loading, abs)
	p.applyIncludes(root, file)
	p.applyExtends(root, file)
	return root
}

// applyIncludes reads every entry of include: and adds what it declares.
func (p *parser) applyIncludes(root *yaml.Node, file string) {
	at := find(root, "include")
	if at < 0 {
		return
	}
	n := root.Content[at]
	root.Content = append(root.Content[:at-1], root.Content[at+1:]...)
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "include must be a list of files, not %s", kindName(n))
		return
	}
	for _, item := range n.Content {
		e, ok := p.includeEntry(item, file)
		if !ok {
			continue
		}
		if inc := p.loadIncluded(e); inc != nil {
			p.addIncluded(root, inc, e)
		}
	}
}

// includeEntry reads PATH or {path, project_directory, env_file}; paths
// are relative to the including file's directory.
func (p *parser) includeEntry(n *yaml.Node, file string) (includeEntry, bool) {
	base := filepath.Dir(file)
	e := includeEntry{at: n}
	var pathN, dirN, envN *yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		pathN = n
	case yaml.MappingNode:
		f := p.fields(n, "include entry", includeKeys, false)
		pathN, dirN, envN = f["path"], f["project_directory"], f["env_file"]
		if pathN == nil {
			p.errorf(n, "include entry has no path; add path: FILE")
			return e, false
		}
	default:
		p.errorf(n, "each include entry must be a path or a mapping with path:, not %s", kindName(n))
		return e, false
	}
	paths, _ := p.strList(pathN, "include path", true)
	if len(paths) == 0 {
		return e, false
	}
	for _, f := range paths {
		d := joinPath(base, f)
		e.display = append(e.display, d)
		e.paths = append(e.paths, absPath(d))
	}
	e.dir = filepath.Dir(e.paths[0])
	if dirN != nil {
		d, _ := p.str(dirN, "include project_directory")
		e.dir = absPath(joinPath(base, d))
	}
	e.envFiles = []string{filepath.Join(e.dir, ".env")}
	if envN != nil {
		names, _ := p.strList(envN, "include env_file", true)
		e.envFiles = nil
		for _, f := range names {
			e.envFiles = append(e.envFiles, absPath(joinPath(base, f)))
		}
	}
	return e, true
}

// loadIncluded reads, interpolates and merges an entry's files, resolving
// their own include and extends; nil after an error.
func (p *parser) loadIncluded(e includeEntry) *yaml.Node {
	vars, ok := p.includeVars(e)
	if !ok {
		return nil
	}
	saved := p.dotenv
	p.dotenv = vars
	defer func() { p.dotenv = saved }()
	var root *yaml.Node
	for i, abs := range e.paths {
		if p.loading[abs] {
			p.errorf(e.at, "include cycle: %s includes itself through this entry; remove one of the includes", e.display[i])
			return nil
		}
		r := p.readRef(abs, e.display[i], e.at, "include")
		if r == nil {
			return nil
		}
		r = p.expand(p.resolveRefs(r, e.display[i]), map[*yaml.Node]bool{})
		if root == nil {
			root = r
		} else if r.Kind == yaml.MappingNode && root.Kind == yaml.MappingNode {
			root = p.mergeTrees(root, r, nil)
		}
	}
	if root == nil || !p.mapping(root, "included file "+e.display[0]) {
		return nil
	}
	stripTags(root)
	p.absolutePaths(root, e.dir)
	return root
}

// includeVars reads an entry's env files into the variables its files'
// interpolation sees after the process environment; the including
// project's .env comes last.
func (p *parser) includeVars(e includeEntry) (map[string]string, bool) {
	vars := map[string]string{}
	for k, v := range p.dotenv {
		vars[k] = v
	}
	for i, f := range e.envFiles {
		data, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) && i == 0 && len(e.envFiles) == 1 && filepath.Base(f) == ".env" {
			continue // the default .env is optional
		}
		if err != nil {
			p.errorf(e.at, "include env_file %s: %v; fix the path", f, errors.Unwrap(err))
			return nil, false
		}
		for _, l := range parseEnvFile(f, data, &p.errs) {
			vars[l.Key] = l.Value
		}
	}
	return vars, true
}

// readRef reads and decodes a file named by include or extends (at),
// interpolated; nil after an error.
func (p *parser) readRef(abs, display string, at *yaml.Node, what string) *yaml.Node {
	data, err := os.ReadFile(abs)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		p.errorf(at, "%s: cannot read %s: %v; fix the path (relative paths start at this file's directory)", what, display, err)
		return nil
	}
	return p.decodeSource(Source{Name: display, Data: data})
}

// addIncluded adds an included file's declarations to root; a name
// declared on both sides is an error at the including entry.
func (p *parser) addIncluded(root, inc *yaml.Node, e includeEntry) {
	for _, section := range includedSections {
		from := find(inc, section)
		if from < 0 || inc.Content[from].Kind != yaml.MappingNode {
			continue
		}
		to := find(root, section)
		if to < 0 {
			root.Content = append(root.Content, inc.Content[from-1], inc.Content[from])
			continue
		}
		dst, src := root.Content[to], inc.Content[from]
		if dst.Kind != yaml.MappingNode {
			continue // reported when the section is parsed
		}
		for i := 0; i+1 < len(src.Content); i += 2 {
			k := src.Content[i]
			if j := find(dst, k.Value); j >= 0 {
				prev := dst.Content[j-1]
				p.errorf(e.at, "%s %q from %s (line %d) is also declared in %s at line %d; rename one of them",
					strings.TrimSuffix(section, "s"), k.Value, p.fileOf(k), k.Line, p.fileOf(prev), prev.Line)
				continue
			}
			dst.Content = append(dst.Content, k, src.Content[i+1])
		}
	}
}

// joinPath resolves a path written in a file against that file's
// directory (as messages name it); absolute paths and ~ stay.
func joinPath(base, f string) string {
	if filepath.IsAbs(f) || strings.HasPrefix(f, "~") {
		return f
	}
	return filepath.Join(base, f)
}

func absPath(f string) string {
	if abs, err := filepath.Abs(f); err == nil {
		return abs
	}
	return f
}
