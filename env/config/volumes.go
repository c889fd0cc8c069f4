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

// volumes parses a service's volumes: entries, each in the short syntax
// [SOURCE:]TARGET[:MODES] or the long (mapping) syntax.
func (p *parser) volumes(n *yaml.Node, what string) []Mount {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list, not %s", what, kindName(n))
		return nil
	}
	var out []Mount
	for _, item := range n.Content {
		item = resolve(item)
		if item.Kind == yaml.MappingNode {
			if m, ok := p.longMount(item, what); ok {
				out = append(out, m)
			}
			continue
		}
		spec, ok := p.str(item, "each entry of "+what)
		if !ok || isNull(item) {
			if ok {
				p.errorf(item, "each entry of %s must be a string or a mapping, not %s", what, kindName(item))
			}
			continue
		}
		m, err := p.parseMount(spec)
		if err != nil {
			p.errorf(item, "%s: volume %q: %v", what, spec, err)
			continue
		}
		out = append(out, m)
	}
	return out
}

// parseMount parses one short-syntax volume. A lone TARGET is an anonymous
// volume. A source starting with /, . or ~ is a bind mount, made absolute
// against the config's directory (~ is $HOME) and created when missing, as
// Compose does; anything else names a volume.
func (p *parser) parseMount(spec string) (Mount, error) {
	parts := strings.Split(spec, ":")
	if len(parts) > 3 {
		return Mount{}, fmt.Errorf("write [SOURCE:]TARGET[:MODE], e.g. data:/var/lib/data or ./conf:/etc/app:ro")
	}
	if len(parts) == 1 {
		parts = []string{"", parts[0]}
	}
	m := Mount{Type: MountVolume, Source: parts[0], Target: parts[1]}
	if !path.IsAbs(m.Target) {
		return Mount{}, fmt.Errorf("target %q must be an absolute path inside the container; start it with /", m.Target)
	}
	m.Target = path.Clean(m.Target)
	if m.Source != "" && !strings.HasPrefix(m.Source, "/") && !strings.HasPrefix(m.Source, ".") && !strings.HasPrefix(m.Source, "~") {
		if !volumeNameRE.MatchString(m.Source) {
			return Mount{}, fmt.Errorf("volume name %q is invalid; use letters, digits, _, . and -, or start a host path with /, . or ~", m.Source)
		}
	} else if m.Source != "" {
		src, err := p.hostPath(m.Source)
		if err != nil {
			return Mount{}, err
		}
		m.Type, m.Source, m.CreateHostPath = MountBind, src, true
	}
	if len(parts) == 3 {
		if err := applyModes(&m, parts[2]); err != nil {
			return Mount{}, err
		}
	}
	return m, nil
}

// applyModes applies a short-syntax MODE list such as "ro,z".
func applyModes(m *Mount, modes string) error {
	for _, mode := range strings.Split(modes, ",") {
		switch mode {
		case "ro":
			m.ReadOnly = true
		case "rw":
			m.ReadOnly = false
		case "z", "Z":
			if m.Type != MountBind {
				return fmt.Errorf("mode %q relabels a host path; it applies to bind mounts only", mode)
			}
			m.SELinux = mode
		case "nocopy":
			if m.Type != MountVolume {
				return fmt.Errorf("mode nocopy applies to volumes only, not to host paths")
			}
			m.NoCopy = true
		case "cached", "delegated", "consistent":
			// Docker Desktop's old file-sharing hints: accepted and
			// ignored, as the engine itself does.
		default:
			return fmt.Errorf("mode %q is not supported; use ro, rw, z, Z or nocopy, separated by commas", mode)
		}
	}
	return nil
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

// tmpfs parses a service's tmpfs: a path or a list of PATH[:OPTIONS].
func (p *parser) tmpfs(n *yaml.Node, what string) []Mount {
	specs, nodes := p.strList(n, what, true)
	var out []Mount
	for i, spec := range specs {
		target, opts, _ := strings.Cut(spec, ":")
		if !path.IsAbs(target) {
			p.errorf(nodes[i], "%s: %q must start with an absolute path inside the container", what, spec)
			continue
		}
		m := Mount{Type: MountTmpfs, Target: path.Clean(target)}
		if opts != "" {
			if err := tmpfsOptions(&m, opts); err != nil {
				p.errorf(nodes[i], "%s: %q: %v", what, spec, err)
				continue
			}
		}
		out = append(out, m)
	}
	return out
}

// tmpfsOptions reads size= and mode= from a comma-separated option list;
// the engine's defaults (rw, noexec, nosuid, nodev) are accepted as such.
func tmpfsOptions(m *Mount, opts string) error {
	for _, o := range strings.Split(opts, ",") {
		key, val, _ := strings.Cut(o, "=")
		var err error
		switch key {
		case "size":
			m.TmpfsSize, err = parseBytes(val)
		case "mode":
			m.TmpfsMode, err = parseMode(val)
		case "rw", "noexec", "nosuid", "nodev":
		case "ro":
			m.ReadOnly = true
		default:
			return fmt.Errorf("option %q is not supported; use size=BYTES, mode=OCTAL, ro or rw", o)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
