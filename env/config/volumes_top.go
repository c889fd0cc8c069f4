package config

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// topVolumes parses the top-level volumes:.
func (p *parser) topVolumes(proj *Project, n *yaml.Node) {
	for _, e := range p.definitions(n, "volumes") {
		what := fmt.Sprintf("volume %q", e.Key)
		if !volumeNameRE.MatchString(e.Key) {
			p.errorf(e.KeyN, "volume name %q is invalid; use letters, digits, _, . and -, starting with a letter or digit", e.Key)
			continue
		}
		v := &Volume{DriverOpts: map[string]string{}, Labels: map[string]string{}}
		var name string
		if !isNull(e.Value) && p.mapping(e.Value, what) {
			f := p.fields(e.Value, what, volumeDefKeys, true)
			if x := f["name"]; x != nil {
				name, _ = p.str(x, what+" name")
			}
			if x := f["external"]; x != nil {
				v.External = p.external(x, what, &name)
			}
			if x := f["driver"]; x != nil {
				v.Driver, _ = p.str(x, what+" driver")
			}
			if x := f["driver_opts"]; x != nil {
				p.keyValues(x, what+" driver_opts", v.DriverOpts, false)
			}
			if x := f["labels"]; x != nil {
				p.keyValues(x, what+" labels", v.Labels, false)
			}
			if v.External && (v.Driver != "" || len(v.DriverOpts) > 0 || len(v.Labels) > 0) {
				p.errorf(e.Value, "%s is external, so devenv does not create it: remove driver, driver_opts and labels", what)
			}
		}
		v.Name = resourceName(proj.Name, e.Key, name, v.External)
		proj.Volumes[e.Key] = v
	}
}

// resourceName is the engine name of a declared volume or network.
func resourceName(project, key, name string, external bool) string {
	switch {
	case name != "":
		return name
	case external:
		return key
	}
	return project + "_" + key
}
