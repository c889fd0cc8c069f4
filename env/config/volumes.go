package config

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

var volumeNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// volumes parses a list of SOURCE:TARGET[:MODE] specs.
func (p *parser) volumes(n *yaml.Node, what string) []Mount {
	specs, nodes := p.strList(n, what, false)
	var out []Mount
	for i, spec := range specs {
		m, err := p.parseMount(spec)
		if err != nil {
			p.errorf(nodes[i], "%s: volume %q: %v", what, spec, err)
			continue
		}
		out = append(out, m)
	}
	return out
}

// parseMount parses one volume spec. A source starting with /, . or ~ is a
// bind mount, made absolute against the config's directory (~ is $HOME);
// anything else names a volume.
func (p *parser) parseMount(spec string) (Mount, error) {
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return Mount{}, fmt.Errorf("write SOURCE:TARGET[:ro|rw], e.g. data:/var/lib/data or ./conf:/etc/app:ro")
	}
	m := Mount{Type: MountVolume, Source: parts[0], Target: parts[1]}
	if len(parts) == 3 {
		switch parts[2] {
		case "ro":
			m.ReadOnly = true
		case "rw":
		default:
			return Mount{}, fmt.Errorf("mode %q is not supported; use ro or rw", parts[2])
		}
	}
	if !path.IsAbs(m.Target) {
		return Mount{}, fmt.Errorf("target %q must be an absolute path inside the container; start it with /", m.Target)
	}
	m.Target = path.Clean(m.Target)
	if !strings.HasPrefix(m.Source, "/") && !strings.HasPrefix(m.Source, ".") && !strings.HasPrefix(m.Source, "~") {
		if !volumeNameRE.MatchString(m.Source) {
			return Mount{}, fmt.Errorf("volume name %q is invalid; use letters, digits, _, . and -, or start a host path with /, . or ~", m.Source)
		}
		return m, nil
	}
	src, err := p.hostPath(m.Source)
	if err != nil {
		return Mount{}, err
	}
	m.Type, m.Source = MountBind, src
	return m, nil
}

// hostPath makes a bind source absolute.
func (p *parser) hostPath(src string) (string, error) {
	if rest, ok := strings.CutPrefix(src, "~"); ok {
		if rest != "" && !strings.HasPrefix(rest, "/") {
			return "", fmt.Errorf("~user paths are not supported; write ~/PATH or an absolute path")
		}
		home, ok := p.lookupEnv("HOME")
		if !ok || home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("cannot expand ~: %v; write an absolute path", err)
			}
			home = h
		}
		if !filepath.IsAbs(home) {
			return "", fmt.Errorf("cannot expand ~: HOME %q is not absolute; write an absolute path", home)
		}
		return filepath.Join(home, rest), nil
	}
	if filepath.IsAbs(src) {
		return filepath.Clean(src), nil
	}
	return filepath.Join(p.dir, src), nil
}
