package config

import (
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// A file read through include or extends keeps relative paths relative to
// its own directory, as in Compose. Before its declarations join the
// project, absolutePaths rewrites those paths to absolute ones, so that
// the parser, which resolves relative paths against the first file's
// directory, leaves them alone.

// absolutePaths rewrites the relative paths of every service and of the
// secrets and configs read from files.
func (p *parser) absolutePaths(root *yaml.Node, dir string) {
	if at := find(root, "services"); at >= 0 && root.Content[at].Kind == yaml.MappingNode {
		svcs := root.Content[at]
		for i := 1; i < len(svcs.Content); i += 2 {
			absoluteServicePaths(svcs.Content[i], dir)
		}
	}
	for _, section := range []string{"secrets", "configs"} {
		at := find(root, section)
		if at < 0 || root.Content[at].Kind != yaml.MappingNode {
			continue
		}
		defs := root.Content[at]
		for i := 1; i < len(defs.Content); i += 2 {
			if defs.Content[i].Kind == yaml.MappingNode {
				absField(defs.Content[i], "file", dir)
			}
		}
	}
}

// absoluteServicePaths rewrites a service's env_file, bind mount sources
// and build context.
func absoluteServicePaths(svc *yaml.Node, dir string) {
	if svc.Kind != yaml.MappingNode {
		return
	}
	if at := find(svc, "env_file"); at >= 0 {
		n := svc.Content[at]
		absScalar(n, dir)
		for _, item := range n.Content {
			absScalar(item, dir)
			if item.Kind == yaml.MappingNode {
				absField(item, "path", dir)
			}
		}
	}
	if at := find(svc, "volumes"); at >= 0 {
		for _, item := range svc.Content[at].Content {
			absVolume(item, dir)
		}
	}
	absDevelopPaths(svc, dir) // develop.go
	if at := find(svc, "build"); at >= 0 {
		n := svc.Content[at]
		if n.Kind == yaml.MappingNode {
			absField(n, "context", dir)
		} else if !isRemote(n.Value) {
			absScalar(n, dir)
		}
	}
}

// absVolume rewrites the source of a bind mount written as ./ or ../.
func absVolume(n *yaml.Node, dir string) {
	switch n.Kind {
	case yaml.ScalarNode:
		src, rest, ok := strings.Cut(n.Value, ":")
		if ok && strings.HasPrefix(src, ".") {
			n.Value = filepath.Join(dir, src) + ":" + rest
		}
	case yaml.MappingNode:
		if at := find(n, "source"); at >= 0 && strings.HasPrefix(n.Content[at].Value, ".") {
			absScalar(n.Content[at], dir)
		}
	}
}

// absField rewrites the scalar under key in mapping n.
func absField(n *yaml.Node, key, dir string) {
	if at := find(n, key); at >= 0 && !isRemote(n.Content[at].Value) {
		absScalar(n.Content[at], dir)
	}
}

// absScalar makes a relative path scalar absolute against dir.
func absScalar(n *yaml.Node, dir string) {
	if n.Kind != yaml.ScalarNode || isNull(n) || n.Value == "" {
		return
	}
	n.Value = joinPath(dir, n.Value)
}

// isRemote reports whether a build context is a URL rather than a path.
func isRemote(s string) bool {
	return strings.Contains(s, "://") || strings.HasPrefix(s, "git@")
}
