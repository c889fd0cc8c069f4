package config

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Keys of a volume's long syntax.
var (
	mountKeys      = []string{"bind", "consistency", "read_only", "source", "target", "tmpfs", "type", "volume"}
	bindOptKeys    = []string{"create_host_path", "propagation", "selinux"}
	volumeOptKeys  = []string{"nocopy", "subpath"}
	tmpfsOptKeys   = []string{"mode", "size"}
	mountTypes     = []string{"bind", "tmpfs", "volume"}
	propagationOpt = []string{"private", "rprivate", "shared", "rshared", "slave", "rslave"}
)

// longMount parses one volume in the long syntax.
func (p *parser) longMount(n *yaml.Node, what string) (Mount, bool) {
	errs := len(p.errs)
	f := p.fields(n, what+" entry", mountKeys, true)
	var m Mount
	if v := f["type"]; v == nil {
		p.errorf(n, "%s entry has no type; add type: volume, bind or tmpfs", what)
	} else if t, _ := p.str(v, what+" type"); slices.Contains(mountTypes, t) {
		m.Type = MountType(t)
	} else {
		p.errorf(v, "%s type %q is not supported here; use volume, bind or tmpfs", what, t)
	}
	if v := f["target"]; v == nil {
		p.errorf(n, "%s entry has no target; add target: /PATH inside the container", what)
	} else if t, _ := p.str(v, what+" target"); path.IsAbs(t) {
		m.Target = path.Clean(t)
	} else {
		p.errorf(v, "%s target %q must be an absolute path inside the container; start it with /", what, t)
	}
	if v := f["read_only"]; v != nil {
		m.ReadOnly = p.boolean(v, what+" read_only")
	}
	if v := f["consistency"]; v != nil {
		p.warnf(v, "%s consistency applies to Docker Desktop's file sharing only and is ignored", what)
	}
	p.mountSource(&m, n, f["source"], what)
	p.mountOptions(&m, f, what)
	return m, len(p.errs) == errs
}

// mountSource checks source: against the type.
func (p *parser) mountSource(m *Mount, n, v *yaml.Node, what string) {
	var src string
	if v != nil {
		src, _ = p.str(v, what+" source")
	}
	switch m.Type {
	case MountBind:
		if src == "" {
			p.errorf(n, "%s bind entry has no source; add source: HOST_PATH", what)
			return
		}
		abs, err := p.hostPath(src)
		if err != nil {
			p.errorf(v, "%s source %q: %v", what, src, err)
		}
		m.Source = abs
	case MountVolume:
		if src != "" && !volumeNameRE.MatchString(src) {
			p.errorf(v, "%s source %q is not a volume name; use letters, digits, _, . and -, or type: bind for a host path", what, src)
		}
		m.Source = src
	case MountTmpfs:
		if src != "" {
			p.errorf(v, "%s: a tmpfs has no source; remove source:", what)
		}
	}
}

// mountOptions reads the bind:, volume: and tmpfs: blocks, each only with
// its own type.
func (p *parser) mountOptions(m *Mount, f map[string]*yaml.Node, what string) {
	for _, key := range []string{"bind", "volume", "tmpfs"} {
		v := f[key]
		if v == nil || isNull(v) {
			continue
		}
		if string(m.Type) != key && m.Type != "" {
			p.errorf(v, "%s has %s: options but type %s; remove them or change the type", what, key, m.Type)
			continue
		}
		if !p.mapping(v, what+" "+key) {
			continue
		}
		switch key {
		case "bind":
			p.bindOptions(m, v, what+" bind")
		case "volume":
			o := p.fields(v, what+" volume", volumeOptKeys, true)
			if x := o["nocopy"]; x != nil {
				m.NoCopy = p.boolean(x, what+" volume nocopy")
			}
			if x := o["subpath"]; x != nil {
				m.Subpath, _ = p.str(x, what+" volume subpath")
				if path.IsAbs(m.Subpath) || strings.HasPrefix(path.Clean(m.Subpath), "..") {
					p.errorf(x, "%s volume subpath %q must be a relative path inside the volume", what, m.Subpath)
				}
			}
		case "tmpfs":
			p.tmpfsBlock(m, v, what+" tmpfs")
		}
	}
}

func (p *parser) bindOptions(m *Mount, v *yaml.Node, what string) {
	o := p.fields(v, what, bindOptKeys, true)
	if x := o["create_host_path"]; x != nil {
		m.CreateHostPath = p.boolean(x, what+" create_host_path")
	}
	if x := o["selinux"]; x != nil {
		if s, _ := p.str(x, what+" selinux"); s == "z" || s == "Z" {
			m.SELinux = s
		} else {
			p.errorf(x, "%s selinux %q is invalid; use z (shared) or Z (private)", what, s)
		}
	}
	if x := o["propagation"]; x != nil {
		if s, _ := p.str(x, what+" propagation"); slices.Contains(propagationOpt, s) {
			m.Propagation = s
		} else {
			p.errorf(x, "%s propagation %q is invalid; use one of %s", what, s, strings.Join(propagationOpt, ", "))
		}
	}
}

func (p *parser) tmpfsBlock(m *Mount, v *yaml.Node, what string) {
	o := p.fields(v, what, tmpfsOptKeys, true)
	var err error
	if x := o["size"]; x != nil {
		s, _ := p.str(x, what+" size")
		if m.TmpfsSize, err = parseBytes(s); err != nil {
			p.errorf(x, "%s size: %v", what, err)
		}
	}
	if x := o["mode"]; x != nil {
		s, _ := p.str(x, what+" mode")
		if m.TmpfsMode, err = parseYAMLMode(s); err != nil {
			p.errorf(x, "%s mode: %v", what, err)
		}
	}
}

// parseBytes reads a size such as 1024, 64k, 64m or 1g (also kb, mb, gb;
// binary multiples, as Docker reads them).
func parseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for suffix, m := range map[string]int64{"k": 1 << 10, "m": 1 << 20, "g": 1 << 30} {
		if rest, ok := strings.CutSuffix(strings.TrimSuffix(t, "b"), suffix); ok && rest != "" {
			t, mult = rest, m
			break
		}
	}
	if mult == 1 {
		t = strings.TrimSuffix(t, "b")
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size; write bytes or a number with k, m or g, e.g. 64m", s)
	}
	return n * mult, nil
}

// parseMode reads permission bits written in octal (YAML may also have
// given a decimal such as 511 for 0777 when the file wrote 0o777).
func parseMode(s string) (uint32, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(s, "0o"), "0O")
	n, err := strconv.ParseUint(t, 8, 32)
	if err != nil || n > 0o7777 {
		return 0, fmt.Errorf("%q is not a file mode; write it in octal, e.g. \"0440\"", s)
	}
	return uint32(n), nil
}

// parseYAMLMode reads a mode as YAML gives it: octal with a leading 0 or
// 0o (0440), else a decimal number of the same bits (288), as Compose does.
func parseYAMLMode(s string) (uint32, error) {
	if strings.HasPrefix(s, "0") {
		return parseMode(s)
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > 0o7777 {
		return 0, fmt.Errorf("%q is not a file mode; write it in octal, e.g. 0440", s)
	}
	return uint32(n), nil
}
