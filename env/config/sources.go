package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// FileOptions are the LoadOptions about which files make the project and
// what the command line selects in them.
type FileOptions struct {
	// Files are the -f flags in order; later files are merged onto earlier
	// ones. Empty: File, else $DEVENV_FILE or $COMPOSE_FILE, else the
	// default files (see FindFiles). StdinFile reads Stdin.
	Files []string
	// Stdin is read for a file named StdinFile.
	Stdin io.Reader
	// Profiles are the --profile flags; $COMPOSE_PROFILES adds to them.
	Profiles []string
	// ProjectName is the -p flag: the project's name before
	// $COMPOSE_PROJECT_NAME, name: and the directory. Names derived from
	// it (networks, volumes, built images) follow it.
	ProjectName string
}

// Source is the contents of one file and the name messages call it by.
type Source struct {
	Name string
	Data []byte
}

// stdinName is how messages name a file read from standard input.
const stdinName = "(stdin)"

// readSources reads the files FindFiles returned.
func readSources(files []string, opts LoadOptions) ([]Source, error) {
	srcs := make([]Source, 0, len(files))
	for _, f := range files {
		if f == StdinFile {
			if opts.Stdin == nil {
				return nil, fmt.Errorf("%w: -f - reads standard input, which is not available here", ErrNoFile)
			}
			data, err := io.ReadAll(opts.Stdin)
			if err != nil {
				return nil, fmt.Errorf("reading standard input: %w", err)
			}
			srcs = append(srcs, Source{Name: stdinName, Data: data})
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		srcs = append(srcs, Source{Name: f, Data: data})
	}
	return srcs, nil
}

// fileState is what the parser keeps to merge files and follow include
// and extends.
type fileState struct {
	// nodeFile names the file each node came from (as messages name it).
	nodeFile map[*yaml.Node]string
	// expanded counts the nodes copied by expand, against maxExpandedNodes.
	expanded int
	// loaded holds the files read for include and extends, by absolute
	// path, decoded and interpolated; loading marks those being resolved.
	loaded  map[string]*yaml.Node
	loading map[string]bool
	// extended holds services whose extends is resolved.
	extended map[svcRef]*yaml.Node
}

func newFileState() fileState {
	return fileState{nodeFile: map[*yaml.Node]string{}, loaded: map[string]*yaml.Node{}, loading: map[string]bool{},
		extended: map[svcRef]*yaml.Node{}}
}

// tree decodes each source, resolves its include and extends, and merges
// the sources in order. It returns nil when a file cannot be decoded.
func (p *parser) tree(srcs []Source) *yaml.Node {
	var root *yaml.Node
	ok := true
	for _, src := range srcs {
		r := p.decodeSource(src)
		if r == nil {
			ok = false
			continue
		}
		r = p.resolveRefs(r, src.Name)
		if len(srcs) > 1 {
			r = p.expand(r, map[*yaml.Node]bool{})
		}
		switch {
		case root == nil:
			root = r
		case r.Kind != yaml.MappingNode || root.Kind != yaml.MappingNode:
			p.errorf(r, "the top level must be a mapping with a services: key, not %s", kindName(r))
		default:
			root = p.mergeTrees(root, r, nil)
		}
	}
	if !ok || root == nil {
		return nil
	}
	stripTags(root)
	return root
}

// decodeSource decodes and interpolates one file, remembering for every
// node that it came from this file.
func (p *parser) decodeSource(src Source) *yaml.Node {
	first := p.file
	p.file = src.Name // for the whole-file messages of decode
	root := p.decode(src.Data)
	p.file = first
	if root == nil {
		return nil
	}
	p.register(root, src.Name)
	p.interpolateTree(root)
	return root
}

// absFiles returns the absolute paths of the sources, in order.
func absFiles(srcs []Source) []string {
	out := make([]string, 0, len(srcs))
	for _, s := range srcs {
		abs, err := filepath.Abs(s.Name)
		if err != nil {
			abs = s.Name
		}
		out = append(out, abs)
	}
	return out
}
